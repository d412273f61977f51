"""Reading ``.npy``/``.npz`` files that may be damaged or hostile.

``np.load(allow_pickle=False)`` refuses pickles, but it trusts array headers
(a 100-byte file can ask for terabytes), hands back raw bytes for archive
members that are not arrays, and lets ``zipfile`` and ``zlib`` errors through.
:func:`load_arrays` reads every header first, checks it against the data
actually present, lets the caller vet the headers, and only then reads data.
Every problem with the content is an :class:`ArrayFileError` (a ``ValueError``)
whose message does not repeat the file name: callers add it and choose their
own error type.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli.errors import HopfieldError

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an empty archive starts with the second
_NPY_MAGIC = b"\x93NUMPY"
# What zipfile, zlib and numpy's header parser raise on malformed input.
_DAMAGE = (
    ValueError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    NotImplementedError,  # unsupported compression method
    RuntimeError,  # encrypted member
    OverflowError,
    tokenize.TokenError,  # numpy re-tokenizes some malformed headers
)


class ArrayFileError(ValueError):
    """The file is not a well-formed, pickle-free ``.npy``/``.npz`` file."""


@dataclass(frozen=True)
class ArrayHeader:
    """What a ``.npy`` header (or an ``.npz`` member's header) declares."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]


def load_arrays(
    path: str | os.PathLike[str],
    check: Callable[[bool, Sequence[ArrayHeader]], None] | None = None,
    *,
    only: Collection[str] | None = None,
) -> tuple[bool, list[tuple[str, NDArray[Any]]]]:
    """Read every array in a ``.npy`` or ``.npz`` file, headers first.

    Parameters
    ----------
    path : path-like
    check : callable, optional
        Called as ``check(is_archive, headers)`` after every header has been
        read and before any data is: raise to refuse the file (too large,
        wrong keys...).  Its exceptions propagate unchanged.
    only : collection of str, optional
        Read only these members of an archive (those present); the others
        are not even parsed.

    Returns
    -------
    is_archive : bool
        True for an ``.npz`` archive, False for a ``.npy`` file.
    arrays : list of (str, ndarray)
        ``(stem, array)`` for a ``.npy`` file; ``(key, array)`` per member, in
        archive order, for an ``.npz`` file.

    Raises
    ------
    ArrayFileError
        If the file is empty, of another type, truncated or damaged, holds
        members that are not arrays, or arrays of Python objects (which are
        never unpickled).
    OSError
        If the file cannot be opened or read.
    """
    file = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
        handle = open(os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")
        with handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ArrayFileError("not a regular file")
            magic = handle.read(len(_NPY_MAGIC))
            if not magic:
                raise ArrayFileError("file is empty")
            if magic == _NPY_MAGIC:
                handle.seek(0)
                header = _read_header(handle, file.stem, os.fstat(handle.fileno()).st_size)
                if check is not None:
                    check(False, [header])
                handle.seek(0)
                return False, [(header.name, np.lib.format.read_array(handle, allow_pickle=False))]
            if magic.startswith(_ZIP_MAGIC):
                handle.seek(0)
                return True, _load_npz(handle, check, only)
    except (ArrayFileError, HopfieldError):
        raise  # ours, or the caller's refusal from ``check``
    except _DAMAGE as exc:
        raise ArrayFileError(f"damaged or truncated file ({exc.__class__.__name__}: {exc})") from exc
    raise ArrayFileError(f"not a .npy or .npz file (it starts with {magic!r})")


def _load_npz(
    file: IO[bytes],
    check: Callable[[bool, Sequence[ArrayHeader]], None] | None,
    only: Collection[str] | None,
) -> list[tuple[str, NDArray[Any]]]:
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
        names = [info.filename for info in members]
        for info in members:
            if not info.filename.endswith(".npy"):
                raise ArrayFileError(f"archive member {info.filename!r} is not a .npy array")
            if names.count(info.filename) > 1:
                raise ArrayFileError(f"archive member {info.filename!r} appears more than once")
        if only is not None:
            members = [info for info in members if info.filename[: -len(".npy")] in only]
        headers = []
        for info in members:
            with archive.open(info) as member:
                headers.append(_read_header(member, info.filename[: -len(".npy")], info.file_size))
        if check is not None:
            check(True, headers)
        arrays = []
        for info, header in zip(members, headers, strict=True):
            with archive.open(info) as member:
                arrays.append((header.name, np.lib.format.read_array(member, allow_pickle=False)))
        return arrays


def _read_header(handle: IO[bytes], name: str, size: int) -> ArrayHeader:
    """Parse a ``.npy`` header and check that the file holds the data it declares."""
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    else:
        raise ArrayFileError(f"array {name!r} uses unsupported .npy format version {version}")
    if dtype.hasobject:
        raise ArrayFileError(f"array {name!r} holds Python objects (dtype {dtype}); refusing to unpickle it")
    needed = math.prod(shape) * dtype.itemsize
    available = size - handle.tell()
    if needed > available:
        raise ArrayFileError(
            f"array {name!r} of shape {tuple(shape)} needs {needed} bytes of data but the file "
            f"holds {max(available, 0)}: truncated or damaged"
        )
    return ArrayHeader(name, tuple(int(d) for d in shape), dtype)
