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
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from hopfield_cli import __version__
from hopfield_cli.errors import HopfieldError, InvalidParameterError, PixelLimitError
from hopfield_cli.options import (
    DEFAULT_ANNEAL,
    DEFAULT_BINARIZE,
    DEFAULT_CAPACITY_RULE,
    DEFAULT_DEGREE,
    DEFAULT_MAX_ITER,
    DEFAULT_MAX_PIXELS,
    DEFAULT_SIZE,
    DEFAULT_TEMPERATURE,
    DEFAULT_UPDATE,
    GREY_RULE,
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

    from hopfield_cli.dynamics import RecallResult
    from hopfield_cli.images import GrayImage
    from hopfield_cli.model import Model

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="hopfield",
    help="Hopfield-network associative memory for images: store, damage and recall pictures.",
    no_args_is_help=True,
    add_completion=False,
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

else:
    # Built from the options' Literals (Typer takes no list of Literals): no copy of the names.
    Rule = Enum("Rule", {name: name for name in RULE_NAMES}, type=str)
    Update = Enum("Update", {name: name for name in UPDATE_NAMES}, type=str)

DEFAULT_RULE = Rule(DEFAULT_RULE_NAME)
GREY = Rule(GREY_RULE)
DEFAULT_UPDATE_CHOICE = Update(DEFAULT_UPDATE)


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
            with _signals_handled(), warnings.catch_warnings():
                # Overflow in exp() and the like is reported as a figure (null in --json), not a warning.
                warnings.simplefilter("ignore", RuntimeWarning)
                return command(*args, **kwargs)
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
            typer.echo(f"Error: {name}{exc.strerror or exc}", err=True)
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


def _flag_hint(exc: BaseException) -> str:
    """The options that would get past a structured library error."""
    if isinstance(exc, PixelLimitError):
        return " (raise it with --max-pixels" + (", or use --limit)" if exc.stack else ")")
    return ""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hopfield-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
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
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No tables or progress bars on stderr.")]
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
        help=f"Polynomial rule: degree n of F(x) = x^n (default {DEFAULT_DEGREE}).",
    ),
]
BetaOption = Annotated[
    float | None,
    typer.Option(
        callback=_beta_option,
        help="Exponential rule: inverse temperature on raw overlaps (default 8/sqrt(N)); "
        "continuous rule: inverse temperature on noise-scaled distances (default 1).",
    ),
]
ColorOption = Annotated[
    bool, typer.Option("--color", help="With --binarize none: keep RGB colour instead of grey levels.")
]
SeedOption = Annotated[
    int | None,
    typer.Option(callback=_seed_option, help="Seed of the random generator: same seed, same output bytes."),
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


# ---------------------------------------------------------------- shared helpers


def _console() -> "Console":
    from rich.console import Console

    # No markup, no emoji codes: file and memory names ("photo [draft].png", "a[/x]",
    # ":x:") are shown as written; styles come only as Text objects.
    return Console(stderr=True, highlight=False, markup=False, emoji=False)


@contextmanager
def _progress(description: str, total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr; yields a callback that advances it."""
    if quiet or total < 2:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
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
) -> "list[GrayImage]":
    """Read the inputs, each resampled to ``shape`` as soon as it is read."""
    from hopfield_cli.images import find_inputs, read_sources

    sources, skipped = find_inputs(inputs)
    if skipped and not quiet:
        names = ", ".join(p.name for p in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        typer.echo(f"Note: skipped {len(skipped)} file(s) that are not images: {names}", err=True)
    with _progress(f"Reading {what}", len(sources), quiet) as advance:
        images = read_sources(sources, max_pixels=max_pixels, limit=limit, progress=advance, shape=shape)
    duplicates = _repeated(image.name for image in images)
    if duplicates:
        raise HopfieldError(
            f"inputs share the name(s) {', '.join(duplicates[:5])}; rename them to keep outputs apart"
        )
    return images


def _repeated(names: Iterable[str]) -> list[str]:
    """Names that occur more than once, sorted (linear time: MNIST has 60,000)."""
    from collections import Counter

    return sorted(name for name, count in Counter(names).items() if count > 1)


def _output_paths(output: Path, names: Sequence[str], suffix: str = ".png") -> list[Path]:
    """One input writes the file ``output``; several write ``output/NAME.png``."""
    if len(names) == 1 and not output.is_dir():
        return [output]
    if output.exists() and not output.is_dir():
        raise HopfieldError(f"{output}: exists and is not a folder; several inputs need a folder for -o")
    from hopfield_cli.images import safe_name

    # Names come from files and archive members: one path component each, inside -o.
    return [output / f"{safe_name(name)}{suffix}" for name in names]


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
    size: Annotated[
        str | None,
        typer.Option(callback=_size_option, help=f"Image size N or WxH (default {DEFAULT_SIZE})."),
    ] = None,
    binarize: Annotated[
        str | None,
        typer.Option(
            callback=_binarize_option,
            help=f"Binarization: mean, otsu, dither or a level 0-255 (default {DEFAULT_BINARIZE}).",
        ),
    ] = None,
    rule: Annotated[
        Rule | None,
        typer.Option(
            help=f"Learning rule (default {DEFAULT_RULE.value}; see the README for which to use when)."
        ),
    ] = None,
    centered: Annotated[
        bool, typer.Option("--centered", help="Hebbian: centre patterns by their mean activity.")
    ] = False,
    threshold: Annotated[
        float | None, typer.Option(help="Binary rules: extra threshold added to every neuron (default 0).")
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
    shape = base.shape if base is not None else parse_size(size or DEFAULT_SIZE)
    images = _read_inputs(inputs, max_pixels=max_pixels, limit=limit, quiet=quiet, what="images", shape=shape)

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
            **own[chosen],
        )
    if model.spec.can_refuse:
        model.network()  # a rule that can refuse patterns: fail before writing
    save_model(model, target)
    summary = _train_summary(model, target)
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
        estimate = (
            f" (capacity estimate {summary['capacity_line']} = {summary['capacity_estimate']:.0f} patterns)"
        )
    else:
        estimate = " (capacity estimate: beyond any practical number of patterns)"
    table.add_row("load P/N", f"{summary['load']:.4f}{estimate}")
    if summary.get("max_overlap") is not None:
        a, b = summary["max_overlap_pair"]
        table.add_row("largest overlap", f"{summary['max_overlap']:.3f} ({a}, {b})")
    if summary.get("min_distance") is not None:
        a, b = summary["min_distance_pair"]
        colour = "colour" if summary["channels"] == 3 else "grey"
        table.add_row("closest pair", f"{summary['min_distance'] * 255:.1f} {colour} levels RMS ({a}, {b})")
    console = _console()
    console.print(table)
    for warning in summary["warnings"]:
        console.print(Text.assemble(("Warning:", "yellow"), f" {warning}"))


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
    size: Annotated[
        str, typer.Option(callback=_size_option, help="Image size N or WxH (use the model's size).")
    ] = DEFAULT_SIZE,
    binarize: Annotated[
        str,
        typer.Option(
            callback=_binarize_option,
            help="Binarization: mean, otsu, dither or a level 0-255; none keeps grey levels.",
        ),
    ] = DEFAULT_BINARIZE,
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
    limit: LimitOption = None,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Binarize images and damage them, writing PNG cues (unknown pixels are transparent).

    With --binarize none the cues keep grey levels (or colours with --color),
    and --kind gaussian (--noise is the standard deviation, a fraction of the
    intensity range) and saltpepper are available.
    """
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
    import numpy as np

    from hopfield_cli._validate import as_rng
    from hopfield_cli.corruption import corrupt as damage
    from hopfield_cli.corruption import corrupt_values
    from hopfield_cli.images import pattern_to_image, save_png, to_pattern, to_values, values_to_image

    shape = parse_size(size)
    images = _read_inputs(inputs, max_pixels=max_pixels, limit=limit, quiet=quiet, what="images", shape=shape)
    targets = _output_paths(output, [image.name for image in images])
    _refuse_overwriting_inputs(targets, inputs)
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
            _emit_json(record)
    if not quiet and not as_json:
        typer.echo(f"Wrote {len(targets)} cue(s) to {output}", err=True)


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
        Path | None, typer.Option(help="Also write a PNG sheet: cue | recalled | nearest stored.")
    ] = None,
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
        inputs, max_pixels=max_pixels, limit=limit, quiet=quiet, what="cues", shape=model.shape
    )
    targets = _output_paths(output, [image.name for image in images])
    _refuse_overwriting_inputs(targets, [model_path, *inputs])
    if montage is not None:
        _refuse_overwriting_inputs([montage], [model_path, *inputs], "--montage")
        if any(_same_path(montage, target) for target in targets):
            raise typer.BadParameter(f"{montage} is also a recall output", param_hint="--montage")
    if model.is_continuous:
        _recall_continuous(model, images, targets, similarity.value, max_iter, montage, quiet, as_json)
        return

    import numpy as np

    from hopfield_cli.dynamics import recall as run_dynamics
    from hopfield_cli.images import montage as make_montage
    from hopfield_cli.images import pattern_to_image, save_png, to_pattern
    from hopfield_cli.metrics import nearest

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
        )
    states = np.stack([r.state for r in results])
    matches = nearest(states, model.patterns)
    for state, target in zip(states, targets, strict=True):
        save_png(pattern_to_image(state, model.shape), target)
    if montage is not None:
        rows = [
            [cue, state, model.patterns[m.index]] for cue, state, m in zip(cues, states, matches, strict=True)
        ]
        save_png(make_montage(rows, model.shape), montage)
    records = [
        _recall_record(image.name, target, model, result, match)
        for image, target, result, match in zip(images, targets, results, matches, strict=True)
    ]
    if as_json:
        for record in records:
            _emit_json(record)
    if not quiet:
        _print_recall(records, results)


