"""A trained model: stored patterns plus everything needed to use them again."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._text import format_count
from hopfield_cli._validate import as_patterns, check_choice
from hopfield_cli.continuous import DEFAULT_SIMILARITY, ContinuousNetwork, as_memories
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.network import Network
from hopfield_cli.options import (
    DEFAULT_BINARIZE,
    DEFAULT_DEGREE,
    DEFAULT_FIT,
    DEFAULT_NOISE,
    DEFAULT_RULE,
    FIT_NAMES,
    NO_BINARIZE,
    RULE_NAMES,
    parse_binarize,
)
from hopfield_cli.rules import StorkeySummary, _check_degree, _check_summary, storkey
from hopfield_cli.specs import ContinuousSpec, RuleSpec, StorkeySpec, spec_for

#: Closest grey memories (RMS over intensities in [0, 1]) below which a cue may recall either.
CLOSE_GREY_DISTANCE = 2.0 / 255.0
#: Most similar pairs :meth:`Model.describe` lists.
TOP_PAIRS = 5
#: Most patterns whose full overlap (or distance) matrix :meth:`Model.describe` returns.
MAX_MATRIX_PATTERNS = 64

#: The continuous modern Hopfield network (grey and colour memories).
CONTINUOUS = ContinuousSpec.name
#: Every rule a model can use: the binary ones, then the continuous one.
MODEL_RULES: tuple[str, ...] = RULE_NAMES


@dataclass(frozen=True)
class Model:
    """Stored memories and the settings that produced them.

    The weights are never stored: every rule rebuilds its network exactly
    from the patterns (in order) and these few parameters.  A large Storkey
    model may keep its :class:`~hopfield_cli.rules.StorkeySummary`, which
    makes the rebuild faster and is checked before use.

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
    fit : {"stretch", "crop", "pad"}
        How images of another aspect ratio were brought to ``shape``; cues
        are fitted the same way.
    storkey_summary : StorkeySummary or None
        For the ``storkey`` rule: two P x P matrices of an earlier build of
        these patterns (see :func:`hopfield_cli.rules.storkey`); None to
        build from the patterns alone.
    spec : RuleSpec
        The rule and its own parameters (built from the fields above; the
        parameters a rule does not take are ignored).
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
    fit: str = DEFAULT_FIT
    storkey_summary: StorkeySummary | None = field(default=None, repr=False, compare=False)
    spec: RuleSpec = field(init=False, repr=False, compare=False)
    _network: list[Network] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_choice("rule", self.rule, MODEL_RULES)
        check_choice("fit", self.fit, FIT_NAMES)
        object.__setattr__(self, "binarize", parse_binarize(self.binarize))
        object.__setattr__(self, "degree", _check_degree(self.degree))  # a file may say 10**18
        spec = spec_for(
            self.rule, centered=self.centered, threshold=self.threshold, degree=self.degree, beta=self.beta
        )
        object.__setattr__(self, "spec", spec)
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
        if self.storkey_summary is not None:
            if self.rule != StorkeySpec.name:
                raise InvalidParameterError(f"the {self.rule} rule keeps no Storkey summary")
            object.__setattr__(
                self, "storkey_summary", _check_summary(self.storkey_summary, patterns.shape[0])
            )

    @property
    def is_continuous(self) -> bool:
        """True for grey or colour memories (the continuous rule)."""
        return not self.spec.binary

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
        """The rule's own parameters (those of :attr:`spec`), by name."""
        return self.spec.params()

    def network(self) -> Network:
        """The network engine for these patterns (built once, then cached)."""
        if self.is_continuous:
            raise InvalidParameterError("the continuous rule has no binary network: use continuous_network")
        if not self._network:
            network: Network
            if self.storkey_summary is not None:
                network = storkey(self.patterns, threshold=self.threshold, summary=self.storkey_summary)
            else:
                network = self.spec.build(self.patterns)
            self._network.append(network)
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

    def summary(self) -> dict[str, Any]:
        """What training produced: sizes, load against theory, the closest memories, warnings.

        Returns
        -------
        dict
            JSON-ready: ``patterns``, ``neurons``, ``shape``, ``rule``, ``load``
            (P/N), ``capacity_estimate`` and ``capacity_line`` (the rule's
            smallest theory line, None where it has none), the most similar
            pair (``max_overlap``, or ``min_distance`` for grey memories) and
            ``warnings`` (texts) when the load or the similarity threatens recall.
        """
        n, p = self.n_neurons, self.n_patterns
        facts: dict[str, Any] = {"patterns": p, "neurons": n, "shape": list(self.shape), "rule": self.rule}
        warnings: list[str] = []
        if self.is_continuous:
            from hopfield_cli.continuous import closest_pair

            facts |= {
                "channels": self.channels,
                "load": p / n,
                "capacity_estimate": None,
                "capacity_line": None,
            }
            facts |= {"min_distance": None, "min_distance_pair": None}
            if p > 1:
                pair = closest_pair(self.memories)
                facts["min_distance"] = pair.distance
                facts["min_distance_pair"] = [self.names[k] for k in pair.pair]
                facts["distances_sampled"] = pair.sampled
                if pair.distance < CLOSE_GREY_DISTANCE:
                    a, b = facts["min_distance_pair"]
                    warnings.append(
                        f"{a} and {b} differ by {pair.distance * 255:.1f} grey levels (RMS); "
                        "a cue may recall either"
                    )
            return facts | {"warnings": warnings}
        from hopfield_cli.metrics import pairwise_overlaps
        from hopfield_cli.specs import DEFAULT_CORRELATION_WARNING

        lines = self.theory()
        line, estimate = min(lines.items(), key=lambda item: item[1], default=(None, math.inf))
        facts |= {
            "load": p / n,
            "capacity_estimate": estimate if math.isfinite(estimate) else None,
            "capacity_line": line,
            "max_overlap": None,
            "max_overlap_pair": None,
        }
        if p > 1:
            pairs = pairwise_overlaps(self.patterns)
            facts["max_overlap"] = pairs.max_overlap
            facts["max_overlap_pair"] = [self.names[k] for k in pairs.pair]
            facts["overlaps_sampled"] = pairs.sampled
        if p > estimate:
            warnings.append(
                f"{p} patterns exceed the {self.rule} capacity estimate {line} = {format_count(estimate)}"
            )
        limit = self.spec.correlation_warning
        if facts["max_overlap"] is not None and facts["max_overlap"] > limit:
            a, b = facts["max_overlap_pair"]
            hint = f" (try the {DEFAULT_RULE} rule)" if limit < DEFAULT_CORRELATION_WARNING else ""
            warnings.append(
                f"{a} and {b} overlap by {facts['max_overlap']:.2f}; correlated memories may merge on recall"
                + hint
            )
        return facts | {"warnings": warnings}

    def theory(self, noise: float | None = None) -> dict[str, float]:
        """The rule's theoretical capacities at this N (empty below N = 2 or for grey memories)."""
        if self.n_neurons < 2:
            return {}
        return self.spec.theory(self.n_neurons, DEFAULT_NOISE if noise is None else noise)

    def theory_log10(self, noise: float | None = None) -> dict[str, float]:
        """Decimal logarithms of :meth:`theory`'s lines, finite where a line overflows a float."""
        if self.n_neurons < 2:
            return {}
        return self.spec.theory_log10(self.n_neurons, DEFAULT_NOISE if noise is None else noise)

    def describe(self) -> dict[str, Any]:
        """What the model stores, as ``hopfield inspect`` shows it.

        Returns
        -------
        dict
            JSON-ready: ``rule``, ``params`` (the rule's own), sizes, names,
            ``binarize``, ``load``; for binary rules the finite ``theory``
            lines and pairwise overlaps (largest pair, mean, the full matrix
            up to :data:`MAX_MATRIX_PATTERNS` patterns) and whether it keeps a
            ``storkey_summary``; for grey memories the closest pair and RMS
            distances instead.
        """
        facts: dict[str, Any] = {"rule": self.rule, "params": self.params(), "shape": list(self.shape)}
        if self.is_continuous:
            from hopfield_cli.continuous import closest_pair, pairwise_distances

            pair = closest_pair(self.memories) if self.n_patterns > 1 else None
            small = self.n_patterns <= MAX_MATRIX_PATTERNS
            distances = pairwise_distances(self.memories) if small else None
            facts["params"] = {"beta": self.continuous_network().beta}
            return facts | {
                "channels": self.channels,
                "neurons": self.n_neurons,
                "patterns": self.n_patterns,
                "names": list(self.names),
                "binarize": self.binarize,
                "fit": self.fit,
                "load": self.n_patterns / self.n_neurons,
                "min_distance": None if pair is None else pair.distance,
                "min_distance_pair": None if pair is None else [self.names[k] for k in pair.pair],
                "distances_sampled": None if pair is None else pair.sampled,
                "distances": None if distances is None else distances.round(6).tolist(),
            }
        from hopfield_cli.metrics import overlap, pairwise_overlaps, top_pairs

        pairs = pairwise_overlaps(self.patterns)
        several = self.n_patterns > 1
        # The full matrix only where it is readable (and small enough for JSON).
        small = self.n_patterns <= MAX_MATRIX_PATTERNS
        overlaps = overlap(self.patterns, self.patterns) if small else None
        closest, _ = top_pairs(self.patterns, TOP_PAIRS)
        return facts | {
            "effective_params": self.spec.effective_params(self.n_neurons, self.n_patterns),
            "param_defaults": {
                key: note for key, note in self.spec.default_notes.items() if self.params().get(key) is None
            },
            "neurons": self.n_neurons,
            "patterns": self.n_patterns,
            "names": list(self.names),
            "binarize": self.binarize,
            "fit": self.fit,
            "load": self.n_patterns / self.n_neurons,
            "theory": {k: v for k, v in self.theory().items() if math.isfinite(v)},
            # Every line, also those past a float (the exponential rule's at N = 4096: 10**616).
            "theory_log10": self.theory_log10(),
            "closest_pairs": [
                {"a": self.names[i], "b": self.names[j], "overlap": value} for i, j, value in closest
            ],
            "max_overlap": pairs.max_overlap if several else None,
            "max_overlap_pair": [self.names[k] for k in pairs.pair] if several else None,
            "mean_overlap": pairs.mean_overlap if several else None,
            "overlaps_sampled": pairs.sampled,
            "overlaps": None if overlaps is None else overlaps.round(6).tolist(),
            "storkey_summary": self.storkey_summary is not None,
        }

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
            storkey_summary=None,
            _network=[],
        )
