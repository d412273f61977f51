"""Figures: labelled sheets that stay viewable, legible text, colour bars, animation frames."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hopfield_cli import figures
from hopfield_cli.errors import InvalidParameterError

SEED = 20261128


def _blocks(count: int, shape: tuple[int, int], per_block: int = 3) -> list[figures.Block]:
    rng = np.random.default_rng(SEED)
    tiles = [figures.binary_tile(rng.choice([-1, 1], size=shape[0] * shape[1]), shape) for _ in range(4)]
    return [
        figures.Block(f"cue-{k:03d}: correct", tiles[:per_block], figures.FRAME_COLOURS[True])
        for k in range(count)
    ]


def test_two_hundred_rows_stay_under_8000_pixels_each_side() -> None:
    drawn = figures.sheet(_blocks(200, (64, 64)), (64, 64), titles=("cue", "recalled", "target"))
    width, height = drawn.image.size
    assert drawn.shown == 200 and drawn.columns > 1
    assert width < figures.MAX_SIDE and height < figures.MAX_SIDE
    assert drawn.tile == (128, 128)  # 64 px pictures doubled (nearest neighbour) for legibility


def test_too_many_rows_shrink_then_show_the_first_that_fit() -> None:
    drawn = figures.sheet(_blocks(400, (64, 64)), (64, 64), max_side=900)
    assert max(drawn.image.size) <= 900
    assert drawn.tile == (16, 16)  # shrunk to the smallest tiles first
    assert 0 < drawn.shown < 400


def test_text_is_tall_enough_to_read() -> None:
    image = Image.new("RGB", (200, 40), figures.BACKGROUND)
    figures._draw_text(image, (2, 2), "Hg camera", 196)
    ink = np.argwhere(np.asarray(image.convert("L")) < 128)
    height = ink[:, 0].max() - ink[:, 0].min() + 1
    assert height >= 12


def test_long_text_is_cut_to_fit() -> None:
    image = Image.new("RGB", (120, 40), figures.BACKGROUND)
    figures._draw_text(image, (0, 2), "x" * 500, 60)
    ink = np.argwhere(np.asarray(image.convert("L")) < 128)
    assert ink[:, 1].max() < 60


def test_hostile_names_are_drawn_as_printable_ascii() -> None:
    name = "\x1b[31mred\n../../etc/passwd\u202e" + "é" * 100
    clean = figures.printable(name)
    assert clean.isprintable() and clean.isascii() and len(clean) == 60 and clean.endswith("...")
    assert clean.startswith("?[31mred?../../etc/passwd?")


def test_unknown_pixels_are_a_checker_unlike_any_grey() -> None:
    pattern = np.array([1, -1, 0, 0])
    rgb = figures._scaled(figures.binary_tile(pattern, (2, 2)), 64, 64)
    colours = {tuple(c) for c in rgb[32:, :].reshape(-1, 3)}
    assert colours == set(figures.UNKNOWN_CHECKER)
    assert tuple(rgb[0, 0]) == (255, 255, 255) and tuple(rgb[0, 63]) == (0, 0, 0)
    grey = figures.values_tile(np.array([0.5, 0.5, 0.5, 0.5]), (2, 2), known=[True, True, False, True])
    assert set(map(tuple, figures._scaled(grey, 32, 32)[16:, :16].reshape(-1, 3))) == set(
        figures.UNKNOWN_CHECKER
    )


def test_heatmap_has_a_colour_bar_from_plus_to_minus_limit() -> None:
    image = np.asarray(figures.heatmap(np.array([[0.0, 2.0], [-2.0, 0.0]]), "title", "note"))
    top = 2 * figures.LABEL + figures.MARGIN
    cells = image[top : top + 256, figures.MARGIN : figures.MARGIN + 256]
    assert tuple(cells[0, 0]) == (255, 255, 255) and tuple(cells[0, 255]) == (255, 0, 0)
    assert tuple(cells[255, 0]) == (0, 0, 255)
    bar = image[top : top + 256, figures.MARGIN + 256 + figures.MARGIN + 10]
    assert tuple(bar[0]) == (255, 0, 0) and tuple(bar[-1]) == (0, 0, 255)
    assert abs(int(bar[128][1]) - 255) <= 3  # white in the middle


def test_overlap_matrix_is_bounded() -> None:
    x = np.ones((figures.MAX_OVERLAP_MEMORIES + 5, 4), dtype=np.int8)
    matrix, total = figures.overlap_matrix(x)
    assert matrix.shape == (figures.MAX_OVERLAP_MEMORIES,) * 2 and total == x.shape[0]


def test_recall_animation_has_at_least_three_frames_cue_first_result_last() -> None:
    shape = (8, 8)
    cue = np.zeros(64, dtype=np.int8)
    cue[:32] = 1
    result = np.ones(64, dtype=np.int8)
    tiles = [figures.binary_tile(cue, shape), figures.binary_tile(result, shape)]
    frames, durations = figures.recall_animation(
        tiles, ["sync", "sync"], [0.0, 1.0], [-3.0, -32.0], shape, "name", "fixed point"
    )
    assert len(frames) == len(durations) == 3
    layout = figures.frame_layout(shape)
    box = (layout.left, layout.top, layout.left + layout.width, layout.top + layout.height)
    first = np.asarray(frames[0].crop(box))
    last = np.asarray(frames[-1].crop(box))
    assert tuple(first[0, 0]) == (255, 255, 255) and tuple(first[-1, -1]) in figures.UNKNOWN_CHECKER
    assert (last == 255).all()


def test_empty_sheet_is_an_error() -> None:
    with pytest.raises(InvalidParameterError, match="no pictures"):
        figures.sheet([], (8, 8))


def test_without_freetype_the_bitmap_font_is_scaled_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow builds without FreeType (or before 10.1) only have a small bitmap font."""
    from PIL import ImageFont

    bitmap = ImageFont.load_default_imagefont()
    monkeypatch.setattr(figures, "_font", lambda px: bitmap)
    image = Image.new("RGB", (300, 60), figures.BACKGROUND)
    figures._draw_text(image, (2, 2), "Hg camera", 296)
    ink = np.argwhere(np.asarray(image.convert("L")) < 128)
    assert ink[:, 0].max() - ink[:, 0].min() + 1 >= 12


