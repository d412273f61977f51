"""A trained model: stored patterns plus everything needed to use them again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_patterns, check_choice
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.network import Network
from hopfield_cli.options import DEFAULT_BINARIZE, parse_binarize
from hopfield_cli.rules import DEFAULT_RULE, RULES, build_network

DEFAULT_DEGREE = 3


@dataclass(frozen=True)
class Model:
    """Stored memories and the settings that produced them.

    The weights are never stored: every rule rebuilds its network exactly
    from the patterns (in order) and these few parameters.

    Attributes
    ----------
    patterns : ndarray of shape (P, N), int8
        Stored patterns, -1/+1, in the order they were learned.
    names : tuple of str
        One name per pattern (the image file stems).
    shape : tuple of int
        Image (height, width); ``height * width == N``.
    binarize : str
        Binarization applied to images (``mean``, ``otsu``, ``dither`` or a level).
    rule : str
        Learning rule name.
    centered : bool
        Hebbian centring by the mean activity.
    threshold : float
        Extra threshold in field units.
    degree : int
        Degree of the polynomial dense rule.
    beta : float or None
        Inverse temperature of the exponential rule; None for the rule default.
    """

    patterns: NDArray[np.int8]
    names: tuple[str, ...]
    shape: tuple[int, int]
    binarize: str = DEFAULT_BINARIZE
    rule: str = DEFAULT_RULE
    centered: bool = False
    threshold: float = 0.0
    degree: int = DEFAULT_DEGREE
    beta: float | None = None
    _network: list[Network] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = as_patterns(self.patterns)
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "shape", (int(self.shape[0]), int(self.shape[1])))
        object.__setattr__(self, "binarize", parse_binarize(self.binarize))
        check_choice("rule", self.rule, RULES)
        if len(self.names) != patterns.shape[0]:
            raise InvalidParameterError(f"got {len(self.names)} names for {patterns.shape[0]} patterns")
        if self.shape[0] * self.shape[1] != patterns.shape[1]:
            raise InvalidParameterError(
                f"image shape {self.shape} does not match patterns of {patterns.shape[1]} neurons"
            )
        duplicates = sorted(name for name, count in Counter(self.names).items() if count > 1)
        if duplicates:
            raise InvalidParameterError(f"duplicate pattern names: {', '.join(duplicates)}")

    @property
    def n_neurons(self) -> int:
        """Number of neurons N."""
        return int(self.patterns.shape[1])

    @property
    def n_patterns(self) -> int:
        """Number of stored patterns P."""
        return int(self.patterns.shape[0])

    def params(self) -> dict[str, Any]:
        """Rule parameters, as passed to :func:`~hopfield_cli.rules.build_network`."""
        return {
            "centered": self.centered,
            "threshold": self.threshold,
            "degree": self.degree,
            "beta": self.beta,
        }

    def network(self) -> Network:
        """The network engine for these patterns (built once, then cached)."""
        if not self._network:
            self._network.append(build_network(self.rule, self.patterns, **self.params()))
        return self._network[0]

    def append(self, patterns: Any, names: Sequence[str]) -> Model:
        """A new model with ``patterns`` learned after the stored ones.

        Parameters
        ----------
        patterns : array_like of shape (Q, N)
        names : sequence of str
            One per new pattern; must not repeat stored names.
        """
        extra = as_patterns(patterns)
        if extra.shape[1] != self.n_neurons:
            raise InvalidParameterError(
                f"new patterns have {extra.shape[1]} neurons; the model has {self.n_neurons}"
            )
        return replace(
            self,
            patterns=np.concatenate([self.patterns, extra]),
            names=(*self.names, *names),
            _network=[],
        )
