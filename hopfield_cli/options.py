"""Option values shared by the library and the CLI.

Kept free of NumPy and Pillow imports so that the command line can validate
its options (and print ``--help``) without loading them.
"""

from __future__ import annotations

import re

from hopfield_cli.errors import InvalidParameterError

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
    width = int(match.group(1))
    height = int(match.group(2)) if match.group(2) is not None else width
    for side in (width, height):
        if not 1 <= side <= MAX_SIDE:
            raise InvalidParameterError(f"size sides must be between 1 and {MAX_SIDE}, got {text!r}")
    return height, width


def parse_binarize(text: str) -> str:
    """Validate a binarization name (mean, otsu, dither, none) or a 0-255 level."""
    value = str(text).strip().lower()
    if value in (*BINARIZE_METHODS, NO_BINARIZE):
        return value
    if value.isdigit() and 0 <= int(value) <= 255:
        return str(int(value))
    raise InvalidParameterError(
        f"binarize must be one of {', '.join((*BINARIZE_METHODS, NO_BINARIZE))} or a level 0-255, "
        f"got {text!r}"
    )
