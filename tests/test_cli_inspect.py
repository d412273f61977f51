"""hopfield inspect: what a model stores, as tables, JSON and pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _cli_support import FOUR_PHOTOS, assert_clean_error, invoke, json_lines
from PIL import Image

import hopfield_cli.cli as cli
from hopfield_cli import figures, rules
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
    assert "Most similar pairs" in result.stderr and "camera" in result.stderr
    with Image.open(heat) as image:
        assert image.mode == "RGB"
        pixels = np.asarray(image)
    top = 2 * figures.LABEL + figures.MARGIN  # title and note lines
    matrix = pixels[top : top + 256, figures.MARGIN : figures.MARGIN + 256]
    np.testing.assert_array_equal(matrix[np.arange(256), np.arange(256)], 255)  # zero diagonal is white
    bar = figures.MARGIN + 256 + figures.MARGIN + 12
    assert tuple(pixels[top, bar]) == (255, 0, 0) and tuple(pixels[top + 255, bar]) == (0, 0, 255)
    with Image.open(sheet) as image:
        width, height = image.size
    # Four 16x16 patterns, scaled to 96 px, each under its name, in a 2 x 2 grid.
    block_w = 96 + 2 * figures.FRAME
    block_h = figures.LABEL + 96 + 2 * figures.FRAME
    assert width == 2 * (block_w + figures.MARGIN) + figures.MARGIN
    assert height == figures.LABEL + 2 * (block_h + figures.MARGIN) + figures.MARGIN


def test_inspect_weights_of_dense_rules_draw_the_overlap_matrix(tmp_path: Path) -> None:
    """The default rule has no pairwise matrix: --weights draws the P x P pattern overlaps instead."""
    model = tmp_path / "e.npz"
    invoke("train", *FOUR_PHOTOS[:2], "-o", model, "--size", "8", "-q")
    result = invoke("inspect", model, "--weights", tmp_path / "w.png", "-q")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "w.png") as image:
        pixels = np.asarray(image)
    top = 2 * figures.LABEL + figures.MARGIN
    # 2 x 2 overlaps scaled by 128: full red (overlap 1 on a +-1 bar) on the diagonal.
    assert tuple(pixels[top + 64, figures.MARGIN + 64]) == (255, 0, 0)
    assert tuple(pixels[top + 192, figures.MARGIN + 192]) == (255, 0, 0)
    assert tuple(pixels[top + 64, figures.MARGIN + 192]) != (255, 0, 0)


def test_inspect_missing_model(tmp_path: Path) -> None:
    assert_clean_error(invoke("inspect", tmp_path / "none.npz"), 1, "none.npz")


def test_cli_rule_names_match_the_library() -> None:
    assert tuple(r.value for r in cli.Rule) == MODEL_RULES
    assert MODEL_RULES[: len(rules.RULES)] == rules.RULES
    assert cli.DEFAULT_RULE.value == rules.DEFAULT_RULE


def _inspect_text(model: Path) -> str:
    from _cli_support import runner

    result = runner.invoke(cli.app, ["inspect", str(model)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stderr


@pytest.mark.parametrize(
    ("args", "shown", "absent"),
    [
        (
            ("--rule", "exponential"),
            ["beta=2.693 (ln(P)/2 + 2)", "exp(N I(1-2 noise)/2) = 2.9e20 patterns"],
            ["degree"],
        ),
        (("--rule", "exponential", "--beta", "0.3"), ["beta=0.3"], ["degree", "ln P"]),
        (
            ("--rule", "polynomial", "--degree", "5"),
            ["degree=5", "N^(n-1)/(2 (2n-3)!! ln N) = 3.7e6 patterns"],
            ["beta"],
        ),
        (("--rule", "hebbian"), ["centered=False", "0.138N = 35", "N/(4 ln N) = 12"], ["beta", "degree"]),
        (
            (
                "--rule",
                "storkey",
            ),
            ["N/sqrt(2 ln N) = 77"],
            ["beta", "degree"],
        ),
        (
            (
                "--rule",
                "pseudoinverse",
            ),
            ["capacity theory", "N = 256"],
            ["beta", "degree"],
        ),
    ],
)
def test_inspect_shows_each_rules_own_parameters_and_theory(
    tmp_path: Path, args: tuple[str, ...], shown: list[str], absent: list[str]
) -> None:
    model = tmp_path / "m.npz"
    assert invoke("train", *FOUR_PHOTOS, "-o", model, "--size", "16", *args, "-q").exit_code == 0
    text = _inspect_text(model)
    for fragment in shown:
        assert fragment in text
    for fragment in absent:
        assert fragment not in text
    assert "capacity theory" in text and "theory: )" not in text


def test_inspect_writes_huge_capacities_short(tmp_path: Path) -> None:
    import re

    model = tmp_path / "m.npz"
    assert (
        invoke("train", *FOUR_PHOTOS, "-o", model, "--rule", "polynomial", "--degree", "20", "-q").exit_code
        == 0
    )
    text = _inspect_text(model)
    assert re.search(r"\d{16,}", text) is None
    assert re.search(r"= \d\.\de\d+ patterns", text)
    big = tmp_path / "e.npz"
    assert invoke("train", *FOUR_PHOTOS, "-o", big, "-q").exit_code == 0
    assert "exp(N I(1-2 noise)/2) = 2.3e327 patterns" in _inspect_text(big)  # N = 4096: past any float


def test_inspect_lists_the_most_similar_pairs_with_signs(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2, (16, 16)).astype(np.uint8) * 255
    folder = tmp_path / "imgs"
    folder.mkdir()
    names = [f"holiday-photo-from-the-beach-{k:03d}" for k in range(6)]
    for k, name in enumerate(names):
        image = rng.integers(0, 2, (16, 16)).astype(np.uint8) * 255
        if k == 1:
            image = 255 - base  # the inverse of image 0
        elif k == 0:
            image = base
        Image.fromarray(image).save(folder / f"{name}.png")
    model = tmp_path / "m.npz"
    assert invoke("train", folder, "-o", model, "--size", "16", "--binarize", "128", "-q").exit_code == 0
    (info,) = json_lines(invoke("inspect", model, "--json", "-q").stdout)
    first = info["closest_pairs"][0]
    assert (first["a"], first["b"], first["overlap"]) == (names[0], names[1], -1.0)
    assert len(info["closest_pairs"]) == 5
    text = _inspect_text(model)
    assert "Most similar pairs" in text and "Pairwise" not in text
    assert "-1.000" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    # Shortened in the middle: the distinguishing ends stay.
    assert "holiday-…rom-the-beach-000" in text and "holiday-…rom-the-beach-001" in text


def test_inspect_grey_model_has_a_theory_line_and_closest_pairs(tmp_path: Path) -> None:
    model = tmp_path / "g.npz"
    assert (
        invoke("train", *FOUR_PHOTOS, "-o", model, "--rule", "continuous", "--size", "16", "-q").exit_code
        == 0
    )
    text = _inspect_text(model)
    assert "capacity theory" in text and "exponential in N" in text
    assert "Most similar pairs" in text and "RMS levels" in text and "Pairwise" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
