"""Handwriting-like digits drawn with Pillow: a stand-in for MNIST, which cannot be downloaded here.

Each digit is a glyph of Pillow's built-in font, drawn with a random stroke
width, size, slant, rotation and position on a 28 x 28 canvas (as MNIST),
then resized to the wanted side and binarized at its mean.  Deterministic
for a seed.  The digits are far more alike than random patterns (many
overlaps above 0.8), which is what makes "many small memories" hard.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_CANVAS = 28


def digits(count: int, side: int, seed: int = 0) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
    """``count`` binarized digit images of ``side`` x ``side`` and their labels (0-9).

    Returns
    -------
    patterns : ndarray of shape (count, side * side), int8 (-1/+1)
    labels : ndarray of shape (count,)
    """
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=count)
    out = np.empty((count, side * side), dtype=np.int8)
    for k, label in enumerate(labels):
        size = int(rng.integers(14, 22))
        font = ImageFont.load_default(size=size)
        glyph = Image.new("L", (_CANVAS * 2, _CANVAS * 2), 0)
        ImageDraw.Draw(glyph).text(
            (_CANVAS // 2, _CANVAS // 4),
            str(label),
            fill=255,
            font=font,
            stroke_width=int(rng.integers(0, 3)),
            stroke_fill=255,
        )
        shear = float(rng.uniform(-0.35, 0.35))
        glyph = glyph.transform(glyph.size, Image.Transform.AFFINE, (1, shear, -shear * _CANVAS, 0, 1, 0))
        glyph = glyph.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BILINEAR)
        box = glyph.getbbox() or (0, 0, glyph.width, glyph.height)
        glyph = glyph.crop(box)
        scale = 20 / max(glyph.size)
        glyph = glyph.resize(
            (max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))),
            Image.Resampling.LANCZOS,
        )
        canvas = Image.new("L", (_CANVAS, _CANVAS), 0)
        left = (_CANVAS - glyph.width) // 2 + int(rng.integers(-2, 3))
        top = (_CANVAS - glyph.height) // 2 + int(rng.integers(-2, 3))
        canvas.paste(glyph, (left, top))
        small = np.asarray(canvas.resize((side, side), Image.Resampling.BILINEAR), dtype=np.float64)
        out[k] = np.where(small.ravel() > small.mean(), 1, -1)
    return out, labels
