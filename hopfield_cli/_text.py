"""Numbers and names as a reader takes them in: short, and never misleading.

Pure functions shared by the library's messages and the command line's tables.
"""

from __future__ import annotations

import math

#: Counts below this are written out in full; larger ones as ``2.9e20``.
PLAIN_LIMIT = 1e6


def format_count(value: float | None, log10: float | None = None) -> str:
    """A (possibly astronomically) large count in a few characters.

    Parameters
    ----------
    value : float or None
        The count; may be infinite when it overflowed a float.
    log10 : float, optional
        Its decimal logarithm, used when ``value`` is infinite or None.

    Returns
    -------
    str
        ``"1004"`` below :data:`PLAIN_LIMIT`, else one decimal of mantissa
        and the exponent (``"2.9e20"``, ``"2.1e616"``); ``"inf"`` when
        nothing finite is known.

    Examples
    --------
    >>> format_count(1004.2), format_count(2.9e20), format_count(float("inf"), 616.3)
    ('1004', '2.9e20', '2.0e616')
    """
    if value is not None and math.isfinite(value):
        if abs(value) < PLAIN_LIMIT:
            return f"{value:.0f}"
        digits, power = f"{value:.1e}".split("e")
        return f"{digits}e{int(power)}"
    if log10 is None or not math.isfinite(log10):
        return "inf"
    exponent = math.floor(log10)
    mantissa = round(10 ** (log10 - exponent), 1)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.1f}e{exponent}"


def middle_ellipsis(name: str, width: int) -> str:
    """``name`` shortened to ``width`` characters by cutting out its middle.

    Names of one collection often share a prefix and differ at the end
    (``digits-0007``, ``digits-0012``): both ends stay visible, the end
    with two thirds of the room.

    Examples
    --------
    >>> middle_ellipsis("mnist-train-00017", 11)
    'mni…n-00017'
    >>> middle_ellipsis("short", 11)
    'short'
    """
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    if len(name) <= width:
        return name
    if width < 3:
        return name[:width]
    keep = width - 1
    head = max(1, keep // 3)
    tail = keep - head
    return f"{name[:head]}…{name[len(name) - tail :]}"


def _is_control(char: str) -> bool:
    code = ord(char)
    # C0, DEL and C1 controls, and the bidirectional overrides that reorder what follows them.
    return code < 0x20 or 0x7F <= code < 0xA0 or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069


def visible(text: str) -> str:
    """``text`` with every control character written as an escape, so it cannot act on a terminal.

    File names may hold any byte but ``/``: an escape sequence in a name
    (``\\x1b]0;title\\x07``) would otherwise retitle or clear the reader's
    terminal, and a newline would forge a line of output.

    Examples
    --------
    >>> visible("photo [draft]")
    'photo [draft]'
    >>> visible("a\\x1b[2Jb\\nc")
    'a\\\\x1b[2Jb\\\\nc'
    """
    if not any(_is_control(char) for char in text):
        return text
    return "".join(repr(char)[1:-1] if _is_control(char) else char for char in text)
