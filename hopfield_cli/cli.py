"""The ``hopfield`` command line: a thin shell over the library.

Only this module talks to the user.  Tables and progress go to stderr (so
stdout stays clean for ``--json``); library errors become one ``Error:`` line
and exit code 1, bad options exit 2 (Click's usage errors) and Ctrl-C exits
130.  NumPy, Pillow and Rich are imported inside the commands, so that
``hopfield --help`` starts as fast as Typer itself.
"""

import contextlib
import copy
import functools
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

import typer

from hopfield_cli import __version__
from hopfield_cli.errors import HopfieldError, HopfieldWarning, InvalidParameterError, PixelLimitError
from hopfield_cli.options import (
    DEFAULT_ANNEAL,
    DEFAULT_BINARIZE,
    DEFAULT_CAPACITY_RULE,
    DEFAULT_DEGREE,
    DEFAULT_FIT,
    DEFAULT_MAX_ITER,
    DEFAULT_MAX_PIXELS,
    DEFAULT_SIZE,
    DEFAULT_TEMPERATURE,
    DEFAULT_UPDATE,
    FIT_NAMES,
    GREY_RULE,
    GRID_POINTS,
    MAX_DEGREE,
    MIN_DEGREE,
    NO_BINARIZE,
    RULE_NAMES,
    UPDATE_NAMES,
    parse_binarize,
    parse_size,
)
from hopfield_cli.options import (
    DEFAULT_RULE as DEFAULT_RULE_NAME,
)

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from rich.console import Console
    from rich.text import Text as RichText

    from hopfield_cli.dynamics import RecallResult
    from hopfield_cli.figures import Tile
    from hopfield_cli.images import GrayImage
    from hopfield_cli.metrics import Judgement
    from hopfield_cli.model import Model

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="hopfield",
    help="Hopfield-network associative memory for images: store, damage and recall pictures.",
    no_args_is_help=True,
    # --install-completion / --show-completion: Typer imports its completion modules anyway.
    add_completion=True,
    pretty_exceptions_show_locals=False,
    # Plain Click help and one-line usage errors: no Rich import at start-up, nothing boxed for scripts.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


if TYPE_CHECKING:

    class Rule(str, Enum):
        """Learning rules: the names of ``hopfield_cli.options.RuleName``."""

    class Update(str, Enum):
        """Update modes: the names of ``hopfield_cli.options.UpdateName``."""

    class Fit(str, Enum):
        """Ways to fit an image's aspect ratio: the names of ``hopfield_cli.options.FitName``."""

else:
    # Built from the options' Literals (Typer takes no list of Literals): no copy of the names.
    Rule = Enum("Rule", {name: name for name in RULE_NAMES}, type=str)
    Update = Enum("Update", {name: name for name in UPDATE_NAMES}, type=str)
    Fit = Enum("Fit", {name: name for name in FIT_NAMES}, type=str)

DEFAULT_RULE = Rule(DEFAULT_RULE_NAME)
GREY = Rule(GREY_RULE)
DEFAULT_UPDATE_CHOICE = Update(DEFAULT_UPDATE)
DEFAULT_FIT_CHOICE = Fit(DEFAULT_FIT)


class Kind(str, Enum):
    """Corruption kinds (``hopfield_cli.corruption.KINDS`` and ``GREY_KINDS``)."""

    flip = "flip"
    erase = "erase"
    occlude = "occlude"
    half = "half"
    gaussian = "gaussian"
    saltpepper = "saltpepper"


class Similarity(str, Enum):
    """Similarities of the continuous rule (``hopfield_cli.continuous.SIMILARITIES``)."""

    robust = "robust"
    euclidean = "euclidean"


class Fill(str, Enum):
    """Fill of occluded or blanked pixels."""

    black = "black"
    white = "white"
    unknown = "unknown"


class Side(str, Enum):
    """Side blanked by ``--kind half``."""

    top = "top"
    bottom = "bottom"
    left = "left"
    right = "right"


F = TypeVar("F", bound=Callable[..., Any])


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C (temporary files go), then exit 128 + n."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    import signal

    from hopfield_cli._workers import stop_children

    for name in ("SIGTERM", "SIGHUP"):  # a second signal must not interrupt the clean-up
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    stop_children()  # before unwinding: a pool's shutdown would wait for busy workers
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise _Terminated(signum)


@contextmanager
def _signals_handled() -> Iterator[None]:
    """SIGTERM and SIGHUP (and SIGINT) unwind the command; the old handlers come back after."""
    import signal

    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous: dict[int, Any] = {}
    try:
        for name in names:
            number = getattr(signal, name)
            if name == "SIGINT" and signal.getsignal(number) is not signal.default_int_handler:
                continue  # SIGINT ignored or handled by a caller: leave it so
            previous[number] = signal.signal(number, _on_signal)
    except ValueError:  # not the main thread: signals stay as they are
        pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _signal_name(signum: int) -> str:
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _handle_errors(command: F) -> F:
    """Map library errors to ``Error: ...`` + exit 1, Ctrl-C to exit 130, SIGTERM/SIGHUP to 128 + n."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _signals_handled(), warnings.catch_warnings(record=True) as caught:
                # Overflow in exp() and the like is reported as a figure (null in --json), not a warning.
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("always", HopfieldWarning)
                done = command(*args, **kwargs)
            # Only after success: a failed command says one thing, its Error: line.
            if not kwargs.get("quiet"):
                _show_warnings(caught)
            return done
        except (HopfieldError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            typer.echo(f"Error: {_one_line(exc)}{_flag_hint(exc)}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except BrokenPipeError:
            # The reader of stdout went away (`| head -1`): say so once, and let the
            # interpreter's final flush write to nowhere instead of printing a warning.
            with contextlib.suppress(OSError, AttributeError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            typer.echo("Error: standard output was closed by its reader", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except OSError as exc:
            name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            typer.echo(f"Error: {_one_line(f'{name}{exc.strerror or exc}')}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except MemoryError:
            typer.echo("Error: out of memory; try a smaller --size or fewer images", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except _Terminated as exc:
            typer.echo(f"Terminated by {_signal_name(exc.signum)}.", err=True)
            raise typer.Exit(128 + exc.signum) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def _library_warnings(*, show: bool = False) -> "Iterator[list[warnings.WarningMessage]]":
    """The warnings issued in the block, in a list that fills as they come (see :func:`_texts`).

    Other warnings pass on; the library's are shown as usual only with ``show``
    (else the caller reports them, in its summary).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HopfieldWarning)
        yield caught
    for item in caught:
        if not issubclass(item.category, HopfieldWarning) or show:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def _texts(caught: "list[warnings.WarningMessage]", prefix: str = "") -> list[str]:
    """The library's warnings among ``caught`` that start with ``prefix`` (an image's name), as one-liners."""
    texts = (
        " ".join(str(item.message).split()) for item in caught if issubclass(item.category, HopfieldWarning)
    )
    return [text for text in texts if text.startswith(prefix)]


#: Warnings of one kind shown before the rest are counted.
_MAX_WARNINGS_SHOWN = 5


def _show_warnings(caught: "list[warnings.WarningMessage]") -> None:
    """The library's warnings as ``Warning:`` lines on stderr; others as Python shows them."""
    from collections import Counter

    shown: Counter[type[Warning]] = Counter()
    for item in caught:
        if not issubclass(item.category, HopfieldWarning):
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)
            continue
        shown[item.category] += 1
        if shown[item.category] <= _MAX_WARNINGS_SHOWN:
            typer.echo(f"Warning: {_one_line(str(item.message))}", err=True)
    for count in shown.values():
        if count > _MAX_WARNINGS_SHOWN:
            typer.echo(f"Warning: ... and {count - _MAX_WARNINGS_SHOWN} more like these", err=True)


def _flag_hint(exc: BaseException) -> str:
    """The options that would get past a structured library error."""
    if isinstance(exc, PixelLimitError):
        return " (raise it with --max-pixels" + (", or use --limit)" if exc.stack else ")")
    return ""


