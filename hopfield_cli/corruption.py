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


# Grey-level and colour cues: intensities in [0, 1] of shape (N, C), with a
# mask of known pixels (unknown ones take no part in recall).
GREY_KINDS = ("gaussian", "saltpepper", "erase", "occlude", "half")
_GREY_FILL = {"black": 0.0, "white": 1.0}


def corrupt_values(
    values: Any,
    known: Any,
    shape: tuple[int, int],
    kind: str,
    noise: float,
    rng: RNGLike = None,
    *,
    per_pixel: bool = False,
    fill: str = "black",
    side: str = "bottom",
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Damage a grey or colour image.

    Parameters
    ----------
    values : array_like of shape (N,) or (N, C)
        Intensities in [0, 1]; C channels per pixel.
    known : array_like of shape (N,), bool, or None
        Known pixels (None: all).
    shape : tuple of int
        Image (height, width), ``height * width == N``.
    kind : {"gaussian", "saltpepper", "erase", "occlude", "half"}
        ``gaussian`` adds normal noise of standard deviation ``noise`` (a
        fraction of the intensity range) to every channel and clips to
        [0, 1]; ``saltpepper`` sets ``noise`` of the pixels to black or white
        at random; the others are as for binary patterns, ``fill`` giving
        black (0), white (1) or unknown.
    noise : float
        Standard deviation (gaussian, >= 0) or fraction in [0, 1].
    rng : numpy.random.Generator, int or None
    per_pixel, fill, side
        As for :func:`corrupt`.

    Returns
    -------
    values : ndarray of shape (N, C), float64
    known : ndarray of shape (N,), bool
    """
    check_choice("kind", kind, GREY_KINDS)
    check_choice("fill", fill, FILLS)
    check_choice("side", side, SIDES)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, np.newaxis]
    if arr.ndim != 2 or len(shape) != 2 or shape[0] * shape[1] != arr.shape[0]:
        raise InvalidParameterError(
            f"values of shape {np.shape(values)} do not fit image shape {tuple(shape)}"
        )
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError("values contain NaN or infinite values")
    out = np.clip(arr, 0.0, 1.0)
    mask = np.ones(arr.shape[0], dtype=bool) if known is None else np.asarray(known, dtype=bool).copy()
    if mask.shape != (arr.shape[0],):
        raise InvalidParameterError(f"known must have {arr.shape[0]} entries, got {np.shape(known)}")
    if kind == "gaussian":
        noise = float(noise)
        if not (np.isfinite(noise) and noise >= 0):
            raise InvalidParameterError(f"noise must be a finite number >= 0, got {noise}")
        out = np.clip(out + noise * as_rng(rng).standard_normal(out.shape), 0.0, 1.0)
        return out, mask
    noise = check_fraction("noise", noise)
    generator = as_rng(rng)
    if kind == "saltpepper":
        hit = _random_mask(out.shape[0], noise, generator, per_pixel)
        out[hit] = generator.integers(0, 2, size=int(hit.sum()))[:, np.newaxis].astype(np.float64)
        mask[hit] = True
        return out, mask
    if kind == "erase":
        region = _random_mask(out.shape[0], noise, generator, per_pixel)
    else:
        # The binary helpers on an all-white pattern mark the covered pixels.
        blank = np.ones(out.shape[0], dtype=np.int8)
        if kind == "occlude":
            region = occlude(blank, shape, noise, generator, fill="unknown") == 0
        else:
            region = half(blank, shape, noise, side=side, fill="unknown") == 0
    if kind == "erase" or fill == "unknown":
        mask[region] = False
    else:
        out[region] = _GREY_FILL[fill]
        mask[region] = True
    return out, mask
