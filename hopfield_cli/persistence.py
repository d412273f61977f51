"""Saving and loading models as ``.npz`` files, safely.

A model file is a plain NumPy ``.npz`` archive with a fixed set of keys; it
never contains Python objects, is always loaded with ``allow_pickle=False``
and every key is checked for presence, dtype, shape and finiteness.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._atomic import atomic_path
from hopfield_cli._npyio import ArrayFileError, ArrayHeader, load_arrays
from hopfield_cli.errors import HopfieldError, ModelFileError
from hopfield_cli.model import CONTINUOUS, Model
from hopfield_cli.network import StorkeyNetwork
from hopfield_cli.options import DEFAULT_FIT, RULE_NAMES
from hopfield_cli.rules import StorkeySummary, storkey_summary
from hopfield_cli.specs import REGISTRY, StorkeySpec, parameter_names, params_from_arrays

#: Version 5: a large Storkey model keeps its summary (``storkey_gram`` and
#: ``storkey_met_overlaps``, see :func:`keeps_storkey_summary`).
#: Version 4: an exponential model with the default beta (stored as 0) uses
#: ``(ln P + 4) / 2`` (:func:`hopfield_cli.rules.default_beta`); in earlier
#: versions that default was ``8 / sqrt(N)``, which their files keep.
#: Version 3 adds ``fit`` (how images were brought to the model's size);
#: version 2 stores only the parameters the model's rule takes (its spec's);
#: version 1 stored centered, threshold, degree and beta for every rule.
#: A model that needs neither (stretched images, and no default exponential
#: beta) is still written as version 2, byte for byte as before, so older
#: readers keep reading it; a loaded older exponential model with the default
#: beta gets its ``8 / sqrt(N)`` as a number, and is saved again as version 2.
FORMAT_VERSION = 5

_STRETCH_VERSION = 2
_FIT_VERSION = 3
_PATTERN_BETA_VERSION = 4
_SUMMARY_VERSION = 5

# key -> (dtype kind(s), ndim)
_SCHEMA: dict[str, tuple[str, int]] = {
    "format_version": ("iu", 0),
    "rule": ("U", 0),
    "patterns": ("iu", 2),
    "names": ("U", 1),
    "shape": ("iu", 1),
    "binarize": ("U", 0),
    "channels": ("iu", 0),
    "fit": ("U", 0),
    "storkey_gram": ("i", 2),
    "storkey_met_overlaps": ("f", 2),
}
_SUMMARY_KEYS = ("storkey_gram", "storkey_met_overlaps")
# Rule parameters, from the registry: a new rule's parameters need no edit here.
# Version 2 files hold those of their rule only.
_PARAMETERS = {
    key: "b" if isinstance(default, bool) else "iu" if isinstance(default, int) else "f"
    for spec in REGISTRY.values()
    for key, default in spec.defaults.items()
}
_SCHEMA |= {key: (kinds, 0) for key, kinds in _PARAMETERS.items()}
# Version 1 (frozen) held exactly these parameters, whatever the rule.
_V1_PARAMETERS = {"centered", "threshold", "degree", "beta"}
# Keys that files written before they existed lack (their defaults apply).
_OPTIONAL = {"channels", "fit", *_SUMMARY_KEYS}
# Sizes a header may declare.  A few kilobytes of deflated zeros can declare
# gigabytes, so these are checked before any data is decompressed.
MAX_MODEL_VALUES = 2**27  # stored values P x N (x C): 2.8 times all 60,000 MNIST digits
_MAX_TEXT = 1024  # characters of a name, rule or binarization
_SMALL_KEYS = {"format_version", "shape", "channels"}


def keeps_storkey_summary(patterns: int, neurons: int) -> bool:
    """Whether a Storkey model of this size keeps its summary in its file.

    When its rebuild takes long enough to matter (P^2 N of at least 2**27
    multiply-adds) and the summary's 12 P^2 bytes stay under an eighth of
    the patterns' P N (N >= 96 P).
    """
    return patterns >= 2 and neurons >= 96 * patterns and patterns * patterns * neurons >= 2**27


def save_model(model: Model, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` (an ``.npz`` file), atomically.

    A temporary file in the destination folder is renamed into place, so an
    existing model survives a failed or interrupted save.  A large Storkey
    model is built first, for the summary its file keeps.
    """
    arrays: dict[str, NDArray[Any]] = {
        "format_version": np.asarray(_STRETCH_VERSION, dtype=np.int64),
        "rule": np.asarray(model.rule),
        # Grey and colour memories as uint8 (one byte a value), binary ones as int8.
        "patterns": model.patterns.astype(np.uint8 if model.is_continuous else np.int8),
        "names": np.asarray(model.names, dtype=str) if model.names else np.zeros(0, dtype="<U1"),
        "shape": np.asarray(model.shape, dtype=np.int64),
        "binarize": np.asarray(model.binarize),
        "channels": np.asarray(model.channels, dtype=np.int64),
        **model.spec.file_arrays(),
    }
    version = _STRETCH_VERSION
    if model.fit != DEFAULT_FIT:
        version = _FIT_VERSION
        arrays["fit"] = np.asarray(model.fit)
    if model.spec.as_before_version_4(model.n_neurons) != model.spec:
        version = _PATTERN_BETA_VERSION
    if model.rule == StorkeySpec.name and keeps_storkey_summary(model.n_patterns, model.n_neurons):
        network = model.network()
        assert isinstance(network, StorkeyNetwork)  # what the rule builds
        summary = storkey_summary(network)
        arrays["storkey_gram"] = summary.gram.astype(np.int32)  # integers of at most N
        arrays["storkey_met_overlaps"] = summary.met_overlaps
        version = _SUMMARY_VERSION
    arrays["format_version"] = np.asarray(version, dtype=np.int64)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        _write_npz(handle, arrays)


