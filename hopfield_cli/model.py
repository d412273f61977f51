"""A trained model: stored patterns plus everything needed to use them again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_patterns, check_choice
from hopfield_cli.continuous import DEFAULT_SIMILARITY, ContinuousNetwork, as_memories
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.network import Network
from hopfield_cli.options import DEFAULT_BINARIZE, NO_BINARIZE, parse_binarize
from hopfield_cli.rules import DEFAULT_RULE, RULES, _check_degree, build_network

DEFAULT_DEGREE = 3
#: The continuous modern Hopfield network (grey and colour memories).
CONTINUOUS = "continuous"
#: Every rule a model can use: the binary ones, then the continuous one.
MODEL_RULES = (*RULES, CONTINUOUS)


@dataclass(frozen=True)
class Model:
    """Stored memories and the settings that produced them.

    The weights are never stored: every rule rebuilds its network exactly
    from the patterns (in order) and these few parameters.

    Attributes
    ----------
    patterns : ndarray of shape (P, N), int8, or of shape (P, N * C), uint8
        Stored patterns, -1/+1, in the order they were learned; for the
        ``continuous`` rule, intensities 0-255 with the C channels of each
        pixel together (8 bits a value: the model stays small).
    names : tuple of str
        One name per pattern (the image file stems).
    shape : tuple of int
        Image (height, width); ``height * width == N``.
    binarize : str
        Binarization applied to images (``mean``, ``otsu``, ``dither`` or a
        level); ``none`` for the continuous rule.
    rule : str
        Learning rule name.
    centered : bool
        Hebbian centring by the mean activity.
    threshold : float
        Extra threshold in field units.
    degree : int
        Degree of the polynomial dense rule.
    beta : float or None
        Inverse temperature of the exponential or continuous rule; None for
        the rule default.
    channels : int
        Channels per pixel: 1 (binary or grey) or 3 (colour, continuous only).
    """

    patterns: NDArray[Any]
    names: tuple[str, ...]
    shape: tuple[int, int]
    binarize: str = DEFAULT_BINARIZE
    rule: str = DEFAULT_RULE
    centered: bool = False
    threshold: float = 0.0
    degree: int = DEFAULT_DEGREE
    beta: float | None = None
    channels: int = 1
    _network: list[Network] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_choice("rule", self.rule, MODEL_RULES)
        object.__setattr__(self, "binarize", parse_binarize(self.binarize))
        if self.channels not in (1, 3) or isinstance(self.channels, bool):
            raise InvalidParameterError(f"channels must be 1 or 3, got {self.channels!r}")
        patterns: NDArray[Any]
        if self.is_continuous:
            if self.binarize != NO_BINARIZE:
                raise InvalidParameterError("the continuous rule stores grey levels: binarize must be 'none'")
            patterns = as_memories(self.patterns).reshape(np.shape(self.patterns)[0], -1)
        else:
            if self.binarize == NO_BINARIZE:
                raise InvalidParameterError("binarize 'none' (grey levels) needs the continuous rule")
            if self.channels != 1:
                raise InvalidParameterError(f"the {self.rule} rule stores one channel, got {self.channels}")
            patterns = as_patterns(self.patterns)
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "shape", (int(self.shape[0]), int(self.shape[1])))
        object.__setattr__(self, "degree", _check_degree(self.degree))  # a file may say 10**18
        if len(self.names) != patterns.shape[0]:
            raise InvalidParameterError(f"got {len(self.names)} names for {patterns.shape[0]} patterns")
        if self.shape[0] * self.shape[1] * self.channels != patterns.shape[1]:
            with_channels = f" with {self.channels} channels" if self.channels > 1 else ""
            raise InvalidParameterError(
                f"image shape {self.shape}{with_channels} does not match patterns of "
                f"{patterns.shape[1]} neurons"
            )
        duplicates = sorted(name for name, count in Counter(self.names).items() if count > 1)
        if duplicates:
            raise InvalidParameterError(f"duplicate pattern names: {', '.join(duplicates)}")

    @property
    def is_continuous(self) -> bool:
        """True for grey or colour memories (the continuous rule)."""
        return self.rule == CONTINUOUS

    @property
    def memories(self) -> NDArray[np.uint8]:
        """Continuous patterns as (P, N, C) intensities 0-255."""
        if not self.is_continuous:
            raise InvalidParameterError(f"the {self.rule} rule stores -1/+1 patterns, not intensities")
        return np.asarray(self.patterns.reshape(self.n_patterns, -1, self.channels), dtype=np.uint8)

    @property
    def n_neurons(self) -> int:
        """Number of neurons N (values per pattern: pixels times channels)."""
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
        if self.is_continuous:
            raise InvalidParameterError("the continuous rule has no binary network: use continuous_network")
        if not self._network:
            self._network.append(build_network(self.rule, self.patterns, **self.params()))
        return self._network[0]

    def continuous_network(self, similarity: str = DEFAULT_SIMILARITY) -> ContinuousNetwork:
        """The continuous network of grey or colour memories.

        Parameters
        ----------
        similarity : {"robust", "euclidean"}
            See :class:`~hopfield_cli.continuous.ContinuousNetwork`.
        """
        if self.beta is None:
            return ContinuousNetwork(self.memories, similarity=similarity, shape=self.shape)
        return ContinuousNetwork(self.memories, beta=self.beta, similarity=similarity, shape=self.shape)

    def append(self, patterns: Any, names: Sequence[str]) -> Model:
        """A new model with ``patterns`` learned after the stored ones.

        Parameters
        ----------
        patterns : array_like of shape (Q, N)
        names : sequence of str
            One per new pattern; must not repeat stored names.
        """
        extra: NDArray[Any]
        if self.is_continuous:
            extra = as_memories(patterns).reshape(np.shape(patterns)[0], -1)
        else:
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
