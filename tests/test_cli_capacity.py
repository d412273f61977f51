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