def _one_line(exc: BaseException | str) -> str:
    """One line, whatever names it holds: whitespace runs become one space, control characters escapes."""
    from hopfield_cli._text import visible

    return visible(" ".join(str(exc).split()))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hopfield-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Hopfield-network associative memory for images.

    Exit codes: 0 success, 1 bad data (unreadable image, bad model file),
    2 bad option, 130 interrupted.
    """


# ---------------------------------------------------------------- option checks


def _size_option(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_size(value)
        except InvalidParameterError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


def _binarize_option(value: str | None) -> str | None:
    if value is not None:
        try:
            return parse_binarize(value)
        except InvalidParameterError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


def _fraction_option(value: float) -> float:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise typer.BadParameter(f"must be between 0 and 1, got {value}")
    return value


def _nonnegative_option(value: float) -> float:
    if not (math.isfinite(value) and value >= 0.0):
        raise typer.BadParameter(f"must be a finite number >= 0, got {value}")
    return value


def _seed_option(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"must be >= 0, got {value}")
    return value


# Upper bounds of counts: what a run can finish, and what fits a C integer (no OverflowError).
_MAX_ITER = 1_000_000
_MAX_TRIALS = 10_000
_MAX_CUES = 100_000
_MAX_LOAD_VALUES = 2**27  # P x N of one capacity load: persistence.MAX_MODEL_VALUES
_MAX_JOBS = max(2, os.cpu_count() or 1)
MaxIterOption = Annotated[
    int, typer.Option(min=1, max=_MAX_ITER, help="Most steps (sync) or sweeps (async) per cue.")
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Nothing on stderr but errors: no tables, progress, notes or warnings."
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON (one object per line) on stdout.")
]


def _beta_option(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a finite number > 0, got {value}")
    return value


DegreeOption = Annotated[
    int | None,
    typer.Option(
        min=MIN_DEGREE,
        max=MAX_DEGREE,
        help="Polynomial rule: degree n of F(x) = x^n.",
        show_default=str(DEFAULT_DEGREE),
    ),
]
BetaOption = Annotated[
    float | None,
    typer.Option(
        callback=_beta_option,
        help="Exponential rule: inverse temperature on raw overlaps; "
        "continuous rule: inverse temperature on noise-scaled distances.",
        show_default="ln(P)/2 + 2 exponential, 1 continuous",
    ),
]
ColorOption = Annotated[
    bool, typer.Option("--color", help="With --binarize none: keep RGB colour instead of grey levels.")
]
SeedOption = Annotated[
    int | None,
    typer.Option(callback=_seed_option, help="Seed of the random generator: same seed, same output bytes."),
]
FitOption = Annotated[
    Fit | None,
    typer.Option(
        help="Images of another aspect ratio: crop the centre, pad with white, or stretch (said on "
        "stderr for each image it distorts).",
        show_default=DEFAULT_FIT,
    ),
]
RecursiveOption = Annotated[
    bool, typer.Option("--recursive", "-r", help="Also read images in subfolders of folders.")
]
LimitOption = Annotated[
    int | None, typer.Option(min=1, help="Use only the first K images (of a folder, stack or MNIST file).")
]
MaxPixelsOption = Annotated[
    int,
    typer.Option(
        min=1,
        help="Refuse images (and array/IDX stacks, all images together) with more pixels than this, "
        "before decoding them (decompression bombs).",
    ),
]

# train and corrupt (capacity words them for --images); None: the default, or a model's with corrupt --model.
SizeOption = Annotated[
    str | None,
    typer.Option(
        callback=_size_option,
        help="Image size N or WxH; .npy/.npz stacks and IDX files keep their own size.",
        show_default=DEFAULT_SIZE,
    ),
]
BinarizeOption = Annotated[
    str | None,
    typer.Option(
        callback=_binarize_option,
        help="Binarization: mean, otsu, dither or a level 0-255; none keeps grey levels.",
        show_default=DEFAULT_BINARIZE,
    ),
]


# ---------------------------------------------------------------- shared helpers


def _console() -> "Console":
    from rich.console import Console

    from hopfield_cli._text import visible

    class _Console(Console):
        # Every plain string (table cells, titles, lines) with its control characters
        # escaped: a name holding ESC or BEL must not act on the reader's terminal.
        def render_str(self, text: str, **kwargs: Any) -> "RichText":
            return super().render_str(visible(text), **kwargs)

    # No markup, no emoji codes: file and memory names ("photo [draft].png", "a[/x]",
    # ":x:") are shown as written; styles come only as Text objects.
    return _Console(stderr=True, highlight=False, markup=False, emoji=False)


@contextmanager
def _progress(description: str, total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr; yields a callback that advances it."""
    if quiet or total < 2:
        yield lambda _n: None
        return
    console = _console()
    if not console.is_terminal:
        # Off a terminal a bar only leaves blank lines in the caller's log.
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _read_inputs(
    inputs: Sequence[Path],
    *,
    max_pixels: int,
    limit: int | None,
    quiet: bool,
    what: str,
    shape: tuple[int, int] | None = None,
    fit: str = DEFAULT_FIT,
    recursive: bool = False,
    default_shape: tuple[int, int] | None = None,
) -> "list[GrayImage]":
    """Read the inputs, each brought to ``shape`` (see ``images.read_sources``) as soon as it is read."""
    from hopfield_cli.images import find_inputs, read_sources

    sources, skipped = find_inputs(inputs, recursive=recursive)
    folders = [p for p in skipped if p.is_dir()]
    files = [p for p in skipped if not p.is_dir()]
    if folders and not quiet:
        typer.echo(
            f"Note: skipped {len(folders)} subfolder(s): {_some_names(folders)} (--recursive reads them)",
            err=True,
        )
    if files and not quiet:
        typer.echo(f"Note: skipped {len(files)} file(s) that are not images: {_some_names(files)}", err=True)
    with _progress(f"Reading {what}", len(sources), quiet) as advance:
        images = read_sources(
            sources,
            max_pixels=max_pixels,
            limit=limit,
            progress=advance,
            shape=shape,
            fit_mode=fit,
            default_shape=default_shape,
        )
    duplicates = _repeated(image.name for image in images)
    if duplicates:
        raise HopfieldError(
            f"inputs share the name(s) {', '.join(duplicates[:5])}; rename them to keep outputs apart"
        )
    return images


def _some_names(paths: Sequence[Path]) -> str:
    from hopfield_cli._text import visible

    return ", ".join(visible(p.name) for p in paths[:5]) + (" ..." if len(paths) > 5 else "")


def _native_note(images: "list[GrayImage]", size: str | None, quiet: bool) -> tuple[int, int]:
    """The shape the images were read at; says so when stacks kept their own size."""
    height, width = images[0].pixels.shape
    if size is None and (height, width) != parse_size(DEFAULT_SIZE) and not quiet:
        typer.echo(f"Note: size {width}x{height}, the stack's own (give --size to change it)", err=True)
    return int(height), int(width)


def _repeated(names: Iterable[str]) -> list[str]:
    """Names that occur more than once, sorted (linear time: MNIST has 60,000)."""
    from collections import Counter

    return sorted(name for name, count in Counter(names).items() if count > 1)


def _output_paths(
    output: Path, names: Sequence[str], suffix: str = ".png", option: str = "'-o' / '--output'"
) -> list[Path]:
    """One input writes the file ``output``; several write ``output/NAME.png`` (or ``suffix``)."""
    if len(names) == 1 and not output.is_dir():
        if output.suffix.lower() in _IMAGE_OUTPUT_SUFFIXES and output.suffix.lower() != suffix:
            # PNG bytes under .jpg (or a GIF under .png) mislead every viewer that trusts the name.
            raise typer.BadParameter(
                f"{output} names a {output.suffix} file, but this writes {suffix.lstrip('.').upper()}; "
                f"use a name ending in {suffix}",
                param_hint=option,
            )
        return [output]
    if output.suffix.lower() in _IMAGE_OUTPUT_SUFFIXES and not output.is_dir():
        kind = suffix.lstrip(".").upper()
        raise typer.BadParameter(
            f"{len(names)} inputs write one {kind} each into a folder; {output} names a single image file",
            param_hint=option,
        )
    if output.exists() and not output.is_dir():
        raise HopfieldError(
            f"{output}: exists and is not a folder; several inputs need a folder for {option}"
        )
    from hopfield_cli.images import safe_name

    # Names come from files and archive members: one path component each, inside -o.
    files = [f"{safe_name(name)}{suffix}" for name in names]
    # Names that differ only in what safe_name replaces ("a\nb", "a_b") would share a file.
    # Case too: on macOS and Windows file systems "A.png" and "a.png" are one file.
    shared = _repeated(file.casefold() for file in files)
    if shared:
        raise HopfieldError(
            f"inputs with different names would write the same file(s) {', '.join(shared[:5])} "
            f"in {output}; rename them to keep outputs apart"
        )
    return [output / file for file in files]


# An -o like these for several inputs is a mistake, not a folder name (`corrupt a.png b.png -o x.png`).
_IMAGE_OUTPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


def _emit_json(obj: dict[str, Any]) -> None:
    """One JSON object per line; NaN and infinities (not JSON) become null."""
    import json

    if sys.stdout is None:
        raise HopfieldError("standard output is closed; --json has nowhere to go")
    sys.stdout.write(json.dumps(_finite(obj), allow_nan=False) + "\n")
    sys.stdout.flush()  # a closed pipe is reported here, not at exit


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


# ---------------------------------------------------------------- train


