"""hopfield inspect: what a model stores, as tables, JSON and pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _cli_support import FOUR_PHOTOS, assert_clean_error, invoke, json_lines
from PIL import Image

import hopfield_cli.cli as cli
from hopfield_cli import rules
from hopfield_cli.model import MODEL_RULES


@pytest.fixture(scope="module")
def hebbian_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inspect") / "w.npz"
    assert invoke("train", *FOUR_PHOTOS, "-o", path, "--size", "16", "--rule", "hebbian", "-q").exit_code == 0
    return path


def test_inspect_json(hebbian_model: Path) -> None:
    result = invoke("inspect", hebbian_model, "--json", "-q")
    assert result.exit_code == 0, result.output
    (info,) = json_lines(result.stdout)
    assert info["names"] == ["astronaut", "camera", "clock", "rocket"]
    assert info["rule"] == "hebbian" and info["neurons"] == 256 and info["shape"] == [16, 16]
    overlaps = np.array(info["overlaps"])
    assert overlaps.shape == (4, 4)
    np.testing.assert_allclose(np.diag(overlaps), 1.0, rtol=0, atol=0)
    np.testing.assert_allclose(overlaps, overlaps.T, rtol=0, atol=1e-12)
    assert info["max_overlap"] == pytest.approx(np.abs(overlaps - np.eye(4)).max(), abs=1e-6)
    assert "0.138N" in info["theory"]


def test_inspect_tables_and_pictures(hebbian_model: Path, tmp_path: Path) -> None:
    heat, sheet = tmp_path / "w.png", tmp_path / "p.png"
    result = invoke("inspect", hebbian_model, "--weights", heat, "--patterns", sheet)
    assert result.exit_code == 0, result.output
    assert "Pairwise overlaps" in result.stderr and "camera" in result.stderr
    with Image.open(heat) as image:
        assert image.size == (256, 256) and image.mode == "RGB"
        pixels = np.asarray(image)
    np.testing.assert_array_equal(pixels[np.arange(256), np.arange(256)], 255)  # zero diagonal is white
    with Image.open(sheet) as image:
        assert image.size == (4 + 2 * (64 + 4), 4 + 2 * (64 + 4))


def test_inspect_refuses_weights_of_dense_rules(tmp_path: Path) -> None:
    model = tmp_path / "e.npz"
    invoke("train", *FOUR_PHOTOS[:2], "-o", model, "--size", "8", "-q")
    result = invoke("inspect", model, "--weights", tmp_path / "w.png")
    assert_clean_error(result, 1, "no pairwise weight matrix")
    assert not (tmp_path / "w.png").exists()


def test_inspect_missing_model(tmp_path: Path) -> None:
    assert_clean_error(invoke("inspect", tmp_path / "none.npz"), 1, "none.npz")


def test_cli_rule_names_match_the_library() -> None:
    assert tuple(r.value for r in cli.Rule) == MODEL_RULES
    assert MODEL_RULES[: len(rules.RULES)] == rules.RULES
    assert cli.DEFAULT_RULE.value == rules.DEFAULT_RULE
