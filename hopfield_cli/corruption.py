"""Damaged cues: flipped bits, erased (unknown) pixels, occlusions, halves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_rng, as_states, check_choice, check_fraction
from hopfield_cli.errors import InvalidParameterError

if TYPE_CHECKING:
    from hopfield_cli._validate import RNGLike

KINDS = ("flip", "erase", "occlude", "half")
FILLS = ("black", "white", "unknown")
SIDES = ("top", "bottom", "left", "right")
_FILL_VALUE = {"black": -1, "white": 1, "unknown": 0}


def _count(noise: float, size: int) -> int:
    return int(round(noise * size))


def flip(pattern: Any, noise: float, rng: RNGLike = None, *, per_pixel: bool = False) -> NDArray[np.int8]:
    """Invert pixels of a pattern.

    Parameters
    ----------
    pattern : array_like of shape (N,)
        Values -1, 0, +1 (unknown pixels stay unknown).
    noise : float
        Fraction in [0, 1].  Exactly ``round(noise * N)`` pixels are inverted,
        or each pixel independently with probability ``noise`` if
        ``per_pixel``.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ndarray of shape (N,), int8
    """
    out = _as_vector(pattern)
    noise = check_fraction("noise", noise)
    generator = as_rng(rng)
    mask = _random_mask(out.size, noise, generator, per_pixel)
    out[mask] = -out[mask]
    return out


def erase(pattern: Any, noise: float, rng: RNGLike = None, *, per_pixel: bool = False) -> NDArray[np.int8]:
    """Mark pixels unknown (0), which the dynamics treat as casting no vote.

    Parameters are those of :func:`flip`.
    """
    out = _as_vector(pattern)
    noise = check_fraction("noise", noise)
    generator = as_rng(rng)
    out[_random_mask(out.size, noise, generator, per_pixel)] = 0
    return out


def occlude(
    pattern: Any, shape: tuple[int, int], noise: float, rng: RNGLike = None, *, fill: str = "black"
) -> NDArray[np.int8]:
    """Cover a block of ``noise`` of the image area, at a random place, with ``fill``.

    Parameters
    ----------
    pattern : array_like of shape (N,)
    shape : tuple of int
        Image (height, width), with ``height * width == N``.
    noise : float
        Fraction of the area covered; the block keeps the image's aspect ratio.
    rng : numpy.random.Generator, int or None
    fill : {"black", "white", "unknown"}
    """
    image = _as_image(pattern, shape)
    noise = check_fraction("noise", noise)
    check_choice("fill", fill, FILLS)
    generator = as_rng(rng)
    height, width = shape
    block_h = min(height, int(round(height * np.sqrt(noise))))
    block_w = min(width, int(round(width * np.sqrt(noise))))
    if block_h and block_w:
        top = int(generator.integers(0, height - block_h + 1))
        left = int(generator.integers(0, width - block_w + 1))
        image[top : top + block_h, left : left + block_w] = _FILL_VALUE[fill]
    return image.reshape(-1)


def half(
    pattern: Any, shape: tuple[int, int], noise: float = 0.5, *, side: str = "bottom", fill: str = "black"
) -> NDArray[np.int8]:
    """Blank the fraction ``noise`` of the image from one side (0.5: the classic half).

    Parameters
    ----------
    pattern : array_like of shape (N,)
    shape : tuple of int
        Image (height, width).
    noise : float
        Fraction of rows (top, bottom) or columns (left, right) blanked.
    side : {"top", "bottom", "left", "right"}
    fill : {"black", "white", "unknown"}
    """
    image = _as_image(pattern, shape)
    noise = check_fraction("noise", noise)
    check_choice("side", side, SIDES)
    check_choice("fill", fill, FILLS)
    value = _FILL_VALUE[fill]
    rows = _count(noise, shape[0])
    cols = _count(noise, shape[1])
    if side == "top" and rows:
        image[:rows] = value
    elif side == "bottom" and rows:
        image[-rows:] = value
    elif side == "left" and cols:
        image[:, :cols] = value
    elif side == "right" and cols:
        image[:, -cols:] = value
    return image.reshape(-1)


def corrupt(
    pattern: Any,
    shape: tuple[int, int],
    kind: str,
    noise: float,
    rng: RNGLike = None,
    *,
    per_pixel: bool = False,
    fill: str = "black",
    side: str = "bottom",
) -> NDArray[np.int8]:
    """Apply the corruption ``kind`` (one of :data:`KINDS`) to a pattern.

    See :func:`flip`, :func:`erase`, :func:`occlude` and :func:`half`.
    """
    check_choice("kind", kind, KINDS)
    if kind == "flip":
        return flip(pattern, noise, rng, per_pixel=per_pixel)
    if kind == "erase":
        return erase(pattern, noise, rng, per_pixel=per_pixel)
    if kind == "occlude":
        return occlude(pattern, shape, noise, rng, fill=fill)
    return half(pattern, shape, noise, side=side, fill=fill)


def _as_vector(pattern: Any) -> NDArray[np.int8]:
    arr = np.asarray(pattern)
    if arr.ndim != 1:
        raise InvalidParameterError(f"pattern must have shape (N,), got {arr.shape}")
    vector: NDArray[np.int8] = as_states("pattern", arr)[0].copy()
    return vector


def _as_image(pattern: Any, shape: tuple[int, int]) -> NDArray[np.int8]:
    vector = _as_vector(pattern)
    if len(shape) != 2 or shape[0] * shape[1] != vector.size:
        raise InvalidParameterError(f"shape {tuple(shape)} does not match a pattern of {vector.size} pixels")
    return vector.reshape(shape)


def _random_mask(size: int, noise: float, rng: np.random.Generator, per_pixel: bool) -> NDArray[np.bool_]:
    if per_pixel:
        return np.asarray(rng.random(size) < noise)
    mask = np.zeros(size, dtype=bool)
    mask[rng.choice(size, _count(noise, size), replace=False)] = True
    return mask