def _recall_continuous(
    model: "Model",
    images: "list[GrayImage]",
    targets: list[Path],
    similarity: str,
    max_iter: int,
    montage: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Recall grey or colour memories: one robust softmax lookup per cue."""
    import numpy as np

    from hopfield_cli.continuous import mse, psnr
    from hopfield_cli.images import montage_values, save_png, to_values, values_to_image

    network = model.continuous_network(similarity)
    memories = model.memories.astype(np.float64) / 255.0
    index = {name: k for k, name in enumerate(model.names)}
    cues = [to_values(image, model.shape, color=model.channels == 3) for image in images]
    records: list[dict[str, Any]] = []
    results = []
    with _progress("Recalling", len(images), quiet) as advance:
        for image, target, (values, known) in zip(images, targets, cues, strict=True):
            result = network.recall(values, known, max_iter=max_iter)
            results.append(result)
            save_png(values_to_image(result.state, model.shape), target)
            # Scored as written: 8-bit levels.
            written = np.round(result.state * 255.0) / 255.0
            winner = result.winner
            own = index.get(image.name)
            error = None if own is None else mse(written, memories[own])
            records.append(
                {
                    "input": image.name,
                    "output": str(target),
                    "nearest": model.names[winner],
                    "weight": float(result.weights[winner]),
                    "target": None if own is None else model.names[own],
                    "correct": None if own is None else winner == own,
                    # null when the recall equals the target exactly (infinite PSNR).
                    "psnr": None if error is None or error == 0 else psnr(written, memories[own]),
                    "mse": error,
                    "exact": bool(np.array_equal(written, memories[winner])),
                    "verdict": "stored" if np.array_equal(written, memories[winner]) else "mixture",
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
    if montage is not None:
        rows = [
            [(values, known), result.state, memories[result.winner]]
            for (values, known), result in zip(cues, results, strict=True)
        ]
        save_png(montage_values(rows, model.shape), montage)
    if as_json:
        for record in records:
            _emit_json(record)
    if not quiet:
        _print_continuous_recall(records)


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
    for column in ("input", "nearest", "weight", "PSNR dB", "verdict", "iters", "status"):
        summary.add_column(column, justify="right" if column in ("weight", "PSNR dB", "iters") else "left")
    for record in records:
        if record["target"] is None:
            quality = "-"
        else:
            quality = "exact" if record["psnr"] is None else f"{record['psnr']:.1f}"
        style = "green" if record["correct"] is not False and record["exact"] else "yellow"
        summary.add_row(
            record["input"],
            record["nearest"],
            f"{record['weight']:.4f}",
            quality,
            Text(record["verdict"], style=style),
            str(record["iterations"]),
            record["status"],
        )
    console.print(summary)


def _recall_record(
    name: str, target: Path, model: "Model", result: "RecallResult", match: Any
) -> dict[str, Any]:
    return {
        "input": name,
        "output": str(target),
        "nearest": model.names[match.index],
        "overlap": match.overlap,
        "hamming": match.hamming,
        "exact": match.exact,
        "verdict": match.verdict,
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
    for column in ("input", "nearest", "overlap", "hamming", "verdict", "iters", "status"):
        summary.add_column(column, justify="right" if column in ("overlap", "hamming", "iters") else "left")
    for record in records:
        style = "green" if record["exact"] else "yellow"
        summary.add_row(
            record["input"],
            record["nearest"],
            f"{record['overlap']:.4f}",
            str(record["hamming"]),
            Text(record["verdict"], style=style),
            str(record["iterations"]),
            record["status"],
        )
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
        str, typer.Option(callback=_size_option, help="With --images: image size N or WxH.")
    ] = DEFAULT_SIZE,
    binarize: Annotated[
        str,
        typer.Option(callback=_binarize_option, help="With --images: mean, otsu, dither or a level 0-255."),
    ] = DEFAULT_BINARIZE,
    rules: Annotated[
        list[Rule] | None,
        typer.Option("--rule", help="Learning rule; repeat to compare several (default hebbian)."),
    ] = None,
    noise: Annotated[
        float, typer.Option(callback=_fraction_option, help="Fraction of bits flipped in every cue.")
    ] = 0.1,
    trials: Annotated[
        int, typer.Option(min=1, max=_MAX_TRIALS, help="Independent repetitions per load.")
    ] = 3,
    loads: Annotated[
        str | None,
        typer.Option(help="Comma-separated numbers of stored patterns P (default: a grid per rule)."),
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
        float | None, typer.Option(help="Inverse temperature of the exponential rule (default: from N).")
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

        shape = parse_size(size)
        gray = _read_inputs(
            [images], max_pixels=max_pixels, limit=None, quiet=quiet, what="images", shape=shape
        )
        patterns = np.stack([to_pattern(image, shape, binarize, use_known=False) for image in gray])
    from hopfield_cli.specs import GRID_POINTS

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

    console = _console()
    for result in results:
        table = Table(
            title=f"{result.rule}: N = {result.neurons}, noise {result.noise}, {result.trials} trial(s)"
        )
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
        theory = ", ".join(
            f"{name} = {value:.0f}" for name, value in result.theory.items() if math.isfinite(value)
        )
        console.print(f"capacity ({result.criterion}): {bound}{result.capacity}   theory: {theory}")


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
            help=f"Write the weight matrix as a heat-map PNG (up to {_MAX_HEATMAP_NEURONS} neurons)."
        ),
    ] = None,
    patterns: Annotated[
        Path | None, typer.Option(help="Write the stored patterns as a contact-sheet PNG.")
    ] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show what a model stores: names, shape, rule, load and pairwise overlaps."""
    _refuse_overwriting_inputs([p for p in (weights, patterns) if p is not None], [model_path], "--weights")
    from hopfield_cli.persistence import load_model

    model = load_model(model_path)
    if weights is not None and model.n_neurons > _MAX_HEATMAP_NEURONS:
        raise typer.BadParameter(
            f"the model has {model.n_neurons} neurons; a heat map is drawn up to {_MAX_HEATMAP_NEURONS}",
            param_hint="--weights",
        )

    if model.is_continuous:
        _inspect_continuous(model, model_path, weights, patterns, quiet, as_json)
        return
    from hopfield_cli.images import save_png

    info: dict[str, Any] = {"model": str(model_path)} | model.describe()
    if weights is not None:
        from hopfield_cli.network import QuadraticNetwork

        network = model.network()
        if not isinstance(network, QuadraticNetwork):
            raise HopfieldError(f"--weights: the {model.rule} rule has no pairwise weight matrix to draw")
        save_png(_heatmap(network.weights()), weights)
    if patterns is not None:
        from hopfield_cli.images import montage

        columns = max(1, math.ceil(math.sqrt(model.n_patterns)))
        rows = [list(model.patterns[k : k + columns]) for k in range(0, model.n_patterns, columns)]
        save_png(montage(rows, model.shape, min_side=64), patterns)
    if as_json:
        _emit_json(info)
    if not quiet:
        _print_inspect(info)


def _inspect_continuous(
    model: "Model", model_path: Path, weights: Path | None, patterns: Path | None, quiet: bool, as_json: bool
) -> None:
    """Inspect grey or colour memories: sizes, closest pair, a contact sheet."""
    from hopfield_cli.images import montage_values, save_png

    if weights is not None:
        raise HopfieldError("--weights: the continuous rule has no pairwise weight matrix to draw")
    info: dict[str, Any] = {"model": str(model_path)} | model.describe()
    if patterns is not None:
        columns = max(1, math.ceil(math.sqrt(model.n_patterns)))
        flat = model.memories.astype(float) / 255.0
        rows = [list(flat[k : k + columns]) for k in range(0, model.n_patterns, columns)]
        save_png(montage_values(rows, model.shape, min_side=64), patterns)
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
        "pixels", f"{model.shape[0] * model.shape[1]} ({model.shape[1]}x{model.shape[0]}, {colour})"
    )
    if info["min_distance"] is not None:
        a, b = info["min_distance_pair"]
        sampled = f" (among {info['distances_sampled']} sampled)" if info["distances_sampled"] else ""
        summary.add_row("closest pair", f"{info['min_distance'] * 255:.1f} levels RMS ({a}, {b}){sampled}")
    console.print(summary)
    names = info["names"]
    distances = info["distances"]
    if 1 < len(names) <= 16 and distances is not None:
        table = Table(title="Pairwise RMS distances (levels)")
        table.add_column("")
        for name in names:
            table.add_column(name[:8], justify="right")
        for name, row in zip(names, distances, strict=True):
            table.add_row(name, *(f"{v * 255:.0f}" for v in row))
        console.print(table)
    else:
        console.print("stored: " + ", ".join(names[:20]) + (" ..." if len(names) > 20 else ""))


