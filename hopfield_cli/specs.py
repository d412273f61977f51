"""The rule registry: one spec per learning rule, holding all it knows.

A spec is a small immutable object whose attributes are the rule's parameters
(typed, validated once, with one set of bounds).  It builds the network,
extends it by prefixes for capacity sweeps, gives the theory lines and the
default capacity grid, the overlap above which stored memories start to
interfere, whether the rule can refuse patterns, and which parameters go
into a model file.  Adding a rule means adding one spec class here (and its
name to :data:`hopfield_cli.options.RuleName`).

Examples
--------
>>> import numpy as np
>>> spec = spec_for("polynomial", degree=4)
>>> spec
PolynomialSpec(threshold=0.0, degree=4)
>>> spec.params()
{'threshold': 0.0, 'degree': 4}
>>> net = spec.build(np.array([[1, -1, 1, -1], [1, 1, -1, -1]]))
>>> sorted(REGISTRY) == sorted(RULE_NAMES)
True
>>> spec_for("storkey", beta=3.0, strict=True)
Traceback (most recent call last):
...
hopfield_cli.errors.IrrelevantParameterError: the storkey rule takes no beta parameter
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from hopfield_cli import rules
from hopfield_cli._validate import check_choice, check_fraction, check_positive_int
from hopfield_cli.errors import InvalidParameterError, IrrelevantParameterError
from hopfield_cli.network import Network
from hopfield_cli.options import DEFAULT_DEGREE, DEFAULT_NOISE, GRID_POINTS, RULE_NAMES, RuleName

#: Overlap above which memories of a rule without a stronger claim interfere.
DEFAULT_CORRELATION_WARNING = 0.95


class RuleSpec:
    """Base of every rule spec; :attr:`defaults` names the rule's parameters.

    Specs are immutable, equal when rule and parameters are, and plain
    classes rather than dataclasses: building eight dataclasses costs about
    3 ms at every start of the command line.
    """

    #: The rule's name (a :data:`~hopfield_cli.options.RuleName`).
    name: ClassVar[RuleName]
    #: False for rules that store grey levels rather than -1/+1 patterns.
    binary: ClassVar[bool] = True
    #: Whether :meth:`build` may refuse patterns (raise LearningError).
    can_refuse: ClassVar[bool] = False
    #: Largest pairwise overlap of stored patterns before recall suffers.
    correlation_warning: ClassVar[float] = DEFAULT_CORRELATION_WARNING
    #: The rule's parameters and their defaults (None: worked out from the data).
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = sorted(params.keys() - self.defaults.keys())
        if unknown:
            raise IrrelevantParameterError(unknown[0], self.name)
        for key, default in self.defaults.items():
            object.__setattr__(self, key, params.get(key, default))
        self._check()

    def _check(self) -> None:
        """Validate and normalise the parameters (subclasses extend it)."""

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.params() == other.params()

    def __hash__(self) -> int:
        return hash((self.name, *self.params().items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{key}={value!r}" for key, value in self.params().items())
        return f"{type(self).__name__}({inner})"

    def params(self) -> dict[str, Any]:
        """The rule's parameters by name (exactly the keys its model file holds)."""
        return {key: getattr(self, key) for key in self.defaults}

    def file_arrays(self) -> dict[str, NDArray[Any]]:
        """The parameters as the 0-d arrays of a model file (None, a rule default, as 0)."""
        return {key: _to_array(value) for key, value in self.params().items()}

    def as_before_version_4(self, neurons: int) -> RuleSpec:
        """What these parameters meant in a model file older than format version 4 (N neurons).

        Only the exponential rule's default beta changed then; for every
        other spec this is the spec itself.
        """
        return self

    def build(self, patterns: Any) -> Network:
        """The network engine storing ``patterns`` (array_like of shape (P, N))."""
        raise InvalidParameterError(f"the {self.name} rule has no binary network")

    def prefixes(self, patterns: NDArray[np.int8], loads: Sequence[int]) -> Iterator[Network]:
        """Networks of the first P patterns for each P of increasing ``loads``.

        The default builds each one afresh; rules with cheaper nested builds
        override it.
        """
        for load in loads:
            yield self.build(patterns[:load])

    def theory(self, neurons: int, noise: float) -> dict[str, float]:
        """Theoretical capacities for random unbiased patterns of N neurons."""
        return {}

    def theory_log10(self, neurons: int, noise: float) -> dict[str, float]:
        """Decimal logarithms of :meth:`theory`'s lines, finite even where a line overflows a float."""
        return {name: math.log10(value) for name, value in self.theory(neurons, noise).items() if value > 0}

    def effective_params(self, neurons: int, patterns: int) -> dict[str, Any]:
        """:meth:`params` with the defaults worked out from the data filled in (N neurons, P patterns)."""
        return self.params()

    #: How a parameter left to the rule (None) is worked out, by name.
    default_notes: ClassVar[dict[str, str]] = {}

    def grid(self, neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
        """Loads (as floats) of the default capacity grid, before rounding."""
        raise InvalidParameterError(f"capacity sweeps binary rules; the {self.name} rule has no grid")

    def default_loads(
        self, neurons: int, *, available: int | None = None, noise: float = DEFAULT_NOISE
    ) -> list[int]:
        """A grid of about :data:`GRID_POINTS` increasing loads past the theory line.

        With ``available`` patterns (a user's images), the loads stop there; when
        fewer than half the grid's points remain, the grid runs from
        ``available / GRID_POINTS`` to ``available`` instead.
        """
        grid = self.grid(neurons, self.theory(neurons, noise))
        if available is not None:
            grid = grid[grid <= available]
            if grid.size < GRID_POINTS // 2:
                # Fewer patterns than the grid reaches (12 photos at N = 4096): a grid up to
                # all of them, not one point, so the curve shows where recall starts to fail.
                grid = _linear(float(available))
        return sorted({max(1, int(round(v))) for v in grid})


class BinarySpec(RuleSpec):
    """Base of the rules that store -1/+1 patterns.

    Attributes
    ----------
    threshold : float
        Extra threshold added to every neuron, in field units.
    """

    defaults: ClassVar[dict[str, Any]] = {"threshold": 0.0}
    threshold: float

    def _check(self) -> None:
        object.__setattr__(self, "threshold", _check_finite("threshold", self.threshold))


def _to_array(value: Any) -> NDArray[Any]:
    if isinstance(value, bool):
        return np.asarray(value, dtype=bool)
    if isinstance(value, int):
        return np.asarray(value, dtype=np.int64)
    # Floats; 0 stands for "the rule's default" (no NaN in files): a default beta is never 0.
    return np.asarray(0.0 if value is None else value, dtype=np.float64)


def params_from_arrays(arrays: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """Parameters from the 0-d arrays of a model file (the inverse of :meth:`RuleSpec.file_arrays`)."""
    params: dict[str, Any] = {}
    for key, array in arrays.items():
        kind = array.dtype.kind
        if kind == "b":
            params[key] = bool(array)
        elif kind in "iu":
            params[key] = int(array)
        else:
            value = float(array)
            params[key] = None if value == 0.0 and key in _NULLABLE else value
    return params


def _check_finite(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InvalidParameterError(f"{name} must be a finite number, got {value!r}")
    return number


def _check_beta(beta: Any) -> float | None:
    if beta is None:
        return None
    if isinstance(beta, bool) or not isinstance(beta, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
    if not (math.isfinite(beta) and beta > 0):
        raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
    return float(beta)


def _linear(top: float) -> NDArray[np.float64]:
    return np.linspace(top / GRID_POINTS, top, GRID_POINTS)


class HebbianSpec(BinarySpec):
    """Hebbian storage (:func:`hopfield_cli.rules.hebbian`)."""

    name: ClassVar[RuleName] = "hebbian"
    correlation_warning: ClassVar[float] = 0.5

    defaults: ClassVar[dict[str, Any]] = {**BinarySpec.defaults, "centered": False}
    centered: bool

    def _check(self) -> None:
        super()._check()
        object.__setattr__(self, "centered", bool(self.centered))

    def build(self, patterns: Any) -> Network:
        return rules.hebbian(patterns, centered=bool(self.centered), threshold=self.threshold)

    def theory(self, neurons: int, noise: float) -> dict[str, float]:
        n, log_n = neurons, math.log(neurons)
        return {"0.138N": 0.138 * n, "N/(2 ln N)": n / (2 * log_n), "N/(4 ln N)": n / (4 * log_n)}

    def grid(self, neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
        return _linear(0.25 * neurons)


class StorkeySpec(BinarySpec):
    """Storkey's incremental rule (:func:`hopfield_cli.rules.storkey`)."""

    name: ClassVar[RuleName] = "storkey"
    correlation_warning: ClassVar[float] = 0.7

    def build(self, patterns: Any) -> Network:
        return rules.storkey(patterns, threshold=self.threshold)

    def prefixes(self, patterns: NDArray[np.int8], loads: Sequence[int]) -> Iterator[Network]:
        yield from rules._storkey_prefixes(patterns, loads, self.threshold, dense=True)

    def theory(self, neurons: int, noise: float) -> dict[str, float]:
        return {"N/sqrt(2 ln N)": neurons / math.sqrt(2 * math.log(neurons))}

    def grid(self, neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
        return _linear(min(0.75 * neurons, 2 * lines["N/sqrt(2 ln N)"]))


class PseudoinverseSpec(BinarySpec):
    """Projection rule (:func:`hopfield_cli.rules.pseudoinverse`); refuses P >= N."""

    name: ClassVar[RuleName] = "pseudoinverse"
    can_refuse: ClassVar[bool] = True

    def build(self, patterns: Any) -> Network:
        return rules.pseudoinverse(patterns, threshold=self.threshold)

    def prefixes(self, patterns: NDArray[np.int8], loads: Sequence[int]) -> Iterator[Network]:
        yield from rules._pseudoinverse_prefixes(patterns, loads, self.threshold)

    def theory(self, neurons: int, noise: float) -> dict[str, float]:
        return {"N": float(neurons)}

    def grid(self, neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
        # N - 1: a zero diagonal cannot store N independent patterns.
        return _linear(neurons - 1.0)


def _dense_grid(neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
    # Geometric from N/8: dense theory lines soon pass any grid that runs in reasonable time.
    top = min(2 * max(lines.values()), 8.0 * neurons)
    return np.geomspace(max(1.0, neurons / 8), max(top, neurons / 8 + 1), GRID_POINTS)


class PolynomialSpec(BinarySpec):
    """Dense memory with a polynomial energy (:func:`hopfield_cli.rules.polynomial`)."""

    name: ClassVar[RuleName] = "polynomial"

    defaults: ClassVar[dict[str, Any]] = {**BinarySpec.defaults, "degree": DEFAULT_DEGREE}
    degree: int

    def _check(self) -> None:
        super()._check()
        object.__setattr__(self, "degree", rules._check_degree(self.degree))

    def build(self, patterns: Any) -> Network:
        return rules.polynomial(patterns, degree=self.degree, threshold=self.threshold)

    def theory(self, neurons: int, noise: float) -> dict[str, float]:
        double_factorial = math.prod(range(2 * self.degree - 3, 0, -2))
        try:
            line = neurons ** (self.degree - 1) / (2 * double_factorial * math.log(neurons))
        except OverflowError:
            line = math.inf
        return {"N^(n-1)/(2 (2n-3)!! ln N)": line}

    def theory_log10(self, neurons: int, noise: float) -> dict[str, float]:
        double_factorial = math.prod(range(2 * self.degree - 3, 0, -2))
        log10 = (self.degree - 1) * math.log10(neurons) - math.log10(2 * double_factorial * math.log(neurons))
        return {"N^(n-1)/(2 (2n-3)!! ln N)": log10}

    def grid(self, neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
        return _dense_grid(neurons, lines)


class ExponentialSpec(BinarySpec):
    """Dense memory with a log-sum-exp energy (:func:`hopfield_cli.rules.exponential`).

    Attributes
    ----------
    beta : float or None
        Inverse temperature on raw overlaps; None for ``(ln P + 4) / 2``
        (:func:`hopfield_cli.rules.default_beta`).
    """

    name: ClassVar[RuleName] = "exponential"

    defaults: ClassVar[dict[str, Any]] = {**BinarySpec.defaults, "beta": None}
    beta: float | None

    def _check(self) -> None:
        super()._check()
        object.__setattr__(self, "beta", _check_beta(self.beta))

    def build(self, patterns: Any) -> Network:
        return rules.exponential(patterns, beta=self.beta, threshold=self.threshold)

    def as_before_version_4(self, neurons: int) -> RuleSpec:
        if self.beta is not None:
            return self
        return type(self)(**(self.params() | {"beta": rules.legacy_default_beta(neurons)}))

    def theory(self, neurons: int, noise: float) -> dict[str, float]:
        x = abs(1.0 - 2.0 * check_fraction("noise", noise))
        info = 0.5 * ((1 + x) * math.log1p(x) + (1 - x) * math.log1p(-x)) if x < 1 else math.log(2.0)
        exponent = neurons * info / 2
        return {"exp(N I(1-2 noise)/2)": math.exp(exponent) if exponent < 700 else math.inf}

    def theory_log10(self, neurons: int, noise: float) -> dict[str, float]:
        x = abs(1.0 - 2.0 * check_fraction("noise", noise))
        info = 0.5 * ((1 + x) * math.log1p(x) + (1 - x) * math.log1p(-x)) if x < 1 else math.log(2.0)
        return {"exp(N I(1-2 noise)/2)": neurons * info / 2 / math.log(10.0)}

    default_notes: ClassVar[dict[str, str]] = {"beta": "ln(P)/2 + 2"}

    def effective_params(self, neurons: int, patterns: int) -> dict[str, Any]:
        beta = rules.default_beta(n_patterns=patterns) if self.beta is None else self.beta
        return self.params() | {"beta": beta}

    def grid(self, neurons: int, lines: dict[str, float]) -> NDArray[np.float64]:
        return _dense_grid(neurons, lines)


class ContinuousSpec(RuleSpec):
    """Grey and colour memories (:class:`hopfield_cli.continuous.ContinuousNetwork`).

    Attributes
    ----------
    beta : float or None
        Inverse temperature on noise-scaled distances; None for the default.
    """

    name: ClassVar[RuleName] = "continuous"
    binary: ClassVar[bool] = False

    defaults: ClassVar[dict[str, Any]] = {"beta": None}
    beta: float | None

    def _check(self) -> None:
        object.__setattr__(self, "beta", _check_beta(self.beta))


#: Rule name -> spec class.  Every name of :data:`~hopfield_cli.options.RULE_NAMES` has one.
REGISTRY: dict[str, type[RuleSpec]] = {
    spec.name: spec
    for spec in (HebbianSpec, StorkeySpec, PseudoinverseSpec, PolynomialSpec, ExponentialSpec, ContinuousSpec)
}
# Parameters whose default is None ("the rule's default"), stored as 0 in files.
_NULLABLE = {key for spec in REGISTRY.values() for key, default in spec.defaults.items() if default is None}
#: Rules that store -1/+1 patterns, in registry order.
BINARY_RULES: tuple[str, ...] = tuple(name for name, spec in REGISTRY.items() if spec.binary)


def parameter_names(rule: str) -> tuple[str, ...]:
    """Names of the parameters ``rule`` takes."""
    check_choice("rule", rule, RULE_NAMES)
    return tuple(REGISTRY[rule].defaults)


def spec_for(rule: str, *, strict: bool = False, **params: Any) -> RuleSpec:
    """The spec of ``rule`` with ``params``.

    Parameters
    ----------
    rule : str
        One of :data:`~hopfield_cli.options.RULE_NAMES`.
    strict : bool, optional
        Refuse parameters the rule does not take.  Otherwise they are ignored,
        so a bag of settings (an old model file's) can be passed as it is.
    **params
        Parameter values; None means the rule's default.

    Raises
    ------
    InvalidParameterError
        If ``rule`` is unknown or a parameter is out of range.
    IrrelevantParameterError
        With ``strict``, if a parameter is not one of the rule's.
    """
    check_choice("rule", rule, RULE_NAMES)
    names = parameter_names(rule)
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if key in names:
            kept[key] = value
        elif strict:
            raise IrrelevantParameterError(key, rule)
    return REGISTRY[rule](**kept)


def check_neurons(neurons: int) -> int:
    """Validate N for theory lines and grids (at least 2: ``ln N > 0``)."""
    n = check_positive_int("neurons", neurons)
    if n < 2:
        raise InvalidParameterError(f"neurons must be at least 2, got {n}")
    return n
