"""Bytes of small array files, for tests that write valid and damaged inputs."""

from __future__ import annotations

import struct
import zipfile
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


def npy_header_only(shape: tuple[int, ...], dtype: str) -> bytes:
    """A ``.npy`` header declaring ``shape`` and ``dtype``, followed by no data."""
    buffer = BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def npz_declaring(arrays: dict[str, np.ndarray], huge: dict[str, tuple[tuple[int, ...], str]]) -> bytes:
    """An ``.npz`` of ``arrays`` plus members whose headers (and zip entries) declare ``huge`` sizes.

    The data is absent: only a loader that trusts the headers would try to allocate it.
    """
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, value in arrays.items():
            archive.writestr(f"{key}.npy", npy_bytes(value))
        for key, (shape, dtype) in huge.items():
            header = npy_header_only(shape, dtype)
            archive.writestr(f"{key}.npy", header)
            info = archive.getinfo(f"{key}.npy")
            # The central directory claims the whole array: what a deflated bomb would say.
            info.file_size = min(len(header) + int(np.prod(shape)) * np.dtype(dtype).itemsize, 2**32 - 1)
    return buffer.getvalue()


def ico_holding(frame: bytes) -> bytes:
    """An ``.ico`` whose directory says 256x256 and whose one frame is ``frame`` (a PNG)."""
    return struct.pack("<3H", 0, 1, 1) + struct.pack("<4B2H2I", 0, 0, 0, 0, 1, 32, len(frame), 22) + frame