@app.command()
@_handle_errors
def train(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...", help="Image files and/or folders (also .npy/.npz stacks and MNIST IDX files)."
        ),
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model file to write (.npz).")] = None,
    size: SizeOption = None,
    binarize: BinarizeOption = None,
    fit: FitOption = None,
    rule: Annotated[
        Rule | None,
        typer.Option(
            help="Learning rule (see the README for which to use when).", show_default=DEFAULT_RULE.value
        ),
    ] = None,
    centered: Annotated[
        bool, typer.Option("--centered", help="Hebbian: centre patterns by their mean activity.")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(help="Binary rules: extra threshold added to every neuron.", show_default="0"),
    ] = None,
    degree: DegreeOption = None,
    beta: BetaOption = None,
    color: ColorOption = False,
    append: Annotated[
        Path | None,
        typer.Option(
            help="Add the inputs to this existing model (its settings are kept); -o defaults to it."
        ),
    ] = None,
    recursive: RecursiveOption = False,
    limit: LimitOption = None,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Store images as memories and save the network as an .npz model."""
    if threshold is not None and not math.isfinite(threshold):
        raise typer.BadParameter(f"must be finite, got {threshold}", param_hint="--threshold")
    target = output if output is not None else append
    if target is None:
        raise typer.BadParameter("give the model file to write", param_hint="--output")
    _refuse_overwriting_inputs([target], inputs)

    from hopfield_cli._atomic import lock_exclusive
    from hopfield_cli.images import to_pattern, to_values
    from hopfield_cli.model import Model
    from hopfield_cli.persistence import load_model, save_model

    # Held until this function returns: a concurrent --append waits instead of losing images.
    lock = lock_exclusive(append) if append is not None else None  # noqa: F841
    base = load_model(append) if append is not None else None
    if base is not None:
        _check_same(base.shape, parse_size(size) if size else None, "--size")
        _check_same(base.binarize, binarize, "--binarize")
        _check_same(base.rule, rule.value if rule else None, "--rule")
        _check_same(base.channels, 3 if color else None, "--color")
        _check_same(base.fit, fit.value if fit else None, "--fit")
    elif rule is GREY or binarize == NO_BINARIZE:
        # Grey levels and the continuous rule go together: either option implies the other.
        if rule not in (None, GREY):
            raise typer.BadParameter(
                "--binarize none keeps grey levels, which only --rule continuous stores", param_hint="--rule"
            )
        if binarize not in (None, NO_BINARIZE):
            raise typer.BadParameter(
                "--rule continuous stores grey levels: leave out --binarize or give none",
                param_hint="--binarize",
            )
        rule, binarize = GREY, NO_BINARIZE
    elif color:
        raise typer.BadParameter("colour is kept only with --rule continuous", param_hint="--color")
    chosen = (rule or DEFAULT_RULE).value
    own = _rule_params([chosen], centered=centered or None, threshold=threshold, degree=degree, beta=beta)
    fit_mode = base.fit if base is not None else (fit.value if fit else DEFAULT_FIT)
    with _library_warnings() as caught:  # stretched or blank images: in the summary, JSON too
        images = _read_inputs(
            inputs,
            max_pixels=max_pixels,
            limit=limit,
            quiet=quiet,
            what="images",
            shape=base.shape if base is not None else parse_size(size) if size else None,
            default_shape=parse_size(DEFAULT_SIZE),
            fit=fit_mode,
            recursive=recursive,
        )
        shape = base.shape if base is not None else _native_note(images, size, quiet)

        import numpy as np

        method = base.binarize if base is not None else (binarize or DEFAULT_BINARIZE)
        channels = base.channels if base is not None else (3 if color else 1)
        if method == NO_BINARIZE:
            patterns = np.stack(
                [
                    np.round(to_values(image, shape, color=channels == 3, use_known=False)[0] * 255.0)
                    .astype(np.uint8)
                    .reshape(-1)
                    for image in images
                ]
            )
        else:
            patterns = np.stack([to_pattern(image, shape, method, use_known=False) for image in images])
    names = [image.name for image in images]
    if base is not None:
        model = base.append(patterns, names)
    else:
        model = Model(
            patterns=patterns,
            names=tuple(names),
            shape=shape,
            binarize=method,
            rule=chosen,
            channels=channels,
            fit=fit_mode,
            **own[chosen],
        )
    if model.spec.can_refuse:
        model.network()  # a rule that can refuse patterns: fail before writing
    save_model(model, target)
    summary = _train_summary(model, target)
    summary["warnings"] = _texts(caught) + summary["warnings"]
    if as_json:
        _emit_json(summary)
    if not quiet:
        _print_train_summary(summary)


def _rule_params(rules: Sequence[str], **given: Any) -> dict[str, dict[str, Any]]:
    """Each rule's own parameters among the options given (None: not given).

    An option that none of ``rules`` takes is a usage error naming it and the rules.
    """
    from hopfield_cli.specs import parameter_names

    own: dict[str, dict[str, Any]] = {name: {} for name in rules}
    for option, value in given.items():
        if value is None:
            continue
        takers = [name for name in rules if option in parameter_names(name)]
        if not takers:
            names = " and ".join(dict.fromkeys(rules))
            raise typer.BadParameter(f"--{option} does not apply to --rule {names}", param_hint=f"--{option}")
        for name in takers:
            own[name][option] = value
    return own


def _refuse_overwriting_inputs(
    targets: Sequence[Path], inputs: Sequence[Path], option: str = "--output"
) -> None:
    """Refuse, before writing anything, to replace a file (or folder) the command reads.

    Files are compared by device and inode, so links and other spellings of a
    path are caught; the files inside input folders count as inputs.
    """

    def identity(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return st.st_dev, st.st_ino

    read: set[tuple[int, int] | None] = set()
    for item in inputs:
        read.add(identity(item))
        if item.is_dir():
            read.update(identity(child) for child in item.iterdir() if not child.name.startswith("."))
    read.discard(None)
    for target in targets:
        if identity(target) in read:
            raise typer.BadParameter(
                f"{target} is also an input; refusing to overwrite it", param_hint=option
            )


def _same_path(a: Path, b: Path) -> bool:
    """Whether two spellings name one file (which need not exist yet)."""
    try:
        return a.samefile(b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _check_same(stored: object, requested: object, option: str) -> None:
    if requested is not None and requested != stored:
        raise typer.BadParameter(
            f"the model being appended to uses {stored!r}; got {requested!r}", param_hint=option
        )


def _colour_text(colour: bool) -> str:
    return "colour" if colour else "no colour"


def _size_text(shape: tuple[int, int]) -> str:
    return f"{shape[1]}x{shape[0]}"


def _check_model_option(
    path: Path, stored: Any, requested: Any, option: str, text: Callable[[Any], str] = str
) -> None:
    """An option given beside --model must agree with the model (it is taken from there)."""
    if requested is not None and requested != stored:
        raise typer.BadParameter(
            f"{path} uses {text(stored)}, got {text(requested)}; leave {option} out to use the model's",
            param_hint=option,
        )


def _train_summary(model: "Model", path: Path) -> dict[str, Any]:
    return {"model": str(path)} | model.summary()


def _print_train_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Stored in {summary['model']}", show_header=False)
    table.add_row("patterns", str(summary["patterns"]))
    table.add_row("neurons", f"{summary['neurons']} ({summary['shape'][1]}x{summary['shape'][0]})")
    table.add_row("rule", summary["rule"])
    if summary["capacity_estimate"] is not None:
        from hopfield_cli._text import format_count

        count = format_count(summary["capacity_estimate"])
        estimate = f" (capacity estimate {summary['capacity_line']} = {count} patterns)"
    else:
        estimate = " (capacity estimate: beyond any practical number of patterns)"
    table.add_row("load P/N", f"{summary['load']:.4f}{estimate}")
    if summary.get("max_overlap") is not None:
        from hopfield_cli._text import middle_ellipsis

        a, b = (middle_ellipsis(name, _NAME_WIDTH) for name in summary["max_overlap_pair"])
        table.add_row("largest overlap", f"{summary['max_overlap']:.3f} ({a}, {b})")
    if summary.get("min_distance") is not None:
        a, b = summary["min_distance_pair"]
        colour = "colour" if summary["channels"] == 3 else "grey"
        table.add_row("closest pair", f"{summary['min_distance'] * 255:.1f} {colour} levels RMS ({a}, {b})")
    console = _console()
    console.print(table)
    for warning in summary["warnings"][:_MAX_WARNINGS_SHOWN]:
        console.print(Text.assemble(("Warning:", "yellow"), f" {_one_line(warning)}"))
    if len(summary["warnings"]) > _MAX_WARNINGS_SHOWN:
        more = len(summary["warnings"]) - _MAX_WARNINGS_SHOWN
        console.print(Text.assemble(("Warning:", "yellow"), f" ... and {more} more (all of them in --json)"))


# ---------------------------------------------------------------- corrupt


@app.command()
@_handle_errors
def corrupt(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="IMAGE...", help="Images (files and/or folders) to damage.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output PNG for one input, or folder for several.")
    ],
    noise: Annotated[
        float,
        typer.Option(
            callback=_fraction_option, help="Fraction of pixels damaged, 0 to 1 (0 writes the clean image)."
        ),
    ] = 0.3,
    kind: Annotated[
        Kind,
        typer.Option(
            help="flip: invert pixels; erase: mark them unknown; occlude: cover a block; half: blank a side; "
            "gaussian: add noise of standard deviation --noise; saltpepper: set pixels black or white "
            "(the last two with --binarize none)."
        ),
    ] = Kind.flip,
    model_path: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Take --size, --fit, --binarize and --color from this model (cues that fit it); "
            "giving one of them too is an error unless it agrees.",
        ),
    ] = None,
    size: SizeOption = None,
    binarize: BinarizeOption = None,
    fit: FitOption = None,
    color: ColorOption = False,
    fill: Annotated[Fill, typer.Option(help="Colour of occluded or blanked pixels.")] = Fill.black,
    side: Annotated[Side, typer.Option(help="Side blanked by --kind half.")] = Side.bottom,
    per_pixel: Annotated[
        bool,
        typer.Option(
            "--per-pixel", help="Damage each pixel with probability --noise instead of an exact count."
        ),
    ] = False,
    seed: SeedOption = None,
    recursive: RecursiveOption = False,
    limit: LimitOption = None,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Binarize images and damage them, writing PNG cues (unknown pixels are transparent).

    With --binarize none the cues keep grey levels (or colours with --color),
    and --kind gaussian (--noise is the standard deviation, a fraction of the
    intensity range) and saltpepper are available.  With --model the cues
    are made the way that model stores images.
    """
    shape: tuple[int, int] | None = parse_size(size) if size else None
    fit_mode = fit.value if fit else DEFAULT_FIT
    if model_path is not None:
        from hopfield_cli.persistence import load_model

        stored = load_model(model_path)
        _check_model_option(model_path, stored.shape, shape, "--size", _size_text)
        _check_model_option(model_path, stored.binarize, binarize, "--binarize")
        _check_model_option(model_path, stored.fit, fit.value if fit else None, "--fit")
        _check_model_option(model_path, stored.channels == 3, color or None, "--color", _colour_text)
        shape, binarize, fit_mode, color = stored.shape, stored.binarize, stored.fit, stored.channels == 3
    binarize = binarize or DEFAULT_BINARIZE
    grey = binarize == NO_BINARIZE
    if kind in (Kind.gaussian, Kind.saltpepper) and not grey:
        raise typer.BadParameter(
            f"--kind {kind.value} damages grey levels: add --binarize none", param_hint="--kind"
        )
    if color and not grey:
        raise typer.BadParameter("colour cues are not binarized: add --binarize none", param_hint="--color")
    if kind is Kind.flip and grey:
        raise typer.BadParameter(
            "flip inverts black and white pixels; grey cues take gaussian, saltpepper, erase, occlude, half",
            param_hint="--kind",
        )
    with _library_warnings(show=True) as caught:  # each cue's own in its JSON record too
        images = _read_inputs(
            inputs,
            max_pixels=max_pixels,
            limit=limit,
            quiet=quiet,
            what="images",
            shape=shape,
            default_shape=parse_size(DEFAULT_SIZE),
            fit=fit_mode,
            recursive=recursive,
        )
        shape = shape or _native_note(images, size, quiet)
        targets = _output_paths(output, [image.name for image in images])
        _refuse_overwriting_inputs(targets, [*inputs, *([model_path] if model_path else [])])
        _write_cues(
            images,
            targets,
            shape,
            binarize,
            grey,
            color,
            kind,
            noise,
            seed,
            per_pixel,
            fill,
            side,
            as_json,
            caught,
        )
    if not quiet and not as_json:
        typer.echo(f"Wrote {len(targets)} cue(s) to {output}", err=True)