# Fixed member timestamps keep the bytes reproducible; deflate level 1 packs
# +/-1 patterns almost as tightly as numpy's level 6, several times faster
# (60,000 MNIST digits: 4.7 s of level-6 compression).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_LEVEL = 1


def _write_npz(handle: Any, arrays: dict[str, NDArray[Any]]) -> None:
    """Write ``arrays`` as a compressed ``.npz`` that ``np.load`` reads."""
    import io
    import zipfile

    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue(), compresslevel=_ZIP_LEVEL)


def _declared_neurons(small: dict[str, NDArray[Any]]) -> list[int]:
    """N = H x W x C from the shape and channels keys, if they are sane (else they fail later)."""
    shape, channels = small.get("shape"), small.get("channels", np.asarray(1))
    if shape is None or shape.shape != (2,) or np.any(shape < 1) or int(channels) not in (1, 3):
        return []
    return [int(shape[0]) * int(shape[1]) * int(channels)]


def _check_sizes(file: Path, headers: dict[str, ArrayHeader], neurons: list[int]) -> None:
    """Refuse sizes a header declares beyond the model's own shape or the limits."""
    for header in headers.values():
        if header.dtype.kind == "U" and header.dtype.itemsize > 4 * _MAX_TEXT:
            raise ModelFileError(
                f"{file}: key {header.name!r} holds strings of {header.dtype.itemsize // 4} characters, "
                f"over the limit of {_MAX_TEXT}"
            )
    if "shape" in headers and headers["shape"].shape != (2,):
        raise ModelFileError(
            f"{file}: shape must hold two positive integers, got {headers['shape'].shape[0]}"
        )
    if "patterns" not in headers:
        return
    rows, columns = headers["patterns"].shape
    if rows * columns > MAX_MODEL_VALUES:
        raise ModelFileError(
            f"{file}: patterns declare {rows} x {columns} = {rows * columns} values, over the limit "
            f"of {MAX_MODEL_VALUES}"
        )
    if neurons and columns != neurons[0]:
        raise ModelFileError(f"{file}: image shape does not match patterns of {columns} neurons")
    for key in (key for key in _SUMMARY_KEYS if key in headers):
        # Checked before reading: the summary is P x P, allowed only where it stays small.
        if not keeps_storkey_summary(rows, columns):
            raise ModelFileError(
                f"{file}: key {key!r}: a model of {rows} patterns of {columns} neurons keeps no summary"
            )
        if headers[key].shape != (rows, rows):
            raise ModelFileError(
                f"{file}: key {key!r} has shape {headers[key].shape}, expected ({rows}, {rows})"
            )
        if key == "storkey_met_overlaps" and headers[key].dtype.itemsize != 8:
            # What save_model writes; a wider float could hold values float64 cannot.
            raise ModelFileError(f"{file}: key {key!r} has dtype {headers[key].dtype}, expected float64")
    if "names" in headers and headers["names"].shape[0] != rows:
        raise ModelFileError(f"{file}: got {headers['names'].shape[0]} names for {rows} patterns")


