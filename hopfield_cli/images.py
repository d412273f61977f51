"""Image and pattern-stack I/O: files -> grayscale arrays -> +/-1 patterns -> PNG.

Inputs may be any Pillow-readable image, ``.npy``/``.npz`` stacks of images,
or MNIST-format IDX files (optionally gzipped).  Folders contribute the files
they contain; files of no known type are reported back as skipped.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
import struct
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._atomic import atomic_path
from hopfield_cli._npyio import ArrayFileError, ArrayHeader, load_arrays
from hopfield_cli._validate import as_states, check_choice, check_positive_int
from hopfield_cli.errors import (
    ImageReadError,
    ImageWarning,
    InvalidParameterError,
    NoInputError,
    PixelLimitError,
)
from hopfield_cli.options import (
    DEFAULT_BINARIZE,
    DEFAULT_FIT,
    DEFAULT_MAX_PIXELS,
    FIT_NAMES,
    NO_BINARIZE,
    parse_binarize,
)

ARRAY_SUFFIXES = (".npy", ".npz")
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IMAGE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".pgm",
    ".ppm",
    ".pbm",
    ".pnm",
    ".ico",
)
# What Image.open may try: raster formats only.  Pillow would otherwise pick a
# plugin by the file's bytes, whatever its suffix: EPS and PDF hand the file to
# Ghostscript, and exotic plugins (DDS, BLP, ...) raise tracebacks on damage.
PILLOW_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM", "ICO")
_GRAY_UNKNOWN = 128
_MID_GREY = 127.5
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_name(text: str) -> str:
    """``text`` made usable as one file name: separators and control characters become ``_``.

    Names of stored memories become output file names; a name taken from an
    archive member (``x/../../victim``) must not reach outside the output folder.

    Examples
    --------
    >>> safe_name("x/../../victim")
    'x_.._.._victim'
    """
    name = _UNSAFE_NAME.sub("_", text)
    return "_" if name in ("", ".", "..") else name


@dataclass(frozen=True)
class GrayImage:
    """One input image as floating-point gray levels.

    Attributes
    ----------
    name : str
        Name used for outputs and stored memories (the file stem, plus an
        index for stacks).
    pixels : ndarray of shape (H, W), float32
        Gray levels in [0, 255]; transparent pixels are composited on white.
    known : ndarray of shape (H, W), bool, or None
        False where the image marks a pixel unknown (alpha below 128, or 0 in
        a -1/0/+1 array).  None when every pixel is known.
    color : ndarray of shape (H, W, 3), float32, or None
        RGB levels in [0, 255] (composited on white like ``pixels``) for
        images whose pixels are not all grey; None otherwise.
    """

    name: str
    pixels: NDArray[np.float32]
    known: NDArray[np.bool_] | None = None
    color: NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Source:
    """An input file and how to read it (``"image"``, ``"array"`` or ``"idx"``)."""

    path: Path
    kind: str


def find_inputs(
    paths: Iterable[str | os.PathLike[str]], *, recursive: bool = False
) -> tuple[list[Source], list[Path]]:
    """Expand files and folders into readable sources.

    Parameters
    ----------
    paths : iterable of path-like
        Files and/or folders; folders are read in name order, hidden files
        and folders excluded.
    recursive : bool, optional
        Also read the subfolders of folders (symbolic links to folders are
        not followed: they could loop).  Without it, subfolders are skipped
        and reported.

    Returns
    -------
    sources : list of Source
    skipped : list of Path
        Files inside folders that are of no known type, and (without
        ``recursive``) the subfolders not read.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    NoInputError
        If nothing readable was found.
    """
    sources: list[Source] = []
    skipped: list[Path] = []
    named = [Path(p) for p in paths]
    if not named:
        raise NoInputError("no input files or folders given")

    def walk(top: Path) -> None:
        # Depth first in name order, with a stack of folders instead of recursion: a tree
        # deeper than Python's recursion limit (1,000 levels is a legal path) must not crash.
        stack = [iter(sorted(top.iterdir()))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            if child.name.startswith("."):
                continue
            if child.is_dir():
                if recursive and not child.is_symlink():
                    stack.append(iter(sorted(child.iterdir())))
                elif not recursive:
                    skipped.append(child)
                continue
            if not child.is_file():
                continue
            kind = _kind(child)
            if kind is None:
                skipped.append(child)
            else:
                sources.append(Source(child, kind))

    for path in named:
        if path.is_dir():
            walk(path)
        elif path.is_file():
            sources.append(Source(path, _kind(path) or "image"))
        elif path.exists():
            raise ImageReadError(f"{path}: not a regular file or folder")
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    if not sources:
        where = ", ".join(str(p) for p in named)
        folders = [p for p in skipped if p.is_dir()]
        hint = f" (it has {len(folders)} subfolder(s): add --recursive to read them)" if folders else ""
        raise NoInputError(f"{where}: no images found{hint}")
    return sources, skipped


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        return "image"
    if suffix in ARRAY_SUFFIXES:
        return "array"
    if _looks_like_idx(path):
        return "idx"
    return None


def _looks_like_idx(path: Path) -> bool:
    try:
        with _open_maybe_gzip(path) as handle:
            head = handle.read(4)
    except (OSError, EOFError, zlib.error):
        return False
    return len(head) == 4 and head[:2] == b"\0\0" and head[2] in _IDX_DTYPES and 1 <= head[3] <= 4


def _open_maybe_gzip(path: Path) -> Any:
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic != b"\x1f\x8b":
        return open(path, "rb")
    import gzip  # only MNIST-style .gz files need it

    return gzip.open(path, "rb")


def read_source(
    source: Source, *, max_pixels: int = DEFAULT_MAX_PIXELS, limit: int | None = None
) -> list[GrayImage]:
    """Read every image in ``source`` (at most ``limit`` of them).

    ``max_pixels`` bounds the pixels of each image and, for ``.npy``/``.npz``
    stacks and IDX files, of all the images in the file together; it is
    checked against the headers, before anything is decoded.

    Raises
    ------
    ImageReadError
        If the file is empty, truncated, of the wrong type, too large or holds
        values that are not images.  The message starts with the file name.
    FileNotFoundError
        If the file does not exist.
    """
    check_positive_int("max_pixels", max_pixels)
    if limit is not None:
        check_positive_int("limit", limit)
    path = source.path
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or device would block or never end: regular files only.
            raise ImageReadError(f"{path}: not a regular file")
        if info.st_size == 0:
            raise ImageReadError(f"{path}: file is empty")
        if source.kind == "array":
            return _read_array_file(path, max_pixels, limit)
        if source.kind == "idx":
            return _read_idx(path, max_pixels, limit)
        return [_read_image(path, max_pixels)]
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: no such file") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise ImageReadError(f"{path}: cannot read file ({exc.__class__.__name__}: {exc})") from exc


def load_images(
    paths: Iterable[str | os.PathLike[str]],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    limit: int | None = None,
    recursive: bool = False,
) -> list[GrayImage]:
    """Read all images named by ``paths`` (files and folders), in order, at their own size.

    See :func:`find_inputs` and :func:`read_sources`; :func:`fit` brings them to a size.
    """
    sources, _ = find_inputs(paths, recursive=recursive)
    return read_sources(sources, max_pixels=max_pixels, limit=limit)


def read_sources(
    sources: Iterable[Source],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    shape: tuple[int, int] | None = None,
    fit_mode: str = DEFAULT_FIT,
    default_shape: tuple[int, int] | None = None,
) -> list[GrayImage]:
    """Read the images of ``sources`` in order, stopping after ``limit`` images.

    ``progress``, if given, is called with 1 after each source.  With
    ``shape``, each image is brought to it (see :func:`fit`, with
    ``fit_mode``) as soon as it is read, so that memory holds one full-size
    image at a time.  With ``default_shape`` instead, the shape is chosen
    from the sources: the native size of the first stack's images when every
    source is a ``.npy``/``.npz`` stack or IDX file (a 25x25 stack stays
    25x25), else ``default_shape``.  See :func:`read_source` for the errors.
    """
    images: list[GrayImage] = []
    sources = list(sources)
    native = default_shape is not None and shape is None and all(s.kind != "image" for s in sources)
    if shape is None and not native:
        shape = default_shape
    for source in sources:
        remaining = None if limit is None else limit - len(images)
        read = read_source(source, max_pixels=max_pixels, limit=remaining)
        if native and shape is None and read:
            shape = (int(read[0].pixels.shape[0]), int(read[0].pixels.shape[1]))
        images.extend(read if shape is None else [fit(image, shape, fit_mode) for image in read])
        del read
        if progress is not None:
            progress(1)
        if limit is not None and len(images) >= limit:
            break
    return images


def fit(image: GrayImage, shape: tuple[int, int], mode: str = DEFAULT_FIT) -> GrayImage:
    """``image`` brought to ``shape`` (height, width).

    Parameters
    ----------
    image : GrayImage
    shape : tuple of int
        Target (height, width).
    mode : {"stretch", "crop", "pad"}
        ``stretch`` resamples the whole image to ``shape``, as
        :func:`to_pattern` and :func:`to_values` do (so fitting first gives
        the same patterns, bit for bit, from a fraction of the memory), and
        issues an :class:`~hopfield_cli.errors.ImageWarning` when that changes
        the aspect ratio by more than 1 %.  ``crop`` cuts the centre of the
        target's aspect ratio out of the image first; ``pad`` scales the
        whole image into the target and fills the margins with white.

    Returns
    -------
    GrayImage
    """
    check_choice("fit", mode, FIT_NAMES)
    height, width = image.pixels.shape
    if (height, width) == tuple(shape):
        return image
    target = shape[1] / shape[0]
    aspect = width / height
    distorted = abs(math.log(aspect / target)) > math.log(1.01)
    if mode == "crop" and distorted:
        if aspect > target:
            keep = max(1, round(height * target))
            left = (width - keep) // 2
            box = (slice(None), slice(left, left + keep))
        else:
            keep = max(1, round(width / target))
            top = (height - keep) // 2
            box = (slice(top, top + keep), slice(None))
        image = GrayImage(
            image.name,
            np.ascontiguousarray(image.pixels[box]),
            None if image.known is None else np.ascontiguousarray(image.known[box]),
            None if image.color is None else np.ascontiguousarray(image.color[box]),
        )
    elif mode == "pad" and distorted:
        if aspect > target:
            inner = (max(1, round(shape[1] / aspect)), shape[1])
        else:
            inner = (shape[0], max(1, round(shape[0] * aspect)))
        small = _resample(image, inner)
        top, left = (shape[0] - inner[0]) // 2, (shape[1] - inner[1]) // 2
        rows, columns = slice(top, top + inner[0]), slice(left, left + inner[1])
        pixels = np.full(shape, 255.0, dtype=np.float32)
        pixels[rows, columns] = small.pixels
        known = None
        if small.known is not None:
            known = np.ones(shape, dtype=bool)
            known[rows, columns] = small.known
        color = None
        if small.color is not None:
            color = np.full((*shape, 3), 255.0, dtype=np.float32)
            color[rows, columns] = small.color
        return GrayImage(image.name, pixels, known, color)
    elif distorted:
        warnings.warn(
            ImageWarning(
                f"{image.name}: {width}x{height} stretched to {shape[1]}x{shape[0]} (aspect ratio "
                f"{_ratio(aspect)} -> {_ratio(target)}); --fit crop or --fit pad keeps its shape"
            ),
            stacklevel=2,
        )
    return _resample(image, shape)


def _ratio(value: float) -> str:
    """An aspect ratio in a few digits; a tall strip's (1/300) as ``0.00333``, never ``0.00``."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def _resample(image: GrayImage, shape: tuple[int, int]) -> GrayImage:
    if image.pixels.shape == tuple(shape):
        return image
    known = None if image.known is None else _resize(image.known.astype(np.float32) * 255.0, shape) >= 127.5
    color = None
    if image.color is not None:
        color = np.stack(
            [_resize(np.ascontiguousarray(image.color[..., k]), shape) for k in range(3)], axis=-1
        )
    return GrayImage(image.name, _resize(image.pixels, shape), known, color=color)