def _write_cues(
    images: "list[GrayImage]",
    targets: list[Path],
    shape: tuple[int, int],
    binarize: str,
    grey: bool,
    color: bool,
    kind: Kind,
    noise: float,
    seed: int | None,
    per_pixel: bool,
    fill: Fill,
    side: Side,
    as_json: bool,
    caught: "list[warnings.WarningMessage]",
) -> None:
    """Damage each image and write it as a PNG cue (and its JSON record)."""
    import numpy as np

    from hopfield_cli._validate import as_rng
    from hopfield_cli.corruption import corrupt as damage
    from hopfield_cli.corruption import corrupt_values
    from hopfield_cli.images import pattern_to_image, save_png, to_pattern, to_values, values_to_image

    rng = as_rng(seed)
    for image, target in zip(images, targets, strict=True):
        record: dict[str, Any] = {
            "input": image.name,
            "output": str(target),
            "kind": kind.value,
            "noise": noise,
        }
        if grey:
            values, known = to_values(image, shape, color=color, use_known=True)
            new_values, new_known = corrupt_values(
                values,
                known,
                shape,
                kind.value,
                noise,
                rng,
                per_pixel=per_pixel,
                fill=fill.value,
                side=side.value,
            )
            save_png(values_to_image(new_values, shape, new_known), target)
            levels = np.round(new_values * 255) != np.round(values * 255)
            record["changed"] = int(np.count_nonzero(levels.any(axis=1) & new_known))
            record["unknown"] = int(np.count_nonzero(~new_known))
        else:
            clean = to_pattern(image, shape, binarize)
            damaged = damage(
                clean, shape, kind.value, noise, rng, per_pixel=per_pixel, fill=fill.value, side=side.value
            )
            save_png(pattern_to_image(damaged, shape), target)
            record["changed"] = int((damaged != clean).sum())
            record["unknown"] = int((damaged == 0).sum())
        if as_json:
            record["warnings"] = _texts(caught, f"{image.name}: ")
            _emit_json(record)


# ---------------------------------------------------------------- recall


