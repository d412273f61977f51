"""Benchmarks for hopfield-cli: ratios against baselines measured in the same run.

Run ``python -m benchmarks`` (everything), ``python -m benchmarks --quick``
(a smoke run of a few seconds) or ``python -m benchmarks --only SECTION``
(classic, scale, kernels, startup; repeatable).  ``--json FILE`` writes every
number; ``--blas-threads N`` pins BLAS threads here and in child processes.
Nothing here asserts on timings; the tables only say whether a goal was met.
"""
