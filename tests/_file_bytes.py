"""Bytes of small array files, for tests that write valid and damaged inputs."""

from __future__ import annotations

import struct
from io import BytesIO

import numpy as np


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def idx_bytes(array: np.ndarray, declared: tuple[int, ...] | None = None) -> bytes:
    """An uncompressed uint8 IDX file; ``declared`` overrides the shape in its header."""
    shape = declared if declared is not None else array.shape
    return (
        bytes([0, 0, 0x08, len(shape)])
        + struct.pack(f">{len(shape)}I", *shape)
        + array.astype(">u1").tobytes()
    )