@app.command()
@_handle_errors
def recall(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="Model file written by 'hopfield train'.")
    ],
    inputs: Annotated[
        list[Path], typer.Argument(metavar="INPUT...", help="Cue images (files and/or folders).")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output PNG for one input, or folder for several.")
    ],
    update: Annotated[
        Update,
        typer.Option(help="sync: all neurons at once; async: one at a time; stochastic: annealed Glauber."),
    ] = DEFAULT_UPDATE_CHOICE,
    max_iter: MaxIterOption = DEFAULT_MAX_ITER,
    temperature: Annotated[
        float, typer.Option(callback=_nonnegative_option, help="Start temperature of --update stochastic.")
    ] = DEFAULT_TEMPERATURE,
    anneal: Annotated[
        int, typer.Option(min=1, max=_MAX_ITER, help="Sweeps over which --update stochastic cools to zero.")
    ] = DEFAULT_ANNEAL,
    seed: SeedOption = None,
    similarity: Annotated[
        Similarity,
        typer.Option(
            help="Continuous rule: robust (Tukey biweight: ignores occluders) or euclidean (plain "
            "squared distance, Ramsauer et al.)."
        ),
    ] = Similarity.robust,
    montage: Annotated[
        Path | None,
        typer.Option(
            metavar="PNG",
            help="Also write a labelled PNG sheet: cue | recalled | target (or nearest), one framed row "
            "per cue (green: correct, red: wrong, grey: no target).",
        ),
    ] = None,
    animate: Annotated[
        Path | None,
        typer.Option(
            metavar="GIF",
            help="Also write the run as an animated GIF (iteration and energy on each frame); several "
            "inputs write GIF/NAME.gif.",
        ),
    ] = None,
    recursive: RecursiveOption = False,
    limit: LimitOption = None,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Recall stored memories from damaged cues and write the reconstructions as PNG.

    Grey and colour models (--rule continuous) run the continuous update
    instead of --update, --temperature and --anneal, and need no seed.
    """
    from hopfield_cli.persistence import load_model

    model = load_model(model_path)
    images = _read_inputs(
        inputs,
        max_pixels=max_pixels,
        limit=limit,
        quiet=quiet,
        what="cues",
        shape=model.shape,
        fit=model.fit,  # cues are fitted as the memories were
        recursive=recursive,
    )
    targets = _output_paths(output, [image.name for image in images])
    _refuse_overwriting_inputs(targets, [model_path, *inputs])
    if montage is not None:
        _refuse_overwriting_inputs([montage], [model_path, *inputs], "--montage")
        if any(_same_path(montage, target) for target in targets):
            raise typer.BadParameter(f"{montage} is also a recall output", param_hint="--montage")
    animations = None
    if animate is not None:
        animations = _output_paths(animate, [image.name for image in images], ".gif", "--animate")
        _refuse_overwriting_inputs(animations, [model_path, *inputs], "--animate")
        taken = [*targets, *([montage] if montage is not None else [])]
        if any(_same_path(gif, other) for gif in animations for other in taken):
            raise typer.BadParameter(f"{animate} is also a recall output", param_hint="--animate")
    if model.is_continuous:
        _recall_continuous(
            model, images, targets, similarity.value, max_iter, montage, animations, quiet, as_json
        )
        return

    import numpy as np

    from hopfield_cli._atomic import durable_batch
    from hopfield_cli.dynamics import recall as run_dynamics
    from hopfield_cli.images import pattern_to_image, save_png, to_pattern
    from hopfield_cli.metrics import judge, targets_by_name

    cues = np.stack([to_pattern(image, model.shape, model.binarize) for image in images])
    network = model.network()
    with _progress("Recalling", len(images), quiet) as advance:
        results = run_dynamics(
            network,
            cues,
            update=update.value,
            max_iter=max_iter,
            temperature=temperature,
            anneal=anneal,
            rng=seed,
            progress=advance,
            snapshots=_SNAPSHOTS_PER_SWEEP if animations is not None else 0,
        )
    states = np.stack([r.state for r in results])
    judgements = judge(states, model.patterns, targets_by_name([i.name for i in images], model.names))
    # One flush for all outputs instead of one fsync per file (each still appears whole or not at all).
    with durable_batch():
        for state, target in zip(states, targets, strict=True):
            save_png(pattern_to_image(state, model.shape), target)
        if montage is not None:
            from hopfield_cli.figures import binary_tile, most_blocks

            first = most_blocks(model.shape, 3)  # tiles only for what a sheet can show
            tiles = [
                [
                    binary_tile(pattern, model.shape)
                    for pattern in (
                        cue,
                        state,
                        model.patterns[j.match.index if j.target is None else j.target],
                    )
                ]
                for cue, state, j in zip(cues[:first], states[:first], judgements[:first], strict=True)
            ]
            nearest = [model.names[j.match.index] for j in judgements]
            _write_montage(montage, tiles, images, judgements, nearest, model.shape, quiet)
        if animations is not None:
            from hopfield_cli.figures import binary_tile

            for image, result, gif in zip(images, results, animations, strict=True):
                _write_animation(
                    gif,
                    image.name,
                    result,
                    [binary_tile(s.state, model.shape) for s in result.snapshots],
                    model.shape,
                )
    records = [
        _recall_record(image.name, target, model, result, judgement)
        for image, target, result, judgement in zip(images, targets, results, judgements, strict=True)
    ]
    if as_json:
        for record in records:
            _emit_json(record)
    if not quiet:
        _print_recall(records, results)
        _print_recall_summary(records, model.rule, update.value)


#: Animation frames per asynchronous sweep: enough to watch the picture settle.
_SNAPSHOTS_PER_SWEEP = 5


def _write_montage(
    path: Path,
    tiles: "list[list[Tile]]",
    images: "list[GrayImage]",
    judgements: "Sequence[Any]",
    nearest: list[str],
    shape: tuple[int, int],
    quiet: bool,
) -> None:
    """The labelled recall sheet; says on stderr when it could not hold every cue."""
    from hopfield_cli.figures import MAX_SIDE, printable, recall_sheet
    from hopfield_cli.images import save_png
    from hopfield_cli.metrics import OTHER_MEMORY

    rows = [
        (
            image.name,
            # Name what a wrong recall became.
            f"{j.verdict} ({printable(name, 24)})" if j.verdict == OTHER_MEMORY else j.verdict,
            row,
            j.correct,
            j.target is not None,
        )
        # ``tiles`` may hold only the first cues: those a sheet can show.
        for image, row, j, name in zip(images, tiles, judgements, nearest, strict=False)
    ]
    drawn = recall_sheet(rows, shape)
    save_png(drawn.image, path)
    if drawn.shown < len(images) and not quiet:
        typer.echo(
            f"Note: {path} shows the first {drawn.shown} of {len(images)} cues "
            f"(sides stay within {MAX_SIDE} px)",
            err=True,
        )


def _write_animation(path: Path, name: str, result: Any, tiles: "list[Tile]", shape: tuple[int, int]) -> None:
    from hopfield_cli.figures import recall_animation, save_gif

    frames, durations = recall_animation(
        tiles,
        [s.phase for s in result.snapshots],
        [s.iteration for s in result.snapshots],
        [s.energy for s in result.snapshots],
        shape,
        name,
        result.status,
    )
    save_gif(frames, path, durations)


def _recall_continuous(
    model: "Model",
    images: "list[GrayImage]",
    targets: list[Path],
    similarity: str,
    max_iter: int,
    montage: Path | None,
    animations: list[Path] | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Recall grey or colour memories: one robust softmax lookup per cue."""
    import numpy as np

    from hopfield_cli._atomic import durable_batch
    from hopfield_cli.continuous import mse, psnr
    from hopfield_cli.figures import most_blocks, values_tile
    from hopfield_cli.images import save_png, to_values, values_to_image
    from hopfield_cli.metrics import MIXTURE, STORED, targets_by_name, verdict_of

    network = model.continuous_network(similarity)
    memories = model.memories.astype(np.float64) / 255.0
    owners = targets_by_name([image.name for image in images], model.names)
    cues = [to_values(image, model.shape, color=model.channels == 3) for image in images]
    records: list[dict[str, Any]] = []
    results = []
    # One flush for all outputs instead of one fsync per file (each still appears whole or not at all).
    with durable_batch():
        with _progress("Recalling", len(images), quiet) as advance:
            for image, target, own, (values, known) in zip(images, targets, owners, cues, strict=True):
                result = network.recall(values, known, max_iter=max_iter, snapshots=animations is not None)
                results.append(result)
                save_png(values_to_image(result.state, model.shape), target)
                # Scored as written: 8-bit levels.
                written = np.round(result.state * 255.0) / 255.0
                winner = result.winner
                error = None if own is None else mse(written, memories[own])
                # Grey levels rarely match bit for bit: correct means the target is the winning memory
                # (largest softmax weight); psnr says how close the picture is to it.
                correct = None if own is None else winner == own
                exact = bool(np.array_equal(written, memories[winner]))
                records.append(
                    {
                        "input": image.name,
                        "output": str(target),
                        "nearest": model.names[winner],
                        "weight": float(result.weights[winner]),
                        "target": None if own is None else model.names[own],
                        "correct": correct,
                        # null when the recall equals the target exactly (infinite PSNR).
                        "psnr": None if error is None or error == 0 else psnr(written, memories[own]),
                        "mse": error,
                        "exact": exact,
                        "verdict": verdict_of(STORED if exact else MIXTURE, correct),
                        "scale": result.scale,
                        # Known pixels set aside as flat damage (a cover in a noisy cue).
                        "ignored": result.ignored,
                        "iterations": result.iterations,
                        "converged": result.converged,
                        "status": result.status,
                        "energy": float(result.energies[-1]),
                        "energies": [float(e) for e in result.energies],
                    }
                )
                advance(1)
        judgements = [
            _Verdict(record["verdict"], record["correct"], own)
            for record, own in zip(records, owners, strict=True)
        ]
        if montage is not None:
            first = most_blocks(model.shape, 3)  # tiles only for what a sheet can show
            tiles = [
                [
                    values_tile(values, model.shape, known),
                    values_tile(result.state, model.shape),
                    values_tile(memories[result.winner if own is None else own], model.shape),
                ]
                for (values, known), result, own in zip(
                    cues[:first], results[:first], owners[:first], strict=True
                )
            ]
            nearest = [model.names[result.winner] for result in results]
            _write_montage(montage, tiles, images, judgements, nearest, model.shape, quiet)
        if animations is not None:
            for image, (values, known), result, gif in zip(images, cues, results, animations, strict=True):
                pictures = [values_tile(values, model.shape, known)]
                pictures += [values_tile(s.state, model.shape) for s in result.snapshots[1:]]
                _write_animation(gif, image.name, result, pictures, model.shape)
    if as_json:
        for record in records:
            _emit_json(record)
    if not quiet:
        _print_continuous_recall(records)
        _print_recall_summary(records, model.rule, None)


class _Verdict(NamedTuple):
    """What a montage row needs of a grey/colour recall's judgement (no dataclasses: start-up time)."""

    verdict: str
    correct: bool | None
    target: int | None


