"""Labelled pictures: recall sheets, contact sheets, heat maps with a colour bar, animations.

Everything a person is shown carries its words: column titles, each row's
name and verdict, the iteration and energy of each animation frame.  Pillow's
drawing modules are imported only when a picture is drawn, so the command
line starts as fast without them.

Names come from files and archives: they are drawn as printable ASCII, cut to
fit, and never used for anything but drawing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._atomic import atomic_path
from hopfield_cli.errors import InvalidParameterError

#: No side of a sheet exceeds this many pixels (viewers and browsers choke beyond).
MAX_SIDE = 8000
#: Unknown (erased) pixels: a violet checker, unlike any black, white, grey or photo.
UNKNOWN_CHECKER = ((150, 60, 200), (225, 190, 245))
#: Frame of a recall row: the right memory, a wrong one, nothing to judge by.
FRAME_COLOURS: dict[bool | None, tuple[int, int, int]] = {
    True: (0, 160, 60),
    False: (220, 30, 30),
    None: (150, 150, 150),
}
BACKGROUND = (238, 238, 238)
INK = (0, 0, 0)
#: Text height in pixels (OCR needs about 12 px letters).
TEXT_PX = 16
FRAME = 4
GAP = 4
MARGIN = 10
LABEL = TEXT_PX + 8
SMALLEST_TILE = 16
#: Pattern-overlap matrices are drawn for at most this many memories (the first ones).
MAX_OVERLAP_MEMORIES = 2000

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Tile:
    """A picture to place on a sheet.

    Attributes
    ----------
    rgb : ndarray of shape (H, W, 3), uint8
    unknown : ndarray of shape (H, W), bool, or None
        Pixels drawn as the :data:`UNKNOWN_CHECKER`.
    """

    rgb: NDArray[np.uint8]
    unknown: NDArray[np.bool_] | None = None


def binary_tile(pattern: Any, shape: tuple[int, int]) -> Tile:
    """A ±1 pattern (0 = unknown) as a black-and-white tile."""
    grid = np.asarray(pattern).reshape(shape)
    grey = np.where(grid > 0, 255, 0).astype(np.uint8)
    unknown = grid == 0
    return Tile(np.repeat(grey[..., np.newaxis], 3, axis=2), unknown if unknown.any() else None)


def values_tile(values: Any, shape: tuple[int, int], known: Any = None) -> Tile:
    """Intensities in [0, 1] of shape (N,) or (N, C) as a grey or colour tile."""
    arr = np.asarray(values, dtype=np.float64).reshape(shape[0] * shape[1], -1)
    levels = np.round(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)
    rgb = np.broadcast_to(levels, (levels.shape[0], 3)).reshape(*shape, 3).copy()
    unknown = None
    if known is not None:
        mask = ~np.asarray(known, dtype=bool).reshape(shape)
        unknown = mask if mask.any() else None
    return Tile(rgb, unknown)


def printable(text: str, limit: int = 60) -> str:
    """``text`` as printable ASCII (others become ``?``), at most ``limit`` characters."""
    clean = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def _font(px: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow < 10.1: one small bitmap font
        return ImageFont.load_default()


def _draw_text(image: Any, xy: tuple[int, int], text: str, width: int, px: int = TEXT_PX) -> None:
    """Draw ``text`` at ``xy``, cut with ``...`` to ``width`` pixels, at least ``px`` tall.

    Without FreeType (old or minimal Pillow builds) the bitmap font is
    drawn small and scaled up by whole pixels, so letters stay as tall.
    """
    from PIL import Image, ImageDraw, ImageFont

    font = _font(px)
    # The bitmap font's letters are about 7 px: doubled or more, they stay readable.
    zoom = 1 if isinstance(font, ImageFont.FreeTypeFont) else max(2, math.ceil(px / 8))
    draw = ImageDraw.Draw(image)
    room = width // zoom

    def fits(candidate: str) -> bool:
        return draw.textlength(candidate, font=font) <= room

    if not fits(text):
        while text and not fits(text + "..."):
            text = text[:-1]
        text = text + "..." if text else ""
    if not text:
        return
    if zoom == 1:
        draw.text(xy, text, fill=INK, font=font)
        return
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    small = Image.new("RGB", (max(1, int(right)), max(1, int(bottom))), BACKGROUND)
    ImageDraw.Draw(small).text((0, 0), text, fill=INK, font=font)
    image.paste(small.resize((small.width * zoom, small.height * zoom), Image.Resampling.NEAREST), xy)


def _scaled(tile: Tile, height: int, width: int) -> NDArray[np.uint8]:
    """The tile at ``height`` x ``width`` pixels, unknown pixels as the checker."""
    from PIL import Image

    h, w = tile.rgb.shape[:2]
    if height % h == 0 and width % w == 0 and height // h == width // w:
        zoom = height // h
        rgb = tile.rgb.repeat(zoom, axis=0).repeat(zoom, axis=1)
        unknown = None if tile.unknown is None else tile.unknown.repeat(zoom, axis=0).repeat(zoom, axis=1)
    else:
        rgb = np.asarray(Image.fromarray(tile.rgb).resize((width, height), Image.Resampling.BOX))
        unknown = None
        if tile.unknown is not None:
            mask = Image.fromarray(tile.unknown.astype(np.uint8) * 255)
            unknown = np.asarray(mask.resize((width, height), Image.Resampling.NEAREST)) > 127
    if unknown is None:
        return rgb
    rgb = rgb.copy()
    cell = max(2, min(height, width) // 16)
    rows, cols = np.indices((height, width))
    light = ((rows // cell + cols // cell) % 2).astype(bool)
    rgb[unknown & ~light] = UNKNOWN_CHECKER[0]
    rgb[unknown & light] = UNKNOWN_CHECKER[1]
    return rgb


@dataclass(frozen=True)
class Block:
    """One labelled group of tiles on a sheet (a recall row, a stored pattern)."""

    label: str
    tiles: Sequence[Tile]
    frame: Colour | None = None


@dataclass(frozen=True)
class Sheet:
    """A drawn sheet and how much of the input it shows.

    Attributes
    ----------
    image : PIL.Image.Image
    shown : int
        Blocks drawn; fewer than given when even the smallest tiles would
        not fit :data:`MAX_SIDE` (the first ones are drawn).
    columns : int
        Columns of blocks the sheet wraps into.
    tile : tuple of int
        Height and width of each drawn tile.
    """

    image: Any
    shown: int
    columns: int
    tile: tuple[int, int]


def _scales(shape: tuple[int, int], min_side: int) -> list[float]:
    """Tile scales to try, largest first: the whole zoom that reaches ``min_side``, down to small tiles."""
    long_side = max(shape)
    top = max(1, math.ceil(min_side / long_side))
    scales: list[float] = [float(z) for z in range(top, 0, -1)]
    divisor = 2
    while long_side / divisor >= SMALLEST_TILE:
        scales.append(1.0 / divisor)
        divisor += 1
    return scales


def most_blocks(shape: tuple[int, int], per_block: int, *, max_side: int = MAX_SIDE) -> int:
    """How many blocks of ``per_block`` tiles of ``shape`` a sheet can hold at most (smallest tiles).

    Callers with huge collections (60,000 MNIST digits) build only that many tiles.
    """
    scale = _scales(shape, 1)[-1]
    th = max(1, round(shape[0] * scale))
    tw = max(1, round(shape[1] * scale))
    columns = (max_side - MARGIN) // (per_block * tw + (per_block - 1) * GAP + 2 * FRAME + MARGIN)
    rows = (max_side - MARGIN - LABEL) // (LABEL + th + 2 * FRAME + MARGIN)  # below one header line
    return max(0, columns) * max(0, rows)


def sheet(
    blocks: Sequence[Block],
    shape: tuple[int, int],
    *,
    titles: Sequence[str] = (),
    heading: str = "",
    min_side: int = 96,
    max_side: int = MAX_SIDE,
) -> Sheet:
    """Lay labelled blocks of tiles out in a wrapped grid that stays under ``max_side`` pixels.

    Parameters
    ----------
    blocks : sequence of Block
        All with the same number of tiles, each of ``shape``.
    shape : tuple of int
        Height and width of a tile's picture.
    titles : sequence of str, optional
        Column titles, one per tile of a block, repeated over each column of blocks.
    heading : str, optional
        A line above everything.
    min_side : int, optional
        Small pictures are scaled up by whole pixels (nearest neighbour) to at
        least this long side, when the sheet allows.
    max_side : int, optional
        Largest sheet side; tiles shrink, and at the smallest the first blocks
        that fit are drawn.

    Returns
    -------
    Sheet
    """
    from PIL import Image, ImageDraw

    if not blocks:
        raise InvalidParameterError("sheet: no pictures to draw")
    per_block = len(blocks[0].tiles)
    header = (LABEL if titles else 0) + (LABEL if heading else 0)
    layout = None
    for scale in _scales(shape, min_side):
        th = max(1, round(shape[0] * scale))
        tw = max(1, round(shape[1] * scale))
        bw = per_block * tw + (per_block - 1) * GAP + 2 * FRAME
        bh = LABEL + th + 2 * FRAME
        most_columns = (max_side - MARGIN) // (bw + MARGIN)
        most_rows = (max_side - MARGIN - header) // (bh + MARGIN)
        if most_columns < 1 or most_rows < 1:
            continue
        layout = (th, tw, bw, bh, most_columns, most_rows)
        if most_columns * most_rows >= len(blocks):
            break
    if layout is None:
        raise InvalidParameterError(f"sheet: pictures of {shape[1]}x{shape[0]} do not fit {max_side} pixels")
    th, tw, bw, bh, most_columns, most_rows = layout
    shown = min(len(blocks), most_columns * most_rows)
    # Near square, within the limits.
    columns = round(math.sqrt(shown * (bh + MARGIN) / (bw + MARGIN)))
    columns = min(most_columns, max(1, columns, math.ceil(shown / most_rows)), shown)
    rows = math.ceil(shown / columns)
    width = columns * (bw + MARGIN) + MARGIN
    height = header + rows * (bh + MARGIN) + MARGIN
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    top = MARGIN // 2
    if heading:
        _draw_text(image, (MARGIN, top), printable(heading, 200), width - 2 * MARGIN)
        top += LABEL
    if titles:
        for c in range(columns):
            for k, title in enumerate(titles):
                left = MARGIN + c * (bw + MARGIN) + FRAME + k * (tw + GAP)
                _draw_text(image, (left, top), title, tw + GAP)
    for n, block in enumerate(blocks[:shown]):
        c, r = n // rows, n % rows  # down each column first, like reading a list
        left = MARGIN + c * (bw + MARGIN)
        y = header + MARGIN + r * (bh + MARGIN)
        if block.frame is not None:
            draw.rectangle((left, y, left + bw - 1, y + bh - 1), fill=block.frame)
            draw.rectangle(
                (left + FRAME, y + FRAME, left + bw - 1 - FRAME, y + LABEL + FRAME - 1), fill=BACKGROUND
            )
        _draw_text(image, (left + FRAME + 2, y + FRAME + 2), block.label, bw - 2 * FRAME - 4)
        for k, tile in enumerate(block.tiles):
            pixels = Image.fromarray(_scaled(tile, th, tw))
            image.paste(pixels, (left + FRAME + k * (tw + GAP), y + FRAME + LABEL))
    return Sheet(image, shown, columns, (th, tw))


def recall_sheet(
    rows: Sequence[tuple[str, str, Sequence[Tile], bool | None, bool]],
    shape: tuple[int, int],
    *,
    max_side: int = MAX_SIDE,
) -> Sheet:
    """The recall montage: cue | recalled | target (or nearest), one framed, named row per cue.

    Parameters
    ----------
    rows : sequence of (name, verdict, tiles, correct, has_target)
        ``tiles`` are the cue, the recall and the target (the nearest stored
        memory when the cue has no target).  The frame is green when
        ``correct``, red when not, grey without a target.
    shape : tuple of int
    max_side : int, optional

    Returns
    -------
    Sheet
    """
    with_target = [row[4] for row in rows]
    third = "target" if all(with_target) else "nearest" if not any(with_target) else "target/nearest"
    blocks = [
        Block(f"{printable(name)}: {verdict}", tiles, FRAME_COLOURS[correct])
        for name, verdict, tiles, correct, _ in rows
    ]
    return sheet(blocks, shape, titles=("cue", "recalled", third), min_side=96, max_side=max_side)


def pattern_sheet(
    tiles: Sequence[Tile], names: Sequence[str], shape: tuple[int, int], total: int | None = None
) -> Sheet:
    """Stored memories, each labelled with its name (``inspect --patterns``).

    ``total`` is the number of memories when ``tiles`` holds only the first ones.
    """
    blocks = [Block(printable(name), [tile]) for tile, name in zip(tiles, names, strict=True)]
    total = len(blocks) if total is None else total
    heading = f"{total} stored memories"
    if len(blocks) < total or most_blocks(shape, 1) < total:
        heading += " (the first ones that fit)"
    return sheet(blocks, shape, heading=heading, min_side=96)


def overlap_matrix(patterns: Any) -> tuple[NDArray[np.float64], int]:
    """Overlaps ``xi . xi' / N`` of the first :data:`MAX_OVERLAP_MEMORIES` binary patterns.

    Returns
    -------
    matrix : ndarray of shape (Q, Q), float64
    total : int
        P, the number of patterns (Q = min(P, MAX_OVERLAP_MEMORIES)).
    """
    x = np.asarray(patterns)
    first = x[:MAX_OVERLAP_MEMORIES].astype(np.float32)  # integer dot products below 2**24: exact
    return np.asarray(first @ first.T, dtype=np.float64) / x.shape[1], x.shape[0]


def correlation_matrix(memories: Any) -> tuple[NDArray[np.float64], int]:
    """Pearson correlations of the first :data:`MAX_OVERLAP_MEMORIES` grey/colour memories."""
    x = np.asarray(memories, dtype=np.float64).reshape(len(memories), -1)[:MAX_OVERLAP_MEMORIES]
    centred = x - x.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    norms[norms == 0] = 1.0
    unit = centred / norms[:, np.newaxis]
    return np.clip(unit @ unit.T, -1.0, 1.0), len(memories)


def _diverging(scaled: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Blue (-1) - white (0) - red (+1)."""
    positive, negative = np.clip(scaled, 0, 1), np.clip(-scaled, 0, 1)
    rgb = np.stack([1 - negative, 1 - positive - negative, 1 - positive], axis=-1)
    return np.asarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8))