def _ico_frame_sizes(path: Path) -> list[tuple[int, int]]:
    """Sizes of the sub-images of an ICO file, from their own headers.

    Pillow decodes an icon's largest frame while opening it, trusting the
    directory's 256x256; the PNG inside may say 50,000 x 50,000.
    """
    sizes: list[tuple[int, int]] = []
    with open(path, "rb") as handle:
        head = handle.read(6)
        if len(head) < 6 or head[:4] != b"\0\0\1\0":
            return sizes
        directory = handle.read(16 * struct.unpack("<H", head[4:6])[0])
        for k in range(len(directory) // 16):
            offset = struct.unpack("<I", directory[16 * k + 12 : 16 * k + 16])[0]
            handle.seek(offset)
            frame = handle.read(24)
            if frame[:8] == b"\x89PNG\r\n\x1a\n" and len(frame) == 24:
                sizes.append(struct.unpack(">II", frame[16:24]))
            elif len(frame) >= 12:
                width, height = struct.unpack("<ii", frame[4:12])  # a DIB: its height counts the mask too
                sizes.append((abs(width), abs(height) // 2))
    return sizes


def _check_pixels(path: Path, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise PixelLimitError(
            f"{path}: image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}",
            limit=max_pixels,
        )


def _read_image(path: Path, max_pixels: int) -> GrayImage:
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        # We enforce our own pixel limit below, before decoding.  Pillow's other warnings
        # ("Possibly corrupt EXIF data"...) concern metadata: the pixels decode, or it raises.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", module=r"PIL\.")
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            for width, height in _ico_frame_sizes(path):
                _check_pixels(path, width, height, max_pixels)
            with Image.open(path, formats=PILLOW_FORMATS) as im:
                _check_pixels(path, *im.size, max_pixels)
                im.load()
                return _gray_image(path, _upright(im))
        except UnidentifiedImageError as exc:
            raise ImageReadError(
                f"{path}: not a readable image in a supported format ({', '.join(PILLOW_FORMATS)})"
            ) from exc
        except (SyntaxError, ValueError) as exc:  # Pillow reports some corrupt headers so
            raise ImageReadError(f"{path}: corrupt image ({exc})") from exc
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit


def _upright(im: Any) -> Any:
    """``im`` turned as its EXIF Orientation says (a phone photo held sideways), as viewers show it."""
    try:
        orientation = im.getexif().get(0x0112, 1)
    except (SyntaxError, ValueError, OSError, struct.error):  # damaged EXIF: the pixels as stored
        return im
    if orientation in (None, 1):
        return im
    from PIL import ImageOps  # only for turned photos: it is not free at start-up

    try:
        return ImageOps.exif_transpose(im)
    except (SyntaxError, ValueError, OSError, struct.error, KeyError):
        return im


def _gray_image(path: Path, im: Any) -> GrayImage:
    name = path.stem
    if im.mode in ("I", "F") or im.mode.startswith("I;"):
        values = np.asarray(im, dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ImageReadError(f"{path}: image holds NaN or infinite values")
        return GrayImage(name, _stretch(values))
    has_alpha = "A" in im.getbands() or "transparency" in im.info
    color = _color(im, has_alpha)
    if not has_alpha:
        return GrayImage(name, np.asarray(im.convert("L"), dtype=np.float32), color=color)
    rgba = np.asarray(im.convert("RGBA"), dtype=np.float32)
    lum = np.asarray(im.convert("RGBA").convert("L"), dtype=np.float32)
    alpha = rgba[..., 3] / 255.0
    pixels = (lum * alpha + 255.0 * (1.0 - alpha)).astype(np.float32)
    known = rgba[..., 3] >= 128
    return GrayImage(name, pixels, None if known.all() else known, color=color)


def _color(im: Any, has_alpha: bool) -> NDArray[np.float32] | None:
    """RGB levels of a colour image (on white where transparent), None for grey ones."""
    if im.mode in ("1", "L", "LA", "La"):
        return None
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:] / 255.0
        rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    else:
        rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    if np.all(rgb[..., 0] == rgb[..., 1]) and np.all(rgb[..., 1] == rgb[..., 2]):
        return None
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _stretch(values: NDArray[Any]) -> NDArray[np.float32]:
    """Map arbitrary finite values linearly onto [0, 255]."""
    # float64 and halving keep ``high - low`` finite for any finite input (float16, +-1e308).
    values = np.asarray(values, dtype=np.float64) / 2.0
    low, high = float(values.min()), float(values.max())
    if high == low:
        return np.full(values.shape, 255.0 if high > 0 else 0.0, dtype=np.float32)
    return ((values - low) / (high - low) * 255.0).astype(np.float32)


def _read_array_file(path: Path, max_pixels: int, limit: int | None) -> list[GrayImage]:
    def check(_is_archive: bool, headers: Sequence[ArrayHeader]) -> None:
        if not headers:
            raise ImageReadError(f"{path}: archive holds no arrays")
        total = 0
        for header in headers:
            _check_stack(path, header.name, header.shape, header.dtype, max_pixels)
            total += math.prod(header.shape)
        if total > max_pixels:
            raise PixelLimitError(
                f"{path}: holds {total} pixels in all, over the limit of {max_pixels}", limit=max_pixels
            )

    try:
        is_archive, loaded = load_arrays(path, check)
    except ArrayFileError as exc:
        raise ImageReadError(f"{path}: {exc}") from exc
    # Member names are the archive's say: never let one become a path.
    arrays = [(safe_name(f"{path.stem}-{key}") if is_archive else key, array) for key, array in loaded]
    images: list[GrayImage] = []
    for name, array in arrays:
        images.extend(_images_from_array(path, name, array, max_pixels))
        if limit is not None and len(images) >= limit:
            return images[:limit]
    return images


def _check_stack(
    path: Path, name: str, shape: tuple[int, ...], dtype: np.dtype[Any], max_pixels: int
) -> None:
    """Refuse an array, from its shape and dtype alone, unless it is a non-empty image stack."""
    if len(shape) not in (2, 3):
        raise ImageReadError(f"{path}: array {name!r} has shape {shape}; expected (H, W) or (K, H, W)")
    if 0 in shape:
        raise ImageReadError(f"{path}: array {name!r} is empty (shape {shape})")
    if dtype.kind not in "biuf":
        raise ImageReadError(f"{path}: array {name!r} has dtype {dtype}; expected numbers")
    height, width = shape[-2:]
    if height * width > max_pixels:
        raise PixelLimitError(
            f"{path}: images of {width}x{height} = {height * width} pixels exceed the limit of {max_pixels}",
            limit=max_pixels,
        )


def _images_from_array(path: Path, name: str, array: NDArray[Any], max_pixels: int) -> list[GrayImage]:
    _check_stack(path, name, array.shape, array.dtype, max_pixels)
    if array.ndim == 2:
        stack, names = array[np.newaxis], [name]
    else:
        width = len(str(len(array) - 1))
        stack, names = array, [f"{name}-{k:0{width}d}" for k in range(len(array))]
    if stack.dtype == np.bool_:
        stack = stack.astype(np.int8)
    if not np.all(np.isfinite(stack)):
        raise ImageReadError(f"{path}: array {name!r} contains NaN or infinite values")
    values = np.unique(stack)
    known: NDArray[np.bool_] | None = None
    if set(values.tolist()) <= {-1, 0, 1}:
        if -1 in values:
            # A pattern stack: -1/+1, with 0 marking unknown pixels.
            known = stack != 0
            pixels = np.where(stack > 0, 255.0, 0.0)
        else:
            pixels = stack * 255.0
    elif values.min() >= 0 and values.max() <= 255 and np.issubdtype(stack.dtype, np.integer):
        pixels = stack.astype(np.float64)
    elif values.min() >= 0 and values.max() <= 1:
        pixels = stack * 255.0
    else:
        pixels = np.stack([_stretch(image) for image in stack])
    return [
        GrayImage(n, pixels[k].astype(np.float32), None if known is None or known[k].all() else known[k])
        for k, n in enumerate(names)
    ]


def _read_idx(path: Path, max_pixels: int, limit: int | None) -> list[GrayImage]:
    stem = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
    stem = Path(stem).stem if Path(stem).suffix.lower() == ".idx" else stem
    with _open_maybe_gzip(path) as handle:
        head = handle.read(4)
        if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in _IDX_DTYPES:
            raise ImageReadError(f"{path}: not an IDX file (bad magic number)")
        ndim = head[3]
        dims_raw = handle.read(4 * ndim)
        if len(dims_raw) < 4 * ndim:
            raise ImageReadError(f"{path}: truncated IDX header")
        dims = [int(d) for d in np.frombuffer(dims_raw, dtype=">u4")]
        if ndim == 1:
            raise ImageReadError(f"{path}: IDX file holds a vector (labels?), not images")
        if ndim not in (2, 3):
            raise ImageReadError(f"{path}: IDX file has {ndim} dimensions; expected 2 or 3")
        shape = dims if ndim == 3 else [1, *dims]
        count = shape[0] if limit is None else min(limit, shape[0])
        if count == 0 or shape[1] * shape[2] == 0:
            raise ImageReadError(f"{path}: IDX file holds no images")
        # Checked on the header alone: nothing is read before the sizes are known to be sane.
        dtype = np.dtype(_IDX_DTYPES[head[2]])
        _check_stack(path, stem, (count, shape[1], shape[2]), dtype, max_pixels)
        if count * shape[1] * shape[2] > max_pixels:
            raise PixelLimitError(
                f"{path}: {count} images of {shape[2]}x{shape[1]} exceed the limit of {max_pixels} pixels "
                "in all",
                limit=max_pixels,
                stack=True,
            )
        needed = count * shape[1] * shape[2] * dtype.itemsize
        plain = isinstance(handle, io.BufferedReader)  # gzip.open gives a GzipFile
        if plain and path.stat().st_size - handle.tell() < needed:
            raise ImageReadError(f"{path}: truncated IDX data (fewer than the {needed} bytes declared)")
        data = handle.read(needed)
    if len(data) < needed:
        raise ImageReadError(f"{path}: truncated IDX data ({len(data)} of {needed} bytes)")
    stack = np.frombuffer(data, dtype=dtype).reshape(count, shape[1], shape[2])
    return _images_from_array(path, stem, stack, max_pixels)


def binarize(pixels: Any, method: str = DEFAULT_BINARIZE, known: Any = None) -> NDArray[np.int8]:
    """Turn gray levels into a +/-1 image.

    Parameters
    ----------
    pixels : array_like of shape (H, W)
        Gray levels in [0, 255].
    method : str
        ``mean`` (brighter than the mean is +1), ``otsu`` (Otsu's threshold),
        ``dither`` (Floyd-Steinberg error diffusion) or a level ``"0"`` to
        ``"255"`` (brighter than the level is +1).
    known : array_like of shape (H, W), bool, optional
        Pixels to use for the threshold; the others become 0 (unknown).

    Returns
    -------
    ndarray of shape (H, W), int8
        +1 for white, -1 for black, 0 for unknown.  A blank image (one grey
        level) under ``mean`` or ``otsu`` keeps its colour: white or light
        grey +1, black or dark grey -1.

    Examples
    --------
    >>> binarize([[0, 100], [200, 255]]).tolist()
    [[-1, -1], [1, 1]]
    """
    method = parse_binarize(method)
    if method == NO_BINARIZE:
        raise InvalidParameterError("binarize 'none' keeps grey levels: use to_values, not binarize")
    gray = np.asarray(pixels, dtype=np.float64)
    if gray.ndim != 2:
        raise InvalidParameterError(f"pixels must have shape (H, W), got {gray.shape}")
    mask = np.ones(gray.shape, dtype=bool) if known is None else np.asarray(known, dtype=bool)
    values = gray[mask]
    if method == "dither":
        from PIL import Image

        filled = np.where(mask, gray, _GRAY_UNKNOWN).clip(0, 255).round().astype(np.uint8)
        dithered = np.asarray(Image.fromarray(filled).convert("1"), dtype=bool)
        out = np.where(dithered, 1, -1).astype(np.int8)
    elif _is_blank(values) and method in ("mean", "otsu"):
        # A threshold between equal levels is arbitrary (mean made white black): mid-grey decides.
        out = np.where(gray > _MID_GREY, 1, -1).astype(np.int8)
    else:
        if method == "mean":
            level = float(values.mean()) if values.size else 0.0
        elif method == "otsu":
            level = _otsu(values)
        else:
            level = float(method)
        out = np.where(gray > level, 1, -1).astype(np.int8)
    out[~mask] = 0
    return out


def _is_blank(values: NDArray[Any]) -> bool:
    """Whether every value is one level (within half a grey level: resampling wobbles)."""
    return bool(values.size) and float(values.max()) - float(values.min()) < 0.5


def _otsu(values: NDArray[np.float64]) -> float:
    """Otsu's threshold on 256 gray levels (pixels above it are white)."""
    if values.size == 0:
        return 0.0
    hist = np.bincount(values.clip(0, 255).round().astype(np.int64), minlength=256).astype(np.float64)
    weight = np.cumsum(hist)
    total = weight[-1]
    cum_mean = np.cumsum(hist * np.arange(256))
    background = weight[:-1]
    foreground = total - background
    valid = (background > 0) & (foreground > 0)
    if not valid.any():
        return float(values.max()) - 0.5
    between = np.zeros(255)
    mu_back = cum_mean[:-1][valid] / background[valid]
    mu_fore = (cum_mean[-1] - cum_mean[:-1][valid]) / foreground[valid]
    between[valid] = background[valid] * foreground[valid] * (mu_back - mu_fore) ** 2
    return float(np.argmax(between))


def to_pattern(
    image: GrayImage, shape: tuple[int, int], method: str = DEFAULT_BINARIZE, *, use_known: bool = True
) -> NDArray[np.int8]:
    """Resize ``image`` to ``shape`` (height, width) and binarize it.

    Parameters
    ----------
    image : GrayImage
    shape : tuple of int
        Target (height, width); an image already of that size is not resampled.
    method : str
        See :func:`binarize`.
    use_known : bool, optional
        Keep unknown pixels as 0 (cues); False treats every pixel as known
        (stored memories).

    Returns
    -------
    ndarray of shape (H * W,), int8

    Warns
    -----
    ImageWarning
        If the image is blank (one grey level): it keeps its colour, white
        or black, and carries no pattern to tell it from other blank ones.
    """
    pixels, known = image.pixels, image.known if use_known else None
    if pixels.shape != tuple(shape):
        pixels = _resize(pixels, shape)
        if known is not None:
            known = _resize(known.astype(np.float32) * 255.0, shape) >= 127.5
    pattern = binarize(pixels, method, known).reshape(-1)
    # Only a whole image is called blank: a cue's known part may well be one colour.
    seen = pixels
    if known is None and _is_blank(seen):
        states = set(np.unique(pattern[pattern != 0]).tolist())
        became = "all white" if states == {1} else "all black" if states == {-1} else "a dither pattern"
        warnings.warn(
            ImageWarning(
                f"{image.name}: blank image (every pixel at grey level {float(seen.mean()):.0f}); "
                f"it becomes {became}"
            ),
            stacklevel=2,
        )
    return pattern


def to_values(
    image: GrayImage, shape: tuple[int, int], *, color: bool = False, use_known: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Resize ``image`` to ``shape`` and keep its grey levels or colours (no binarization).

    Parameters
    ----------
    image : GrayImage
    shape : tuple of int
        Target (height, width).
    color : bool, optional
        Three channels (RGB; grey images give three equal ones) instead of one.
    use_known : bool, optional
        Keep the image's unknown pixels (cues); False treats all as known.

    Returns
    -------
    values : ndarray of shape (H * W, C), float64
        Intensities in [0, 1]; C is 3 with ``color``, else 1.
    known : ndarray of shape (H * W,), bool
    """
    if color:
        source = image.color if image.color is not None else np.repeat(image.pixels[..., np.newaxis], 3, 2)
        channels = [source[..., k] for k in range(3)]
    else:
        channels = [image.pixels]
    if channels[0].shape != tuple(shape):
        channels = [_resize(np.ascontiguousarray(c), shape) for c in channels]
    values = np.stack([c.reshape(-1) for c in channels], axis=1).astype(np.float64) / 255.0
    known = image.known if use_known else None
    if known is None:
        mask = np.ones(shape[0] * shape[1], dtype=bool)
    elif known.shape != tuple(shape):
        mask = (_resize(known.astype(np.float32) * 255.0, shape) >= 127.5).reshape(-1)
    else:
        mask = known.reshape(-1).copy()
    return np.clip(values, 0.0, 1.0), mask


def values_to_image(values: Any, shape: tuple[int, int], known: Any = None) -> Any:
    """A PIL image of intensities in [0, 1] (shape (N,) or (N, C)): grey or RGB, unknown transparent."""
    from PIL import Image

    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, np.newaxis]
    if arr.ndim != 2 or arr.shape[0] != shape[0] * shape[1] or arr.shape[1] not in (1, 3):
        raise InvalidParameterError(f"values of shape {np.shape(values)} do not fit image shape {shape}")
    levels = np.round(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8).reshape(*shape, arr.shape[1])
    mask = None if known is None else np.asarray(known, dtype=bool).reshape(shape)
    if mask is None or mask.all():
        return Image.fromarray(levels[..., 0] if arr.shape[1] == 1 else levels)
    alpha = np.where(mask, 255, 0).astype(np.uint8)[..., np.newaxis]
    if arr.shape[1] == 1:
        levels = np.where(mask[..., np.newaxis], levels, _GRAY_UNKNOWN).astype(np.uint8)
    return Image.fromarray(np.concatenate([levels, alpha], axis=2))


def montage_values(rows: list[list[Any]], shape: tuple[int, int], *, min_side: int = 128) -> Any:
    """Tile grey or colour images into a grid (see :func:`montage`).

    Each entry is an array of intensities in [0, 1] of shape (N,) or (N, C),
    or a pair ``(values, known)``; unknown pixels show as mid grey.
    """
    from PIL import Image

    height, width = shape
    zoom = max(1, -(-min_side // max(height, width)))
    gap = 4
    columns = max(len(r) for r in rows)
    sheet = np.full(
        (len(rows) * (height * zoom + gap) + gap, columns * (width * zoom + gap) + gap, 3), 96, dtype=np.uint8
    )
    for r, row in enumerate(rows):
        for c, entry in enumerate(row):
            values, known = entry if isinstance(entry, tuple) else (entry, None)
            arr = np.asarray(values, dtype=np.float64).reshape(height * width, -1)
            tile = np.round(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)
            tile = np.broadcast_to(tile, (height * width, 3)).copy()
            if known is not None:
                tile[~np.asarray(known, dtype=bool).reshape(-1)] = _GRAY_UNKNOWN
            grid = np.kron(tile.reshape(height, width, 3), np.ones((zoom, zoom, 1), dtype=np.uint8))
            top = gap + r * (height * zoom + gap)
            left = gap + c * (width * zoom + gap)
            sheet[top : top + height * zoom, left : left + width * zoom] = grid
    return Image.fromarray(sheet)


def _resize(pixels: NDArray[np.float32], shape: tuple[int, int]) -> NDArray[np.float32]:
    from PIL import Image

    height, width = shape
    resized = Image.fromarray(np.asarray(pixels, dtype=np.float32)).resize(
        (width, height), Image.Resampling.LANCZOS
    )
    return np.asarray(resized, dtype=np.float32).clip(0, 255)


def pattern_to_image(pattern: Any, shape: tuple[int, int]) -> Any:
    """A PIL image of a pattern: white for +1, black for -1, transparent for 0."""
    from PIL import Image

    flat = as_states("pattern", pattern)
    if flat.shape[0] != 1 or flat.shape[1] != shape[0] * shape[1]:
        raise InvalidParameterError(f"pattern of shape {np.shape(pattern)} does not fit image shape {shape}")
    grid = flat[0].reshape(shape)
    gray = np.where(grid > 0, 255, np.where(grid < 0, 0, _GRAY_UNKNOWN)).astype(np.uint8)
    if not (grid == 0).any():
        return Image.fromarray(gray)
    alpha = np.where(grid == 0, 0, 255).astype(np.uint8)
    return Image.fromarray(np.stack([gray, alpha], axis=-1))


def save_png(image: Any, path: str | os.PathLike[str]) -> None:
    """Write a PIL image as PNG atomically (no partial file on failure)."""
    with atomic_path(path) as temporary:
        image.save(temporary, format="PNG")


def montage(rows: list[list[Any]], shape: tuple[int, int], *, min_side: int = 128) -> Any:
    """Tile patterns into a grid image (one row per input, e.g. cue | recalled | nearest).

    Unknown pixels show as mid gray; small images are scaled up by an integer
    factor so that each tile is at least ``min_side`` pixels on its long side.
    """
    from PIL import Image

    height, width = shape
    zoom = max(1, -(-min_side // max(height, width)))
    gap = 4
    columns = max(len(r) for r in rows)
    sheet = np.full(
        (len(rows) * (height * zoom + gap) + gap, columns * (width * zoom + gap) + gap), 96, dtype=np.uint8
    )
    for r, row in enumerate(rows):
        for c, pattern in enumerate(row):
            grid = np.asarray(pattern).reshape(shape)
            tile = np.where(grid > 0, 255, np.where(grid < 0, 0, _GRAY_UNKNOWN)).astype(np.uint8)
            tile = np.kron(tile, np.ones((zoom, zoom), dtype=np.uint8))
            top = gap + r * (height * zoom + gap)
            left = gap + c * (width * zoom + gap)
            sheet[top : top + height * zoom, left : left + width * zoom] = tile
    return Image.fromarray(sheet)
