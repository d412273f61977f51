"""Learning rules: turn stored patterns into a network engine.

Every rule returns a :class:`~hopfield_cli.network.Network` built from the
P x N patterns and a few small matrices; none forms the N x N weight matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hopfield_cli._validate import as_patterns, check_choice
from hopfield_cli.network import Network, QuadraticNetwork

RULES = ("hebbian",)


def hebbian(patterns: Any, *, centered: bool = False, threshold: float = 0.0) -> QuadraticNetwork:
    """Hebbian storage ``W = (1/N) sum_mu xi_mu xi_mu^T`` with a zero diagonal.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
        Patterns of -1/+1 (coerced to int8).
    centered : bool, optional
        Subtract the mean activity ``a`` of all patterns before the outer
        products and use the matching threshold ``theta = W a``, so that the
        field becomes ``W (s - a)``.  Helps when images are mostly dark or light.
    threshold : float, optional
        Extra threshold added to every neuron, in field units.

    Returns
    -------
    QuadraticNetwork
        Fields cost O(P N) per state.

    Examples
    --------
    >>> import numpy as np
    >>> net = hebbian(np.array([[1, -1, 1, -1], [1, 1, -1, -1]]))
    >>> net.fields([1, -1, 1, -1]).round(2).tolist()
    [[0.25, -0.25, 0.25, -0.25]]
    """
    x = as_patterns(patterns)
    p, n = x.shape
    if not centered:
        return QuadraticNetwork(x, np.eye(p), np.full(n, float(p)), threshold, scale=1.0 / n)
    activity = float(x.mean())
    factors = x.astype(np.float64) - activity
    self_coupling = (factors**2).sum(axis=0)
    net = QuadraticNetwork(factors, np.eye(p), self_coupling, 0.0, scale=1.0 / n)
    matching = net.scale * (factors.T @ (factors @ np.full(n, activity)) - self_coupling * activity)
    net.threshold = matching + threshold
    return net


def build_network(rule: str, patterns: Any, **params: Any) -> Network:
    """Build the network of ``rule`` (one of :data:`RULES`) for ``patterns``.

    Parameters
    ----------
    rule : str
        Name of the learning rule.
    patterns : array_like of shape (P, N)
    **params
        Rule parameters (``centered``, ``threshold``, ...).  Parameters that
        a rule does not use are ignored, so a model's saved settings can be
        passed as they are.
    """
    check_choice("rule", rule, RULES)
    threshold = float(params.get("threshold", 0.0))
    return hebbian(patterns, centered=bool(params.get("centered", False)), threshold=threshold)