def test_most_blocks_bounds_what_callers_build() -> None:
    drawn = figures.sheet(_blocks(400, (64, 64)), (64, 64), heading="many", max_side=900)
    assert drawn.shown == figures.most_blocks((64, 64), 3, max_side=900) < 400
    sheet = figures.pattern_sheet([figures.binary_tile(np.ones(64), (8, 8))] * 3, ["a", "b", "c"], (8, 8), 10)
    assert sheet.shown == 3  # the caller built tiles for the first three of ten


def test_heatmap_names_its_rows_when_they_are_tall_enough() -> None:
    m = np.eye(3)
    plain = np.asarray(figures.heatmap(m, "t", "n"))
    named = np.asarray(figures.heatmap(m, "t", "n", names=["alpha", "beta", "gamma"]))
    top = 2 * figures.LABEL + figures.MARGIN
    gutter = named[top : top + 256, figures.MARGIN + 256 : figures.MARGIN + 256 + figures.ROW_NAMES]
    assert (gutter.min(axis=2) < 100).any()  # ink of the names
    cells = 3 * -(-256 // 3)  # three rows of 86 px
    assert named.shape[1] == figures.MARGIN + cells + figures.ROW_NAMES + figures.MARGIN + 24 + 90
    assert plain.shape[1] == 480  # the minimum width
    many = np.asarray(figures.heatmap(np.eye(40), "t", "n", names=[str(k) for k in range(40)]))
    assert many.shape == np.asarray(figures.heatmap(np.eye(40), "t", "n")).shape  # 7 px rows: no names
