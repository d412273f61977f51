"""Option values shared by the library and the CLI.

Kept free of NumPy and Pillow imports so that the command line can validate
its options (and print ``--help``) without loading them.
"""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

from hopfield_cli.errors import InvalidParameterError

#: Learning rules.  The one list of names: the CLI's choices and the rule
#: registry (:mod:`hopfield_cli.specs`, one spec per name) both come from it.
BinaryRuleName = Literal["hebbian", "storkey", "pseudoinverse", "polynomial", "exponential"]
#: Every rule: the binary ones (-1/+1 patterns), then the grey-level one.
RuleName = Literal[BinaryRuleName, "continuous"]
BINARY_RULE_NAMES: Final[tuple[BinaryRuleName, ...]] = get_args(BinaryRuleName)
RULE_NAMES: Final[tuple[RuleName, ...]] = get_args(RuleName)
#: Rule used when none is named (see :mod:`hopfield_cli.specs` for the measurements behind it).
DEFAULT_RULE: Final[BinaryRuleName] = "exponential"
#: The rule that stores grey levels (and colours) rather than -1/+1 patterns.
GREY_RULE: Final[RuleName] = "continuous"
#: Rule swept by ``capacity`` when none is named: the one with the classic theory lines.
DEFAULT_CAPACITY_RULE: Final[RuleName] = "hebbian"

#: Update modes of the dynamics.
UpdateName = Literal["sync", "async", "stochastic"]
UPDATE_NAMES: Final[tuple[UpdateName, ...]] = get_args(UpdateName)
#: Default of the CLI and of :func:`hopfield_cli.dynamics.recall` alike.
DEFAULT_UPDATE: Final[UpdateName] = "sync"
DEFAULT_MAX_ITER: Final = 100
DEFAULT_TEMPERATURE: Final = 0.5
DEFAULT_ANNEAL: Final = 10
#: Fraction of bits flipped in every capacity cue.
DEFAULT_NOISE: Final = 0.1
#: Points of a default capacity grid (here so that the CLI can say it without importing NumPy).
GRID_POINTS: Final = 12

#: Degree of the polynomial rule: default and the one set of bounds (every
#: command and the model file check the same ones; degree 30 already overflows
#: any float theory line past N = 10**10).
DEFAULT_DEGREE: Final = 3
MIN_DEGREE: Final = 2
MAX_DEGREE: Final = 30

#: How an image of another aspect ratio is brought to the network's size.
#: ``stretch`` (every pixel kept, shapes distorted: always reported) is what
#: models written before ``--fit`` existed did, so it stays the default.
FitName = Literal["crop", "pad", "stretch"]
FIT_NAMES: Final[tuple[FitName, ...]] = get_args(FitName)
DEFAULT_FIT: Final[FitName] = "stretch"

BINARIZE_METHODS = ("mean", "otsu", "dither")
#: ``--binarize none``: keep grey levels (or colours), for the continuous rule.
NO_BINARIZE = "none"
DEFAULT_SIZE = "64"
DEFAULT_BINARIZE = "mean"
DEFAULT_MAX_PIXELS = 100_000_000
MAX_SIDE = 4096  # 4096 x 4096 is N = 16.7 M neurons: far past any useful network


def parse_size(text: str | int) -> tuple[int, int]:
    """Parse ``"64"`` or ``"64x48"`` (width x height) into ``(height, width)``.

    Raises
    ------
    InvalidParameterError
        If the text is not one or two positive integers up to :data:`MAX_SIDE`.
    """
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?", str(text))
    if match is None:
        raise InvalidParameterError(f"size must be N or WxH with positive integers, got {text!r}")
    # Thousands of digits would exceed Python's int-conversion limit: too large anyway.
    width = int(match.group(1)) if len(match.group(1)) <= 9 else MAX_SIDE + 1
    height = (
        width if match.group(2) is None else int(match.group(2)) if len(match.group(2)) <= 9 else MAX_SIDE + 1
    )
    for side in (width, height):
        if not 1 <= side <= MAX_SIDE:
            raise InvalidParameterError(f"size sides must be between 1 and {MAX_SIDE}, got {text!r}")
    return height, width


def parse_binarize(text: str) -> str:
    """Validate a binarization name (mean, otsu, dither, none) or a 0-255 level."""
    value = str(text).strip().lower()
    if value in (*BINARIZE_METHODS, NO_BINARIZE):
        return value
    if value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= 255:
        return str(int(value))
    raise InvalidParameterError(
        f"binarize must be one of {', '.join((*BINARIZE_METHODS, NO_BINARIZE))} or a level 0-255, "
        f"got {text!r}"
    )
