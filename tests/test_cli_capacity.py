"""hopfield capacity: sweeps with tables, JSON, CSV and plots."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from _cli_support import SAMPLES, assert_clean_error, invoke, json_lines
from PIL import Image


def test_capacity_json_orders_rules_as_theory_predicts() -> None:
    result = invoke(
        "capacity", "--neurons", "128", "--rule", "hebbian", "--rule", "storkey", "--rule", "pseudoinverse",
        "--trials", "2", "--seed", "3", "--json", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    assert [r["rule"] for r in records] == ["hebbian", "storkey", "pseudoinverse"]
    capacities = [r["capacity"] for r in records]
    assert capacities[0] < capacities[1] < capacities[2], capacities
    for record in records:
        assert record["neurons"] == 128 and record["points"]
        assert {"load", "exact", "overlap", "iterations", "spurious", "passed"} <= record["points"][0].keys()
        assert record["theory"]
    assert result.stderr == ""


@pytest.mark.parametrize(("extra", "defaults"), [((), {"beta": "ln(P)/2 + 2"}), (("--beta", "2"), {})])
def test_capacity_says_how_a_default_parameter_follows_the_load(
    extra: tuple[str, ...], defaults: dict[str, str]
) -> None:
    args = ("capacity", "--neurons", "64", "--rule", "exponential", "--loads", "4,8", "--trials", "1", *extra)
    (record,) = json_lines(invoke(*args, "--seed", "2", "--json", "-q").stdout)
    assert record["param_defaults"] == defaults
    assert record["params"] == ({} if not extra else {"beta": 2.0})
    result = invoke(*args, "--seed", "2")
    assert result.exit_code == 0, result.output
    assert ("beta ln(P)/2 + 2" in " ".join(result.stderr.split())) == bool(defaults)


def test_capacity_same_seed_same_output() -> None:
    args = ("capacity", "--neurons", "64", "--loads", "2,4,8", "--trials", "2", "--seed", "9", "--json", "-q")
    assert invoke(*args).stdout == invoke(*args).stdout


def test_capacity_table_csv_and_plot(tmp_path: Path) -> None:
    table_csv, picture = tmp_path / "out" / "cap.csv", tmp_path / "cap.png"
    result = invoke(
        "capacity", "--neurons", "64", "--loads", "2,4,8,16", "--trials", "1", "--seed", "1",
        "--csv", table_csv, "--plot", picture,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "capacity (exact)" in result.stderr and "0.138N" in result.stderr
    with open(table_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["load"]) for r in rows] == [2, 4, 8, 16]
    assert all(r["rule"] == "hebbian" and r["neurons"] == "64" for r in rows)
    with Image.open(picture) as image:
        assert image.format == "PNG" and image.size[0] > 400


def test_capacity_on_images(tmp_path: Path) -> None:
    result = invoke(
        "capacity", "--images", SAMPLES, "--size", "16", "--rule", "exponential", "--loads", "2,6,12",
        "--trials", "1", "--noise", "0.2", "--seed", "0", "--json", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (record,) = json_lines(result.stdout)
    assert record["neurons"] == 256
    # 12 is the grid's last load: every load passed, so the capacity is only a lower bound.
    assert record["capacity"] == 12 and record["lower_bound"] is True
    assert [p["load"] for p in record["points"]] == [2, 6, 12]
    assert all(p["passed"] and p["exact"] >= 0.9 for p in record["points"]), record["points"]


def test_capacity_without_matplotlib_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a)
    )
    result = invoke("capacity", "--neurons", "32", "--plot", tmp_path / "p.png")
    assert_clean_error(result, 1, "pip install 'hopfield-cli[plot]'")
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    "args, option",
    [
        (("--neurons", "32", "--images", "x"), "--neurons"),
        ((), "--neurons"),
        (("--neurons", "32", "--criterion", "most"), "--criterion"),
        (("--neurons", "32", "--criterion", "1.5"), "--criterion"),
        (("--neurons", "32", "--loads", "3,a"), "--loads"),
        (("--neurons", "32", "--loads", "0,2"), "--loads"),
        (
            (
                "--neurons",
                "0",
            ),
            "--neurons",
        ),
        (("--neurons", "32", "--rule", "magic"), "--rule"),
        (("--neurons", "32", "--trials", "0"), "--trials"),
    ],
)
def test_capacity_bad_options(args: tuple[str, ...], option: str) -> None:
    assert_clean_error(invoke("capacity", *args), 2, option)


def test_capacity_loads_beyond_the_images_is_an_error() -> None:
    result = invoke("capacity", "--images", SAMPLES, "--size", "8", "--loads", "20", "-q")
    assert_clean_error(result, 1, "20")


def test_capacity_on_images_sweeps_a_grid_by_default() -> None:
    from _cli_support import SAMPLES

    result = invoke(
        "capacity", "--images", SAMPLES, "--size", "16", "--rule", "hebbian", "--trials", "1", "--seed", "1",
        "--json", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (record,) = json_lines(result.stdout)
    assert [point["load"] for point in record["points"]] == list(range(1, 13))  # not one point at P = 12


def test_default_loads_for_few_images_reach_all_of_them() -> None:
    from hopfield_cli.capacity import default_loads

    assert default_loads("hebbian", 4096, available=12) == list(range(1, 13))
    assert default_loads("storkey", 4096, available=600) == [50 * k for k in range(1, 13)]
    many = default_loads("hebbian", 256, available=10_000)
    assert many == default_loads("hebbian", 256)  # enough images: the rule's own grid


def test_plot_of_rules_decades_apart_has_a_log_axis_and_named_theory_lines() -> None:
    import matplotlib.pyplot as plt

    from hopfield_cli.capacity import capacity_figure, capacity_sweep

    results = [
        capacity_sweep(rule, neurons=64, trials=1, cues=4, rng=1, max_iter=5)
        for rule in ("hebbian", "exponential")
    ]
    figure = capacity_figure(results)
    try:
        (axis,) = figure.axes
        assert axis.get_xscale() == "log"
        labels = [text.get_text() for text in axis.get_legend().get_texts()]
        assert "hebbian theory: 0.138N = 9" in labels
        assert "exponential theory: exp(N I(1-2 noise)/2) = 130360 (off the axis)" in labels
        assert len(axis.texts) == 0  # no labels written on the plot, so none can collide
    finally:
        plt.close(figure)
    single = capacity_figure(results[:1])
    try:
        assert single.axes[0].get_xscale() == "linear"  # one rule's grid: a plain axis
    finally:
        plt.close(single)
