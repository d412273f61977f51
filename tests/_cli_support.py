"""Shared helpers of the CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from hopfield_cli.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"
# Four correlated photos (pairwise overlaps up to 0.47 at 64x64).
FOUR_PHOTOS = [SAMPLES / f"{name}.png" for name in ("astronaut", "camera", "clock", "rocket")]

runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_clean_error(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code``, one ``Error:`` line naming ``fragments``, nothing on stdout."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    if code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