def load_model(path: str | os.PathLike[str]) -> Model:
    """Read and validate a model file.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not a model archive, is truncated or damaged, has
        missing, extra or malformed keys, non-finite values, object arrays
        (never unpickled), or a newer format version.  Keys, dtypes and
        dimensions are checked on the array headers, before any data is read.
        The message starts with the file name.
    """
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{file}: no such model file")
    if file.is_dir():
        raise ModelFileError(f"{file}: is a folder, not a model file")
    if not file.is_file():
        # A FIFO or device would block or never end.
        raise ModelFileError(f"{file}: not a regular file")

    neurons: list[int] = []  # N declared by the shape (and channels), once read
    versions: list[int] = []  # the format version, once read

    def check(is_archive: bool, headers: Sequence[ArrayHeader], *, all_keys: bool = True) -> None:
        # Keys, dtypes and dimensions are vetted on the headers, before any data is read.
        if not is_archive:
            raise ModelFileError(f"{file}: not an .npz model archive (a plain .npy array)")
        keys = {header.name for header in headers}
        # Version 2 holds only its rule's parameters, checked once the rule is read.
        v2 = bool(versions) and versions[0] >= 2
        optional = _OPTIONAL | (set(_PARAMETERS) if v2 else set(_PARAMETERS) - _V1_PARAMETERS)
        missing = sorted(set(_SCHEMA) - keys - optional)
        extra = sorted(keys - set(_SCHEMA))
        if missing and all_keys:
            raise ModelFileError(f"{file}: missing keys: {', '.join(missing)}")
        if extra:
            raise ModelFileError(f"{file}: unexpected keys: {', '.join(extra)}")
        for header in headers:
            kinds, ndim = _SCHEMA[header.name]
            if header.dtype.kind not in kinds:
                raise ModelFileError(
                    f"{file}: key {header.name!r} has dtype {header.dtype}, expected kind {kinds!r}"
                )
            if len(header.shape) != ndim:
                raise ModelFileError(
                    f"{file}: key {header.name!r} has {len(header.shape)} dimensions, expected {ndim}"
                )
        _check_sizes(file, {header.name: header for header in headers}, neurons)

    try:
        # The version first: a newer format may have other keys, and deserves its own message.
        _, head = load_arrays(file, functools.partial(check, all_keys=False), only=_SMALL_KEYS)
        small = dict(head)
        version = int(small["format_version"]) if "format_version" in small else None
        if version is not None and version > FORMAT_VERSION:
            raise ModelFileError(
                f"{file}: format version {version} is newer than this hopfield-cli supports "
                f"({FORMAT_VERSION}); upgrade hopfield-cli"
            )
        if version is not None and version < 1:
            raise ModelFileError(f"{file}: invalid format version {version}")
        neurons.extend(_declared_neurons(small))
        versions.extend([] if version is None else [version])
        _, arrays = load_arrays(file, check)
    except ArrayFileError as exc:
        raise ModelFileError(f"{file}: not a valid model file: {exc}") from exc
    except OSError as exc:
        raise ModelFileError(f"{file}: cannot read model file ({exc.__class__.__name__}: {exc})") from exc
    data = dict(arrays)
    for key, value in data.items():
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ModelFileError(f"{file}: key {key!r} contains NaN or infinite values")
    version = int(data["format_version"])
    if version < 1:
        raise ModelFileError(f"{file}: invalid format version {version}")
    patterns = data["patterns"]
    continuous = str(data["rule"]) == CONTINUOUS
    if continuous:
        if patterns.dtype != np.uint8 or patterns.size == 0:
            raise ModelFileError(f"{file}: continuous patterns must be a non-empty uint8 array")
    elif patterns.size == 0 or not np.all(np.abs(patterns) == 1):
        raise ModelFileError(f"{file}: patterns must be a non-empty array of -1 and +1")
    channels = int(data["channels"]) if "channels" in data else 1
    shape = data["shape"]
    if shape.shape != (2,) or np.any(shape < 1):
        raise ModelFileError(f"{file}: shape must hold two positive integers, got {shape.tolist()}")
    params = {key: data[key] for key in _PARAMETERS if key in data}
    if version >= 2:
        # Exactly the rule's own parameters: another rule's would be silently ignored.
        rule = str(data["rule"])
        if rule in RULE_NAMES:
            own = set(parameter_names(rule))
            if own - params.keys():
                raise ModelFileError(f"{file}: missing keys: {', '.join(sorted(own - params.keys()))}")
            if params.keys() - own:
                raise ModelFileError(
                    f"{file}: unexpected keys for the {rule} rule: {', '.join(sorted(params.keys() - own))}"
                )
    kept = [key for key in _SUMMARY_KEYS if key in data]
    if kept and (version < _SUMMARY_VERSION or str(data["rule"]) != StorkeySpec.name):
        raise ModelFileError(
            f"{file}: unexpected keys for a version {version} {data['rule']} model: {', '.join(kept)}"
        )
    if len(kept) == 1:
        raise ModelFileError(f"{file}: missing keys: {', '.join(sorted(set(_SUMMARY_KEYS) - set(kept)))}")
    fields: dict[str, Any] = {
        "patterns": patterns if continuous else patterns.astype(np.int8),
        "names": tuple(data["names"].tolist()),
        "shape": (int(shape[0]), int(shape[1])),
        "binarize": str(data["binarize"]),
        "rule": str(data["rule"]),
        "channels": channels,
        "fit": str(data["fit"]) if "fit" in data else DEFAULT_FIT,
        **params_from_arrays(params),
    }
    if kept:
        fields["storkey_summary"] = StorkeySummary(*(data[key].astype(np.float64) for key in _SUMMARY_KEYS))
    try:
        model = Model(**fields)
        if version < _PATTERN_BETA_VERSION:
            # Older files' defaults as they were then: the file recalls as it always did.
            before = model.spec.as_before_version_4(model.n_neurons)
            if before != model.spec:
                model = Model(**(fields | before.params()))
    except HopfieldError as exc:
        raise ModelFileError(f"{file}: {exc}") from exc
    return model
