"""hopfield recall: right vs merely stored (target, correct, verdict, summary line)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _cli_support import SAMPLES, invoke, json_lines


@pytest.fixture(scope="module")
def twelve(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default rule on all twelve sample photos."""
    model = tmp_path_factory.mktemp("truth") / "twelve.npz"
    assert invoke("train", SAMPLES, "-o", model, "-q").exit_code == 0
    return model


def test_half_blanked_cue_landing_on_another_photo_is_not_correct(twelve: Path, tmp_path: Path) -> None:
    cues = tmp_path / "cues"
    cues.mkdir()
    # Measured: the bottom-blanked camera settles on the coffee photo; lightly flipped astronaut is right.
    made = invoke(
        "corrupt", SAMPLES / "camera.png", "-o", cues / "camera.png", "--kind", "half", "--noise", "0.5"
    )
    assert made.exit_code == 0, made.output
    made = invoke(
        "corrupt", SAMPLES / "astronaut.png", "-o", cues / "astronaut.png", "--noise", "0.1", "--seed", "1"
    )
    assert made.exit_code == 0, made.output

    result = invoke("recall", twelve, cues, "-o", tmp_path / "out", "--json")

    assert result.exit_code == 0, result.output
    records = {r["input"]: r for r in json_lines(result.stdout)}
    camera = records["camera"]
    assert camera["target"] == "camera" and camera["nearest"] == "coffee"
    assert camera["correct"] is False and camera["exact"] is True and camera["verdict"] == "other-memory"
    astronaut = records["astronaut"]
    assert astronaut["correct"] is True and astronaut["verdict"] == "correct" and astronaut["hamming"] == 0
    assert "Recall: 1/2 correct: 1 other-memory" in result.stderr


def test_cue_named_like_no_memory_has_no_target(twelve: Path, tmp_path: Path) -> None:
    cue = tmp_path / "mystery.png"
    assert invoke("corrupt", SAMPLES / "coins.png", "-o", cue, "--noise", "0.1", "--seed", "2").exit_code == 0

    result = invoke("recall", twelve, cue, "-o", tmp_path / "o.png", "--json")

    assert result.exit_code == 0, result.output
    (record,) = json_lines(result.stdout)
    assert record["target"] is None and record["correct"] is None
    assert record["nearest"] == "coins" and record["exact"] is True and record["verdict"] == "stored"
    assert "none named like a stored memory (correct unknown)" in result.stderr


def test_hebbian_mixtures_are_counted_and_a_better_rule_is_hinted(tmp_path: Path) -> None:
    model = tmp_path / "hebbian.npz"
    assert invoke("train", SAMPLES, "-o", model, "--rule", "hebbian", "-q").exit_code == 0
    cues = tmp_path / "cues"
    assert invoke("corrupt", SAMPLES, "-o", cues, "--kind", "half", "--noise", "0.5", "-q").exit_code == 0

    result = invoke("recall", model, cues, "-o", tmp_path / "out", "--json")

    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    right = sum(r["correct"] for r in records)
    spurious = sum(r["verdict"] == "spurious" for r in records)
    assert spurious >= 3 and all(r["exact"] is (r["verdict"] != "spurious") for r in records)
    assert f"Recall: {right}/12 correct" in result.stderr
    assert f"{spurious} spurious" in result.stderr
    assert "Hint: hebbian weights" in result.stderr and "--rule exponential" in result.stderr


def test_sync_two_cycles_are_counted_and_async_is_hinted(tmp_path: Path) -> None:
    """Hebbian at load 0.94 from random starts: most sync runs cycle (measured 28 of 40)."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "random.npy", (rng.random((60, 8, 8)) > 0.5).astype(np.uint8) * 255)
    np.save(tmp_path / "starts.npy", (rng.random((40, 8, 8)) > 0.5).astype(np.uint8) * 255)
    model = tmp_path / "m.npz"
    trained = invoke("train", tmp_path / "random.npy", "-o", model, "--rule", "hebbian", "--size", "8", "-q")
    assert trained.exit_code == 0, trained.output

    result = invoke("recall", model, tmp_path / "starts.npy", "-o", tmp_path / "out", "--json", "--seed", "1")

    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    cycled = sum(r["status"] == "2-cycle, then async fixed point" for r in records)
    assert cycled * 4 >= len(records)
    assert all(r["target"] is None and r["correct"] is None for r in records)
    assert f"; {cycled} fell into a 2-cycle" in result.stderr
    assert "Hint: many cues fell into 2-cycles" in result.stderr and "--update async" in result.stderr


def test_quiet_prints_no_summary(twelve: Path, tmp_path: Path) -> None:
    cue = tmp_path / "camera.png"
    assert (
        invoke("corrupt", SAMPLES / "camera.png", "-o", cue, "--noise", "0.1", "--seed", "2").exit_code == 0
    )
    result = invoke("recall", twelve, cue, "-o", tmp_path / "o.png", "--json", "-q")
    assert result.exit_code == 0 and result.stderr == ""
    assert json_lines(result.stdout)[0]["correct"] is True
