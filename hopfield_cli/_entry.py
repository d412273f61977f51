"""Console-script entry point: Ctrl-C while the command line is still loading exits 130 too.

``hopfield_cli.cli`` imports Typer and Click (tens of milliseconds); a
SIGINT that arrives meanwhile would otherwise print a traceback.  This module
imports nothing heavy itself.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the ``hopfield`` command line."""
    try:
        from hopfield_cli.cli import main as run

        run()
    except KeyboardInterrupt:
        # Before (or after) the command's own handler: still one line and 130.
        sys.stderr.write("Interrupted.\n")
        raise SystemExit(130) from None
