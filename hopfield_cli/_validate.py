"""Small validation helpers shared by the public functions."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from hopfield_cli.errors import InvalidParameterError

if TYPE_CHECKING:
    # Only for annotations: touching np.random at import time would load
    # numpy.random (~10 ms) in commands that draw no random numbers.
    RNGLike: TypeAlias = np.random.Generator | int | None


def as_rng(rng: RNGLike) -> np.random.Generator:
    """Normalise ``rng`` (seed, Generator or None) to a Generator."""
    if isinstance(rng, bool) or not (rng is None or isinstance(rng, int | np.random.Generator)):
        raise InvalidParameterError(f"rng must be an int seed, a numpy Generator or None, got {rng!r}")
    if isinstance(rng, int) and rng < 0:
        raise InvalidParameterError(f"seed must be >= 0, got {rng}")
    return np.random.default_rng(rng)


def check_fraction(name: str, value: float) -> float:
    """Return ``value`` as float if it lies in [0, 1], else raise."""
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidParameterError(f"{name} must be between 0 and 1, got {value}")
    return value


def check_positive_int(name: str, value: int, *, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int >= 1 (and <= ``maximum``), else raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidParameterError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise InvalidParameterError(f"{name} must be at least 1, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidParameterError(f"{name} must be at most {maximum}, got {value}")
    return int(value)


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as float if it is finite and >= 0, else raise."""
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InvalidParameterError(f"{name} must be a finite number >= 0, got {value}")
    return value


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing them."""
    if value not in choices:
        raise InvalidParameterError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def as_states(name: str, states: Any, n_neurons: int | None = None) -> NDArray[np.int8]:
    """Coerce a state or batch of states to a 2-D int8 array of -1, 0, +1."""
    arr = np.asarray(states)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise InvalidParameterError(f"{name} must have shape (N,) or (B, N), got {np.shape(states)}")
    if n_neurons is not None and arr.shape[1] != n_neurons:
        raise InvalidParameterError(f"{name} must have {n_neurons} neurons per state, got {arr.shape[1]}")
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_:
        raise InvalidParameterError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.dtype != np.int8:
        if not np.all(np.isin(arr, (-1, 0, 1))):
            raise InvalidParameterError(f"{name} must contain only -1, 0 and +1")
        arr = arr.astype(np.int8)
    elif arr.size and (arr.min() < -1 or arr.max() > 1):
        raise InvalidParameterError(f"{name} must contain only -1, 0 and +1")
    return arr


def as_patterns(patterns: Any) -> NDArray[np.int8]:
    """Coerce stored patterns to a non-empty (P, N) int8 array of -1 and +1."""
    arr = as_states("patterns", patterns)
    if np.any(arr == 0):
        raise InvalidParameterError("patterns must contain only -1 and +1 (no unknown 0 entries)")
    return np.ascontiguousarray(arr)
