"""Hopfield-network associative memory for images, as a library and a CLI.

The public API lives in the submodules (``images``, ``rules``, ``dynamics``,
``metrics``, ``corruption``, ``persistence``, ``capacity``); this package
module stays tiny so that ``hopfield --help`` starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