def _heatmap(matrix: Any) -> Any:
    """Blue (negative) - white - red (positive) picture of a matrix."""
    import numpy as np
    from PIL import Image

    limit = float(np.abs(matrix).max()) or 1.0
    scaled = np.clip(matrix / limit, -1.0, 1.0)
    positive, negative = np.clip(scaled, 0, 1), np.clip(-scaled, 0, 1)
    rgb = np.stack([1 - negative, 1 - positive - negative, 1 - positive], axis=-1)
    return Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8))


def _print_inspect(info: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    summary = Table(title=f"Model {info['model']}", show_header=False)
    summary.add_row("rule", info["rule"])
    params = ", ".join(f"{k}={v}" for k, v in info["params"].items() if v is not None)
    summary.add_row("parameters", params)
    summary.add_row("patterns", str(info["patterns"]))
    summary.add_row(
        "neurons", f"{info['neurons']} ({info['shape'][1]}x{info['shape'][0]}, binarize {info['binarize']})"
    )
    theory = ", ".join(f"{k} = {v:.0f}" for k, v in info["theory"].items())
    summary.add_row("load P/N", f"{info['load']:.4f} (capacity theory: {theory})")
    if info["max_overlap"] is not None:
        a, b = info["max_overlap_pair"]
        sampled = f" (among {info['overlaps_sampled']} sampled)" if info["overlaps_sampled"] else ""
        summary.add_row(
            "overlaps",
            f"largest {info['max_overlap']:.3f} ({a}, {b}), mean {info['mean_overlap']:.3f}{sampled}",
        )
    console.print(summary)
    names = info["names"]
    if 1 < len(names) <= 16:
        table = Table(title="Pairwise overlaps")
        table.add_column("")
        for name in names:
            table.add_column(name[:8], justify="right")
        for name, row in zip(names, info["overlaps"], strict=True):
            table.add_row(name, *(f"{v:.2f}" for v in row))
        console.print(table)
    else:
        console.print("stored: " + ", ".join(names[:20]) + (" ..." if len(names) > 20 else ""))


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