def _print_continuous_recall(records: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    if len(records) <= 3:
        for record in records:
            table = Table(title=f"Energy per iteration: {record['input']}")
            table.add_column("iteration", justify="right")
            table.add_column("energy", justify="right")
            for k, energy in enumerate(record["energies"]):
                table.add_row("0 (cue)" if k == 0 else str(k), f"{energy:.4f}")
            console.print(table)
    summary = Table(title="Recall")
    header = ("input", "nearest", "weight", "PSNR dB", "verdict", "iters", "status")
    for column in header:
        summary.add_column(
            column,
            justify="right" if column in ("weight", "PSNR dB", "iters") else "left",
            no_wrap=column != "status",  # a long status wraps rather than squeezing the names
        )
    rows = []
    for record in records:
        if record["target"] is None:
            quality = "-"
        else:
            quality = "exact" if record["psnr"] is None else f"{record['psnr']:.1f}"
        rows.append(
            [
                record["input"],
                record["nearest"],
                f"{record['weight']:.4f}",
                quality,
                Text(record["verdict"], style=_verdict_style(record)),
                str(record["iterations"]),
                record["status"],
            ]
        )
    for row in _fit_names(console.width, header, rows, (0, 1), wrap=(6,)):
        summary.add_row(*row)
    console.print(summary)


#: Names are never cut shorter than this (``hol…-0001``).
_MIN_NAME_WIDTH = 8


def _fit_names(
    width: int,
    header: Sequence[str],
    rows: list[list[Any]],
    names: Sequence[int],
    wrap: Sequence[int] = (),
) -> list[list[Any]]:
    """Rows whose name cells are shortened in the middle so that the whole table fits ``width`` columns.

    Names of one collection share a start (``holiday-photo-...``) and differ at the
    end; Rich would cut the end off.  The other columns keep their full width, except
    the columns in ``wrap``: where the names would get fewer than 8 characters, those
    are counted at half their width and Rich wraps them onto two lines (so that
    ``sync, then async fixed point`` does not take the names' room).
    """
    from hopfield_cli._text import middle_ellipsis, visible

    if not rows:
        return rows
    rows = [[visible(str(cell)) if c in names else cell for c, cell in enumerate(row)] for row in rows]

    def needs(c: int, wrapped: bool) -> int:
        widest_cell = max(len(header[c]), *(len(str(row[c])) for row in rows))
        if not wrapped or c not in wrap:
            return widest_cell
        longest_word = max(len(word) for row in rows for word in [header[c], *str(row[c]).split()])
        return max(longest_word, math.ceil(widest_cell / 2))

    borders = 3 * len(header) + 1
    room = width - sum(needs(c, False) for c in range(len(header)) if c not in names) - borders
    if room // len(names) < _MIN_NAME_WIDTH:
        # Too narrow with every column on one line: let the wrappable columns take two.
        room = width - sum(needs(c, True) for c in range(len(header)) if c not in names) - borders
    widest = max(_MIN_NAME_WIDTH, room // len(names))
    return [
        [middle_ellipsis(str(cell), widest) if c in names else cell for c, cell in enumerate(row)]
        for row in rows
    ]


def _verdict_style(record: dict[str, Any]) -> str:
    """Green for the right memory, red for a wrong one, yellow where there is nothing to judge by."""
    if record["correct"] is None:
        return "yellow"
    return "green" if record["correct"] else "red"


def _print_recall_summary(records: list[dict[str, Any]], rule: str, update: str | None) -> None:
    """One line of counts on stderr, and a hint when another update or rule would likely help."""
    from hopfield_cli.metrics import OTHER_MEMORY, SPURIOUS, tally

    counts = tally(
        [r["verdict"] for r in records], [r["correct"] for r in records], [r["status"] for r in records]
    )
    typer.echo(f"Recall: {counts.line()}", err=True)
    cues = max(1, counts.cues)
    wrong = counts.verdicts.get(OTHER_MEMORY, 0)
    hint = None
    if update == "sync" and counts.cycles * 4 >= cues and counts.cycles:
        hint = "many cues fell into 2-cycles (then continued from the cue): --update async avoids them"
    elif (
        update is not None
        and rule != DEFAULT_RULE_NAME
        and (wrong + counts.verdicts.get(SPURIOUS, 0)) * 4 >= cues
    ):
        hint = (
            f"{rule} weights pull correlated images towards other memories and mixtures; the default "
            f"rule (train --rule {DEFAULT_RULE_NAME}) keeps them apart"
        )
    elif update != "stochastic" and counts.verdicts.get(SPURIOUS, 0) * 4 >= cues and update is not None:
        hint = "many cues ended in spurious states: --update stochastic can anneal out of them"
    elif counts.unconverged:
        hint = "some cues did not settle: raise --max-iter"
    if hint is not None:
        typer.echo(f"Hint: {hint}.", err=True)


def _recall_record(
    name: str, output: Path, model: "Model", result: "RecallResult", judgement: "Judgement"
) -> dict[str, Any]:
    match = judgement.match
    return {
        "input": name,
        "output": str(output),
        "nearest": model.names[match.index],
        "overlap": match.overlap,
        "hamming": match.hamming,
        "target": None if judgement.target is None else model.names[judgement.target],
        "correct": judgement.correct,
        # Kept for scripts written before 'correct': the output is *some* stored pattern.
        "exact": match.exact,
        "verdict": judgement.verdict,
        "iterations": result.iterations,
        "converged": result.converged,
        "status": result.status,
        "energy": float(result.energies[-1]),
        "energies": [float(e) for e in result.energies],
    }


def _print_recall(records: list[dict[str, Any]], results: "list[RecallResult]") -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    if len(records) <= 3:
        for record, result in zip(records, results, strict=True):
            table = Table(title=f"Energy per iteration: {record['input']}")
            table.add_column("iteration", justify="right")
            table.add_column("energy", justify="right")
            table.add_column("changed", justify="right")
            table.add_row("0 (cue)", f"{result.energies[0]:.4f}", "")
            for k, (energy, changed) in enumerate(zip(result.energies[1:], result.changes, strict=True), 1):
                table.add_row(str(k), f"{energy:.4f}", str(int(changed)))
            console.print(table)
    summary = Table(title="Recall")
    header = ("input", "nearest", "overlap", "hamming", "verdict", "iters", "status")
    for column in header:
        summary.add_column(
            column,
            justify="right" if column in ("overlap", "hamming", "iters") else "left",
            no_wrap=column != "status",  # a long status wraps rather than squeezing the names
        )
    rows = [
        [
            record["input"],
            record["nearest"],
            f"{record['overlap']:.4f}",
            str(record["hamming"]),
            Text(record["verdict"], style=_verdict_style(record)),
            str(record["iterations"]),
            record["status"],
        ]
        for record in records
    ]
    for row in _fit_names(console.width, header, rows, (0, 1), wrap=(6,)):
        summary.add_row(*row)
    console.print(summary)


# ---------------------------------------------------------------- capacity


@app.command()
@_handle_errors
def capacity(
    neurons: Annotated[
        int | None, typer.Option(min=1, max=65536, help="Network size N for random unbiased patterns.")
    ] = None,
    images: Annotated[
        Path | None,
        typer.Option(help="Measure on your own images (a folder or file) instead of random patterns."),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(
            callback=_size_option,
            help="With --images: image size N or WxH (.npy/.npz stacks and IDX files keep their own).",
            show_default=DEFAULT_SIZE,
        ),
    ] = None,
    binarize: Annotated[
        str,
        typer.Option(callback=_binarize_option, help="With --images: mean, otsu, dither or a level 0-255."),
    ] = DEFAULT_BINARIZE,
    fit: FitOption = None,
    recursive: RecursiveOption = False,
    rules: Annotated[
        list[Rule] | None,
        typer.Option(
            "--rule", help="Learning rule; repeat to compare several.", show_default=DEFAULT_CAPACITY_RULE
        ),
    ] = None,
    noise: Annotated[
        float, typer.Option(callback=_fraction_option, help="Fraction of bits flipped in every cue.")
    ] = 0.1,
    trials: Annotated[
        int, typer.Option(min=1, max=_MAX_TRIALS, help="Independent repetitions per load.")
    ] = 3,
    loads: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated numbers of stored patterns P.",
            show_default=f"a grid of about {GRID_POINTS} loads per rule",
        ),
    ] = None,
    update: Annotated[Update, typer.Option(help="Dynamics used for recall.")] = DEFAULT_UPDATE_CHOICE,
    criterion: Annotated[
        str,
        typer.Option(
            help="exact: >= 90% of cues recalled bit for bit; all: every cue; or a mean-overlap threshold "
            "such as 0.95."
        ),
    ] = "exact",
    cues: Annotated[
        int, typer.Option(min=1, max=_MAX_CUES, help="Most stored patterns cued per load and trial.")
    ] = 100,
    max_iter: MaxIterOption = DEFAULT_MAX_ITER,
    degree: DegreeOption = None,
    beta: Annotated[
        float | None,
        typer.Option(
            help="Inverse temperature of the exponential rule.", show_default="ln(P)/2 + 2 at load P"
        ),
    ] = None,
    seed: SeedOption = None,
    jobs: Annotated[
        int,
        typer.Option(
            min=1, max=_MAX_JOBS, help=f"Worker processes for independent trials (at most {_MAX_JOBS} here)."
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            envvar="DASK_SCHEDULER_ADDRESS",
            show_envvar=True,
            help="Run the trials on the Dask cluster of this scheduler (such as tcp://host:8786) instead "
            "of this machine; needs pip install 'hopfield-cli[dask]'.",
        ),
    ] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write the per-load results as CSV.")] = None,
    plot: Annotated[
        Path | None,
        typer.Option(help="Also draw recall against load P/N with the theory lines (needs matplotlib)."),
    ] = None,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Measure how many patterns a network holds, against theory."""
    if rules and GREY in rules:
        raise typer.BadParameter(
            "capacity sweeps binary rules; the continuous rule's capacity is exponential in N",
            param_hint="--rule",
        )
    if binarize == NO_BINARIZE:
        raise typer.BadParameter(
            "capacity sweeps binary patterns; give a binarization", param_hint="--binarize"
        )
    if (neurons is None) == (images is None):
        raise typer.BadParameter("give exactly one of --neurons N or --images DIR", param_hint="--neurons")
    parsed_criterion = _criterion_option(criterion)
    parsed_loads = _loads_option(loads)
    if parsed_loads and neurons is not None and parsed_loads[-1] * neurons > _MAX_LOAD_VALUES:
        raise typer.BadParameter(
            f"P x N must be at most {_MAX_LOAD_VALUES}; got {parsed_loads[-1]} x {neurons}",
            param_hint="--loads",
        )
    if beta is not None and not (math.isfinite(beta) and beta > 0):
        raise typer.BadParameter(f"must be a finite number > 0, got {beta}", param_hint="--beta")
    written = [path for path in (csv, plot) if path is not None]
    _refuse_overwriting_inputs(written, [images] if images is not None else [], "--csv/--plot")
    if csv is not None and plot is not None and _same_path(csv, plot):
        raise typer.BadParameter(f"{csv} is given for both", param_hint="--csv/--plot")
    chosen = [r.value for r in rules] if rules else [DEFAULT_CAPACITY_RULE]
    own = _rule_params(chosen, degree=degree, beta=beta)
    if plot is not None:
        _require_matplotlib()
    if scheduler is not None:
        scheduler = _scheduler_option(scheduler, jobs)
    import numpy as np

    from hopfield_cli.capacity import capacity_sweep, default_loads

    for rule in chosen if parsed_loads is None else []:
        if neurons is None:
            break  # --images: the loads never exceed the images given
        top = default_loads(rule, neurons, **own[rule])[-1]
        if top * neurons > _MAX_LOAD_VALUES:
            raise typer.BadParameter(
                f"the default {rule} loads reach P = {top}, and P x N = {top * neurons} is over "
                f"{_MAX_LOAD_VALUES}; give a smaller --neurons or --loads",
                param_hint="--neurons",
            )
    patterns = None
    if images is not None:
        from hopfield_cli.images import to_pattern

        gray = _read_inputs(
            [images],
            max_pixels=max_pixels,
            limit=None,
            quiet=quiet,
            what="images",
            shape=parse_size(size) if size else None,
            default_shape=parse_size(DEFAULT_SIZE),
            fit=fit.value if fit else DEFAULT_FIT,
            recursive=recursive,
        )
        shape = _native_note(gray, size, quiet)
        patterns = np.stack([to_pattern(image, shape, binarize, use_known=False) for image in gray])
    results = []
    with _dask_executor(scheduler) as executor:
        for rule in chosen:
            total = trials * (len(parsed_loads) if parsed_loads else GRID_POINTS)
            with _progress(f"Capacity: {rule}", total, quiet) as advance:
                results.append(
                    capacity_sweep(
                        rule,
                        neurons=neurons,
                        patterns=patterns,
                        loads=parsed_loads,
                        noise=noise,
                        trials=trials,
                        update=update.value,
                        criterion=parsed_criterion,
                        cues=cues,
                        max_iter=max_iter,
                        rng=seed,
                        progress=advance,
                        jobs=jobs,
                        executor=executor,
                        **own[rule],
                    )
                )
    if csv is not None:
        from hopfield_cli.capacity import write_capacity_csv

        write_capacity_csv(results, csv)
    if plot is not None:
        from hopfield_cli.capacity import plot_capacity

        plot_capacity(results, plot)
    if as_json:
        for result in results:
            _emit_json(result.to_dict())
    if not quiet:
        _print_capacity(results)


#: Seconds to wait for a Dask scheduler before giving up (Dask's own default is 30 s).
SCHEDULER_CONNECT_TIMEOUT = 5


def _scheduler_option(address: str, jobs: int) -> str:
    """Check a scheduler address before Dask sees it (a bad one would hang in Client.__del__)."""
    if jobs > 1:
        raise typer.BadParameter(
            "give --jobs (this machine) or --scheduler (a Dask cluster), not both", param_hint="--scheduler"
        )
    address = address.strip()
    full = address if "://" in address else f"tcp://{address}"
    protocol, _, location = full.partition("://")
    host, _, port = location.rpartition(":")
    if protocol not in ("tcp", "tls") or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(
            f"must be a scheduler address such as tcp://host:8786, got {address!r}", param_hint="--scheduler"
        )
    return full


def _probe_scheduler(address: str) -> None:
    """Fail within :data:`SCHEDULER_CONNECT_TIMEOUT` seconds, in one line, where Dask's Client would not.

    Dask's connect timeout covers the TCP connect only: a server (or firewall) that accepts
    the connection and stays silent keeps ``Client()`` waiting for ever, and one that speaks
    another protocol (an HTTP server such as the dashboard's port 8787, ssh) ends in a bogus
    out-of-memory error and a traceback at exit.  A Dask server speaks first: its handshake
    frame starts with the frame's length as a little-endian 64-bit integer.
    """
    import socket
    import struct
    import time

    protocol, _, location = address.partition("://")
    host, _, port = location.rpartition(":")
    deadline = time.monotonic() + SCHEDULER_CONNECT_TIMEOUT
    header = b""
    silence = "no answer"
    try:
        with socket.create_connection((host.strip("[]"), int(port)), SCHEDULER_CONNECT_TIMEOUT) as sock:
            silence = "connected, but no Dask handshake"
            while protocol == "tcp" and len(header) < 8:  # tls: encrypted, Dask's own checks must do
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = sock.recv(8 - len(header))
                if not chunk:
                    raise HopfieldError(f"{address} closed the connection without a Dask handshake")
                header += chunk
    except TimeoutError:
        raise HopfieldError(
            f"cannot reach the Dask scheduler at {address}: {silence} within {SCHEDULER_CONNECT_TIMEOUT} s"
        ) from None
    except OSError as exc:
        raise HopfieldError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None
    if header and not 0 < struct.unpack("<Q", header)[0] < 2**26:
        raise HopfieldError(f"{address} is not a Dask scheduler: it answers in another protocol")


@contextmanager
def _dask_executor(address: str | None) -> "Iterator[Executor | None]":
    """A concurrent.futures view of a Dask client on ``address``; None without one."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise HopfieldError("--scheduler needs Dask: pip install 'hopfield-cli[dask]'") from None
    _probe_scheduler(address)
    try:
        client = Client(  # type: ignore[no-untyped-call]
            address, timeout=SCHEDULER_CONNECT_TIMEOUT, set_as_default=False
        )
    except (OSError, TimeoutError) as exc:
        raise HopfieldError(f"cannot reach the Dask scheduler at {address}: {_one_line(exc)}") from None
    except Exception as exc:  # a server that answered the probe, then not as Dask does
        raise HopfieldError(f"{address} did not answer as a Dask scheduler: {_one_line(exc)}") from None
    try:
        # pure=False: every trial is its own task, even if two sweeps ask for the same one.
        yield client.get_executor(pure=False)  # type: ignore[no-untyped-call]
    except ModuleNotFoundError as exc:
        raise HopfieldError(
            f"a Dask worker of {address} cannot import {exc.name}: install hopfield-cli on every worker"
        ) from None
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _criterion_option(text: str) -> str | float:
    if text in ("exact", "all"):
        return text
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0.0 < value <= 1.0):
        raise typer.BadParameter(
            f"must be exact, all or an overlap in (0, 1], got {text!r}", param_hint="--criterion"
        )
    return value


def _loads_option(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        values = []
    if not values or values[0] < 1:
        raise typer.BadParameter(
            f"must be comma-separated positive integers, got {text!r}", param_hint="--loads"
        )
    return values


def _require_matplotlib() -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise HopfieldError("--plot needs matplotlib: pip install 'hopfield-cli[plot]'")


def _print_capacity(results: list[Any]) -> None:
    from rich.table import Table

    from hopfield_cli._text import format_count
    from hopfield_cli.specs import spec_for

    console = _console()
    for result in results:
        title = f"{result.rule}: N = {result.neurons}, noise {result.noise}, {result.trials} trial(s)"
        # A parameter worked out at each load (the exponential beta) says how.
        title += "".join(f", {key} {note}" for key, note in result.param_defaults().items())
        table = Table(title=title)
        for column in ("P", "P/N", "exact", "overlap", "iterations", "spurious", "ok"):
            table.add_column(column, justify="right")
        for point in result.points:
            table.add_row(
                str(point.load),
                f"{point.load / result.neurons:.4f}",
                f"{point.exact:.3f}",
                f"{point.overlap:.4f}",
                f"{point.iterations:.1f}",
                f"{point.spurious:.3f}",
                "yes" if point.passed else "no",
            )
        console.print(table)
        bound = "at least " if result.lower_bound else ""
        logs = spec_for(result.rule, **result.params).theory_log10(result.neurons, result.noise)
        theory = ", ".join(
            f"{name} = {format_count(value, logs.get(name))}" for name, value in result.theory.items()
        )
        console.print(f"capacity ({result.criterion}): {bound}{result.capacity}   theory: {theory or 'none'}")


# ---------------------------------------------------------------- inspect

_MAX_HEATMAP_NEURONS = 4096


@app.command()
@_handle_errors
def inspect(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="Model file written by 'hopfield train'.")
    ],
    weights: Annotated[
        Path | None,
        typer.Option(
            metavar="PNG",
            help=f"Write the weight matrix as a heat-map PNG with a colour bar (pairwise rules, up to "
            f"{_MAX_HEATMAP_NEURONS} neurons); other rules draw the P x P pattern-overlap matrix.",
        ),
    ] = None,
    patterns: Annotated[
        Path | None,
        typer.Option(metavar="PNG", help="Write the stored patterns as a contact-sheet PNG, each named."),
    ] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show what a model stores: rule and parameters, capacity theory, the most similar memories."""
    _refuse_overwriting_inputs([p for p in (weights, patterns) if p is not None], [model_path], "--weights")
    from hopfield_cli.persistence import load_model

    model = load_model(model_path)
    note = _inspect_pictures(model, weights, patterns)
    if note is not None and not quiet:
        typer.echo(_one_line(note), err=True)
    if model.is_continuous:
        _inspect_continuous(model, model_path, weights, patterns, quiet, as_json)
        return

    info: dict[str, Any] = {"model": str(model_path)} | model.describe()
    if as_json:
        _emit_json(info)
    if not quiet:
        _print_inspect(info)


def _inspect_continuous(
    model: "Model", model_path: Path, weights: Path | None, patterns: Path | None, quiet: bool, as_json: bool
) -> None:
    """Inspect grey or colour memories: sizes, closest pair, a contact sheet."""
    info: dict[str, Any] = {"model": str(model_path)} | model.describe()
    if as_json:
        _emit_json(info)
    if quiet:
        return
    from rich.table import Table

    console = _console()
    colour = "colour" if model.channels == 3 else "grey"
    summary = Table(title=f"Model {info['model']}", show_header=False)
    summary.add_row("rule", f"{model.rule} ({colour} levels)")
    summary.add_row("parameters", f"beta={info['params']['beta']:g}")
    summary.add_row("patterns", str(model.n_patterns))
    summary.add_row(
        "pixels",
        f"{model.shape[0] * model.shape[1]} ({model.shape[1]}x{model.shape[0]}, {colour}, fit {model.fit})",
    )
    summary.add_row("capacity theory", "exponential in N for well-separated memories (Ramsauer et al. 2020)")
    if info["min_distance"] is not None:
        a, b = info["min_distance_pair"]
        sampled = f" (among {info['distances_sampled']} sampled)" if info["distances_sampled"] else ""
        summary.add_row("closest pair", f"{info['min_distance'] * 255:.1f} levels RMS ({a}, {b}){sampled}")
    console.print(summary)
    names = info["names"]
    distances = info["distances"]
    if len(names) > 2 and distances is not None:
        from hopfield_cli._text import middle_ellipsis

        closest = sorted(
            (distances[i][j], i, j) for i in range(len(names)) for j in range(i + 1, len(names))
        )[:5]
        table = Table(title="Most similar pairs")
        table.add_column("memory", no_wrap=True)
        table.add_column("memory", no_wrap=True)
        table.add_column("RMS levels", justify="right")
        for distance, i, j in closest:
            table.add_row(
                middle_ellipsis(names[i], _NAME_WIDTH),
                middle_ellipsis(names[j], _NAME_WIDTH),
                f"{distance * 255:.1f}",
            )
        console.print(table)
    _print_names(names)


def _inspect_pictures(model: "Model", weights: Path | None, patterns: Path | None) -> str | None:
    """``inspect --weights`` and ``--patterns``: labelled pictures of what a model stores.

    Returns a note for stderr when the sheet could not show every pattern.
    """
    from hopfield_cli import figures
    from hopfield_cli.images import save_png

    if weights is not None:
        image = None
        if not model.is_continuous:
            from hopfield_cli.network import QuadraticNetwork

            network = model.network()
            if isinstance(network, QuadraticNetwork):
                if model.n_neurons > _MAX_HEATMAP_NEURONS:
                    raise typer.BadParameter(
                        f"the model has {model.n_neurons} neurons; the N x N weight matrix is drawn up to "
                        f"{_MAX_HEATMAP_NEURONS}",
                        param_hint="--weights",
                    )
                n = model.n_neurons
                image = figures.heatmap(
                    network.weights(),
                    f"weights W ({n} x {n} neurons), {model.rule} rule",
                    "W_ij of neurons i, j",
                )
        if image is None:
            # Dense and continuous rules have no pairwise matrix: how alike the memories are drives them.
            if model.is_continuous:
                matrix, total = figures.correlation_matrix(model.memories)
                title = "pattern correlations (Pearson) of the stored pictures"
            else:
                matrix, total = figures.overlap_matrix(model.patterns)
                title = "pattern overlaps m = xi . xi' / N of the stored patterns"
            shown = matrix.shape[0]
            note = f"{model.rule} rule: no pairwise weight matrix; P x P = {shown} x {shown}"
            if shown < total:
                note += f", the first {shown} of {total} patterns"
            image = figures.heatmap(matrix, title, note, limit=1.0, names=model.names[:shown])
        save_png(image, weights)
    if patterns is not None:
        # Tiles only for what a sheet can show (MNIST's 60,000 would not fit).
        first = min(model.n_patterns, figures.most_blocks(model.shape, 1))
        if model.is_continuous:
            flat = model.memories[:first].astype(float) / 255.0
            tiles = [figures.values_tile(values, model.shape) for values in flat]
        else:
            tiles = [figures.binary_tile(pattern, model.shape) for pattern in model.patterns[:first]]
        drawn = figures.pattern_sheet(tiles, model.names[:first], model.shape, model.n_patterns)
        save_png(drawn.image, patterns)
        if drawn.shown < model.n_patterns:
            return (
                f"Note: {patterns} shows the first {drawn.shown} of {model.n_patterns} patterns "
                f"(sides stay within {figures.MAX_SIDE} px)"
            )
    return None


#: Characters of a memory's name in tables: two names and a number fit 80 columns.
_NAME_WIDTH = 26


def _print_inspect(info: dict[str, Any]) -> None:
    from rich.table import Table

    from hopfield_cli._text import format_count, middle_ellipsis

    console = _console()
    summary = Table(title=f"Model {info['model']}", show_header=False)
    summary.add_row("rule", info["rule"])
    summary.add_row("parameters", _params_text(info["effective_params"], info["param_defaults"]))
    summary.add_row("patterns", str(info["patterns"]))
    summary.add_row(
        "neurons",
        f"{info['neurons']} ({info['shape'][1]}x{info['shape'][0]}, binarize {info['binarize']}, "
        f"fit {info['fit']})",
    )
    summary.add_row("load P/N", f"{info['load']:.4f}")
    for k, (name, log10) in enumerate(info["theory_log10"].items()):
        value = format_count(info["theory"].get(name), log10)
        summary.add_row("capacity theory" if k == 0 else "", f"{name} = {value} patterns")
    if info["max_overlap"] is not None:
        a, b = info["max_overlap_pair"]
        sampled = f" (among {info['overlaps_sampled']} sampled)" if info["overlaps_sampled"] else ""
        summary.add_row(
            "overlaps",
            f"largest |m| {info['max_overlap']:.3f} ({middle_ellipsis(a, _NAME_WIDTH)}, "
            f"{middle_ellipsis(b, _NAME_WIDTH)}), mean |m| {info['mean_overlap']:.3f}{sampled}",
        )
    if info.get("storkey_summary"):
        summary.add_row("file keeps", "Storkey summary (two P x P matrices, checked before use)")
    console.print(summary)
    pairs = info["closest_pairs"]
    if pairs:
        table = Table(title="Most similar pairs")
        table.add_column("memory", no_wrap=True)
        table.add_column("memory", no_wrap=True)
        table.add_column("overlap m", justify="right")
        for pair in pairs:
            table.add_row(
                middle_ellipsis(pair["a"], _NAME_WIDTH),
                middle_ellipsis(pair["b"], _NAME_WIDTH),
                f"{pair['overlap']:+.3f}",
            )
        console.print(table)
    _print_names(info["names"])


def _params_text(params: dict[str, Any], defaults: dict[str, str]) -> str:
    """``beta=4.649 (ln(P)/2 + 2)``: each parameter of the rule, as used."""
    parts = []
    for key, value in params.items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={text}" + (f" ({defaults[key]})" if key in defaults else ""))
    return ", ".join(parts) if parts else "none"


def _print_names(names: list[str]) -> None:
    from hopfield_cli._text import middle_ellipsis

    shown = ", ".join(middle_ellipsis(name, _NAME_WIDTH) for name in names[:20])
    _console().print(f"stored: {shown}" + (f" ... ({len(names)} in all)" if len(names) > 20 else ""))


# ---------------------------------------------------------------- help text

#: One line per command in ``hopfield --help``: whole, within 80 columns (Click cuts longer ones).
_SHORT_HELP = {
    "train": "Store images as memories in an .npz model.",
    "corrupt": "Damage images into PNG cues: flip, erase, occlude, half, noise.",
    "recall": "Recall memories from damaged cues; write them as PNG.",
    "capacity": "Measure how many patterns a network holds, against theory.",
    "inspect": "Show a model: rule, parameters, theory, similar memories.",
}

#: Word metavars (``--size SIZE``) by parameter name; others by type.
_METAVARS = {
    "output": "PATH",
    "append": "MODEL",
    "model_path": "MODEL",
    "size": "SIZE",
    "binarize": "METHOD",
    "fit": "FIT",
    "rule": "RULE",
    "rules": "RULE",
    "update": "MODE",
    "kind": "KIND",
    "fill": "FILL",
    "side": "SIDE",
    "similarity": "SIMILARITY",
    "criterion": "CRITERION",
    "loads": "P,P,...",
    "scheduler": "ADDRESS",
    "images": "PATH",
    "noise": "FRACTION",
    "seed": "SEED",
    "limit": "K",
    "max_pixels": "PIXELS",
    "max_iter": "STEPS",
    "trials": "COUNT",
    "cues": "COUNT",
    "jobs": "JOBS",
    "neurons": "N",
    "degree": "N",
    "beta": "BETA",
    "temperature": "T",
    "anneal": "SWEEPS",
    "threshold": "THETA",
}
_TYPE_METAVARS = {"path": "FILE", "float": "NUMBER", "integer": "INTEGER", "integer range": "INTEGER"}


class _Command(typer.core.TyperCommand):
    """Typer's command with word metavars (``--size SIZE``) and the choices of each option in its help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if not isinstance(param, typer.core.TyperOption) or param.is_flag or param.metavar:
                continue
            type_name = str(getattr(param.type, "name", "")).lower()
            param.metavar = _METAVARS.get(param.name or "", _TYPE_METAVARS.get(type_name, "TEXT"))
            choices = [str(getattr(c, "value", c)) for c in getattr(param.type, "choices", ())]
            if choices and not all(choice in (param.help or "") for choice in choices):
                param.help = f"{param.help or ''} One of: {', '.join(choices)}.".strip()
            if isinstance(param.show_default, str):
                # Click writes a text default as "[default: (64)]": one style with the others instead.
                param.help = f"{param.help or ''}  [default: {param.show_default}]"
                param.show_default = False


def _finish_commands() -> None:
    for info in app.registered_commands:
        if info.cls in (None, typer.core.TyperCommand):
            info.cls = _Command
        info.short_help = info.short_help or _SHORT_HELP.get(_command_name(info))


def main() -> None:
    """Console-script entry point."""
    # Measured: multi-threaded OpenBLAS spends 10-50x longer than one thread on
    # the skinny (N x K) products of low-rank networks.  Users can override.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    _app_for(sys.argv[1:])()


def _app_for(args: Sequence[str]) -> typer.Typer:
    """The app to run: only the named command's, when a command is named.

    Typer builds every command's options on each start; building one instead
    of five saves about 10 ms per call, which scripts looping over hundreds of
    files feel.  Help, usage and errors of that command are unchanged.
    """
    wanted = [c for c in app.registered_commands if args and _command_name(c) == args[0]]
    if not wanted:
        return app
    single = copy.copy(app)
    single.registered_commands = wanted
    return single


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__)


_finish_commands()
