"""Numbers and names as a reader takes them in (hopfield_cli._text)."""

from __future__ import annotations

import math

import pytest

from hopfield_cli._text import format_count, middle_ellipsis


@pytest.mark.parametrize(
    ("value", "log10", "text"),
    [
        (0.4, None, "0"),
        (1004.3, None, "1004"),
        (999_999.0, None, "999999"),
        (2.9e20, None, "2.9e20"),
        (2.9e20, 20.46, "2.9e20"),
        (math.inf, 616.3, "2.0e616"),
        (None, 99.999, "1.0e100"),
        (math.inf, None, "inf"),
    ],
)
def test_format_count(value: float | None, log10: float | None, text: str) -> None:
    assert format_count(value, log10) == text


def test_format_count_never_writes_16_digits() -> None:
    for exponent in range(0, 300, 7):
        assert len(format_count(10.0**exponent)) <= 8


def test_middle_ellipsis_keeps_both_ends() -> None:
    names = [f"mnist-train-images-{k:05d}" for k in (17, 18)]
    short = [middle_ellipsis(name, 12) for name in names]
    assert short == ["mni…es-00017", "mni…es-00018"]
    assert all(len(s) == 12 for s in short)
    assert middle_ellipsis("abc", 2) == "ab"
    with pytest.raises(ValueError, match="width must be >= 1, got 0"):
        middle_ellipsis("abc", 0)