#: Width of the row names beside a labelled heat map.
ROW_NAMES = 140


def heatmap(
    matrix: Any,
    title: str,
    note: str = "",
    *,
    limit: float | None = None,
    names: Sequence[str] | None = None,
) -> Any:
    """A matrix as a blue-white-red picture with a labelled colour bar.

    Parameters
    ----------
    matrix : array_like of shape (R, C)
    title, note : str
        Lines written above the picture (what it shows; what it leaves out).
    limit : float, optional
        Value drawn full red (and its negative full blue); default the
        largest absolute entry.
    names : sequence of str, optional
        Row names (a symmetric matrix: the columns are in the same order),
        written right of the matrix, in :data:`ROW_NAMES` pixels, when the rows
        are tall enough for text.

    Returns
    -------
    PIL.Image.Image
    """
    from PIL import Image

    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.size == 0:
        raise InvalidParameterError(f"heatmap: need a non-empty matrix, got shape {m.shape}")
    top = float(np.abs(m).max()) if limit is None else float(limit)
    top = top or 1.0
    zoom = max(1, math.ceil(256 / max(m.shape)))
    cells = _diverging(np.clip(m / top, -1.0, 1.0)).repeat(zoom, axis=0).repeat(zoom, axis=1)
    height, width = cells.shape[:2]
    bar_width, label_width = 24, 90
    named = names is not None and len(names) == m.shape[0] and zoom >= TEXT_PX + 2
    gutter = ROW_NAMES if named else 0
    lines = [line for line in (title, note) if line]
    header = len(lines) * LABEL + MARGIN
    total_width = max(MARGIN + width + gutter + MARGIN + bar_width + label_width, 480)
    image = Image.new("RGB", (total_width, header + height + MARGIN), BACKGROUND)
    for k, line in enumerate(lines):
        _draw_text(image, (MARGIN, MARGIN // 2 + k * LABEL), printable(line, 200), total_width - 2 * MARGIN)
    image.paste(Image.fromarray(cells), (MARGIN, header))
    if named and names is not None:
        for row, name in enumerate(names):
            y = header + row * zoom + (zoom - TEXT_PX) // 2 - 2
            _draw_text(image, (MARGIN + width + 6, y), printable(name), gutter - 8)
    ramp = np.linspace(1.0, -1.0, height)[:, np.newaxis].repeat(bar_width, axis=1)
    bar_left = MARGIN + width + gutter + MARGIN
    image.paste(Image.fromarray(_diverging(ramp)), (bar_left, header))
    text_left = bar_left + bar_width + 4
    for value, y in ((top, 0), (0.0, height // 2 - TEXT_PX // 2), (-top, height - TEXT_PX - 4)):
        text = "0" if value == 0 else f"{value:+.3g}"
        _draw_text(image, (text_left, header + max(0, y)), text, label_width - 6)
    return image


@dataclass(frozen=True)
class FrameLayout:
    """Where the picture sits in each animation frame (for readers and tests)."""

    left: int
    top: int
    zoom: float
    height: int
    width: int
    frame_width: int
    frame_height: int


def frame_layout(shape: tuple[int, int]) -> FrameLayout:
    """Geometry of :func:`animation` frames for pictures of ``shape``: long side 192-640 pixels."""
    long_side = max(shape)
    zoom: float = max(1, math.ceil(192 / long_side))
    if long_side * zoom > 640:
        zoom = 640 / long_side
    height, width = max(1, round(shape[0] * zoom)), max(1, round(shape[1] * zoom))
    frame_width = max(width + 2 * MARGIN, 300)
    left = (frame_width - width) // 2
    top = MARGIN // 2 + LABEL
    return FrameLayout(left, top, zoom, height, width, frame_width, top + height + 2 * LABEL + MARGIN // 2)


def animation(tiles: Sequence[Tile], captions: Sequence[str], shape: tuple[int, int], name: str) -> list[Any]:
    """Frames of a recall animation: the name above, each picture, its caption below.

    Parameters
    ----------
    tiles : sequence of Tile
        The run's pictures, first the cue.
    captions : sequence of str
        One or two lines per frame, separated by a newline (iteration, energy).
    shape : tuple of int
    name : str
        The cue's name.

    Returns
    -------
    list of PIL.Image.Image
    """
    from PIL import Image

    layout = frame_layout(shape)
    frames = []
    for tile, caption in zip(tiles, captions, strict=True):
        image = Image.new("RGB", (layout.frame_width, layout.frame_height), BACKGROUND)
        _draw_text(image, (MARGIN, MARGIN // 2), printable(name), layout.frame_width - 2 * MARGIN)
        pixels = _scaled(tile, layout.height, layout.width)
        image.paste(Image.fromarray(pixels), (layout.left, layout.top))
        for k, line in enumerate(caption.split("\n")[:2]):
            y = layout.top + layout.height + 4 + k * LABEL
            _draw_text(image, (MARGIN, y), line, layout.frame_width - 2 * MARGIN)
        frames.append(image)
    return frames


def save_gif(frames: Sequence[Any], path: str | os.PathLike[str], durations: Sequence[int]) -> None:
    """Write frames as a looping GIF atomically (no partial file on failure).

    Consecutive identical frames would be merged by the encoder; callers give
    each frame its own caption so that every one is kept.
    """
    from PIL import Image

    if not frames:
        raise InvalidParameterError("animation: no frames")
    palette = [
        frame.convert("P", palette=Image.Palette.ADAPTIVE, colors=256, dither=Image.Dither.NONE)
        for frame in frames
    ]
    with atomic_path(path) as temporary:
        palette[0].save(
            temporary,
            format="GIF",
            save_all=True,
            append_images=palette[1:],
            duration=list(durations),
            loop=0,
            disposal=1,
            optimize=False,
        )


def recall_animation(
    tiles: Sequence[Tile],
    phases: Sequence[str],
    iterations: Sequence[float],
    energies: Sequence[float],
    shape: tuple[int, int],
    name: str,
    status: str,
) -> tuple[list[Any], list[int]]:
    """Frames and durations (ms) of a recall run: the cue, each snapshot, then the result held.

    Parameters
    ----------
    tiles : sequence of Tile
        Pictures of the run's snapshots, first the cue, last the final state.
    phases, iterations, energies : sequences
        Of each snapshot (see :class:`hopfield_cli.dynamics.Snapshot`).
    shape : tuple of int
    name : str
        The cue's name, written above the picture.
    status : str
        How the run ended, written on the last frame.

    Returns
    -------
    frames : list of PIL.Image.Image
        At least three: the cue, one per snapshot after it, and the final
        state again, captioned with the status and held longest.
    durations : list of int
    """
    if not tiles:
        raise InvalidParameterError("animation: no snapshots")
    captions = []
    for k, (phase, iteration, energy) in enumerate(zip(phases, iterations, energies, strict=True)):
        if k == 0:
            where = "cue"
        elif phase == "sync":
            where = f"sync step {iteration:g}"
        elif phase == "async":
            where = f"async sweep {iteration:.2f}"
        else:
            where = f"update {iteration:g}"
        captions.append(f"{where}\nenergy {energy:.6g}")
    captions.append(f"result: {status}\nenergy {energies[-1]:.6g}")
    every = list(tiles) + [tiles[-1]]
    if len(every) < 3:  # a run that stopped at once: show the cue twice rather than skip a beat
        every.insert(1, every[0])
        captions.insert(1, captions[0].replace("cue", "cue (no step taken)", 1))
    frames = animation(every, captions, shape, name)
    middle = max(60, min(400, 3000 // max(1, len(frames) - 2)))
    durations = [900] + [middle] * (len(frames) - 2) + [2000]
    return frames, durations
