"""The rule registry: one spec per rule, format version 2, version 1 files still read."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _cli_support import FOUR_PHOTOS, assert_clean_error, invoke
from numpy.testing import assert_array_equal

import hopfield_cli
from hopfield_cli import capacity, rules
from hopfield_cli.dynamics import recall
from hopfield_cli.errors import InvalidParameterError, IrrelevantParameterError
from hopfield_cli.model import Model
from hopfield_cli.network import DenseNetwork
from hopfield_cli.options import BINARY_RULE_NAMES, MAX_DEGREE, RULE_NAMES
from hopfield_cli.persistence import FORMAT_VERSION, load_model, save_model
from hopfield_cli.specs import BINARY_RULES, REGISTRY, parameter_names, spec_for

SEED = 20261124
DATA = Path(__file__).parent / "data"


def test_registry_has_one_spec_per_rule_name() -> None:
    assert tuple(REGISTRY) == RULE_NAMES
    assert BINARY_RULES == BINARY_RULE_NAMES == rules.RULES
    for name, spec in REGISTRY.items():
        assert spec.name == name


@pytest.mark.parametrize("name", BINARY_RULE_NAMES)
def test_spec_builds_what_build_network_builds(name: str, random_patterns: Callable[..., np.ndarray]) -> None:
    x = random_patterns(4, 64)
    cue = x[0].copy()
    cue[:5] *= -1
    by_spec = spec_for(name).build(x).fields(cue)
    by_name = rules.build_network(name, x).fields(cue)
    assert_array_equal(by_spec, by_name)


@pytest.mark.parametrize("name", BINARY_RULE_NAMES)
def test_prefixes_equal_fresh_builds(name: str, random_patterns: Callable[..., np.ndarray]) -> None:
    spec = spec_for(name)
    x = random_patterns(12, 64)
    states = np.where(np.random.default_rng(SEED).random((3, x.shape[1])) < 0.5, 1, -1).astype(np.int8)
    for load, net in zip([2, 5, 12], spec.prefixes(x, [2, 5, 12]), strict=True):
        np.testing.assert_allclose(net.fields(states), spec.build(x[:load]).fields(states), atol=1e-9)


def test_strict_specs_refuse_parameters_of_other_rules() -> None:
    with pytest.raises(IrrelevantParameterError) as info:
        spec_for("storkey", beta=3.0, strict=True)
    assert (info.value.parameter, info.value.rule) == ("beta", "storkey")
    assert "storkey" in str(info.value) and "beta" in str(info.value)
    # Lenient (a bag of old settings): ignored, and None always means "the default".
    assert spec_for("storkey", beta=3.0, degree=None).params() == {"threshold": 0.0}


@pytest.mark.parametrize("degree", [1, MAX_DEGREE + 1, True, 2.5])
def test_degree_has_one_set_of_bounds(degree: object) -> None:
    with pytest.raises(InvalidParameterError, match="degree"):
        spec_for("polynomial", degree=degree)
    with pytest.raises(InvalidParameterError, match="degree"):
        capacity.theory("polynomial", 64, degree=degree)


def test_parameters_are_the_spec_defaults() -> None:
    assert parameter_names("hebbian") == ("threshold", "centered")
    assert parameter_names("exponential") == ("threshold", "beta")
    assert parameter_names("continuous") == ("beta",)
    for spec in REGISTRY.values():
        assert parameter_names(spec.name) == tuple(spec().params())


def test_model_holds_its_spec_and_only_its_parameters(random_patterns: Callable[..., np.ndarray]) -> None:
    model = Model(patterns=random_patterns(3, 64), names=("a", "b", "c"), shape=(8, 8), rule="exponential")
    assert model.spec == spec_for("exponential")
    assert model.params() == {"threshold": 0.0, "beta": None}  # no degree=3 for an exponential model


@pytest.mark.parametrize(
    ("rule", "params"),
    [
        ("hebbian", {"centered": True, "threshold": 0.5}),
        ("polynomial", {"degree": 5}),
        ("exponential", {"beta": 2.5}),
    ],
)
def test_version_2_files_hold_only_the_rules_parameters(
    tmp_path: Path, random_patterns: Callable[..., np.ndarray], rule: str, params: dict[str, object]
) -> None:
    model = Model(patterns=random_patterns(3, 64), names=("a", "b", "c"), shape=(8, 8), rule=rule, **params)
    path = tmp_path / "m.npz"
    save_model(model, path)
    with np.load(path, allow_pickle=False) as archive:
        keys = set(archive.files)
        # A stretching model (every one before --fit) is still written as version 2.
        assert int(archive["format_version"]) == 2 and FORMAT_VERSION == 5
    assert keys - {"format_version", "rule", "patterns", "names", "shape", "binarize", "channels"} == set(
        parameter_names(rule)
    )
    back = load_model(path)
    assert back.spec == model.spec and back.params() == model.params()
    assert_array_equal(back.patterns, model.patterns)


def test_version_2_file_with_another_rules_parameter_is_refused(
    tmp_path: Path, random_patterns: Callable[..., np.ndarray]
) -> None:
    path = tmp_path / "m.npz"
    save_model(Model(patterns=random_patterns(2, 64), names=("a", "b"), shape=(8, 8), rule="storkey"), path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = dict(archive)
    np.savez(path, **arrays, degree=np.int64(5))
    with pytest.raises(
        hopfield_cli.errors.ModelFileError, match="unexpected keys for the storkey rule: degree"
    ):
        load_model(path)


@pytest.mark.parametrize("rule", ["exponential", "hebbian", "polynomial"])
def test_version_1_files_from_before_the_registry_recall_the_same_bytes(rule: str) -> None:
    # Written by the code of 2026-11-24 before format version 2 (see tests/data).
    path = DATA / f"model_v1_{rule}.npz"
    with np.load(path, allow_pickle=False) as archive:
        assert int(archive["format_version"]) == 1 and "degree" in archive.files
    with np.load(DATA / "model_v1_expected.npz", allow_pickle=False) as archive:
        expected = dict(archive)
    model = load_model(path)
    assert model.rule == rule
    for update in ("sync", "async"):
        states = np.stack([r.state for r in recall(model.network(), expected["cues"], update=update, rng=7)])
        assert_array_equal(states.astype(np.int8), expected[f"{rule}_{update}"])


@pytest.mark.parametrize("rule", ["exponential", "hebbian", "polynomial"])
def test_version_2_files_from_before_fit_recall_the_same_bytes_and_save_unchanged(
    tmp_path: Path, rule: str
) -> None:
    # Written by the code of 2026-11-28 (5a60dcc), before format version 3 added the fit:
    # the v1 fixtures loaded and saved again.
    path = DATA / f"model_v2_{rule}.npz"
    with np.load(path, allow_pickle=False) as archive:
        assert int(archive["format_version"]) == 2 and "fit" not in archive.files
    with np.load(DATA / "model_v1_expected.npz", allow_pickle=False) as archive:
        expected = dict(archive)
    model = load_model(path)
    assert model.fit == "stretch"
    for update in ("sync", "async"):
        states = np.stack([r.state for r in recall(model.network(), expected["cues"], update=update, rng=7)])
        assert_array_equal(states.astype(np.int8), expected[f"{rule}_{update}"])
    save_model(model, tmp_path / "again.npz")
    if rule != "exponential":
        assert (tmp_path / "again.npz").read_bytes() == path.read_bytes()
        return
    # Its default beta of then, 8 / sqrt(N), is now written as a number, still as version 2.
    assert model.beta == 8 / np.sqrt(model.n_neurons)
    with np.load(path, allow_pickle=False) as before, np.load(tmp_path / "again.npz") as after:
        assert int(after["format_version"]) == 2 and float(before["beta"]) == 0.0
        assert sorted(before.files) == sorted(after.files)
        for key in before.files:
            expected = model.beta if key == "beta" else before[key]
            assert_array_equal(after[key], expected)


@pytest.mark.parametrize("version", [1, 2])
def test_older_exponential_files_keep_their_default_beta(version: int) -> None:
    # Format version 4 changed the default from 8 / sqrt(N) to (ln P + 4) / 2; a file from
    # before keeps the beta it was trained with, and says so.
    model = load_model(DATA / f"model_v{version}_exponential.npz")
    assert model.beta == 8 / np.sqrt(model.n_neurons)
    network = model.network()
    assert isinstance(network, DenseNetwork) and network.beta == model.beta
    assert model.describe()["param_defaults"] == {}


def test_default_beta_models_are_version_4_and_follow_the_number_of_memories(
    tmp_path: Path, random_patterns: Callable[..., np.ndarray]
) -> None:
    x = random_patterns(9, 64)
    model = Model(patterns=x[:3], names=("a", "b", "c"), shape=(8, 8))
    save_model(model, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert int(archive["format_version"]) == 4 and float(archive["beta"]) == 0.0
    back = load_model(tmp_path / "m.npz")
    assert back.beta is None and back.describe()["param_defaults"] == {"beta": "ln(P)/2 + 2"}
    network = back.network()
    assert isinstance(network, DenseNetwork) and network.beta == rules.default_beta(n_patterns=3)
    # Appending memories moves the default with them, as training all of them at once does.
    more = back.append(x[3:], tuple("defghi"))
    grown = more.network()
    assert isinstance(grown, DenseNetwork) and grown.beta == rules.default_beta(n_patterns=9)


def test_v1_settings_survive(tmp_path: Path) -> None:
    hebbian = load_model(DATA / "model_v1_hebbian.npz")
    assert hebbian.params() == {"threshold": 0.25, "centered": True}
    polynomial = load_model(DATA / "model_v1_polynomial.npz")
    assert polynomial.params() == {"threshold": 0.0, "degree": 4} and polynomial.binarize == "otsu"
    # Saved again, it becomes version 2 and recalls the same.
    save_model(polynomial, tmp_path / "v2.npz")
    again = load_model(tmp_path / "v2.npz")
    assert again.spec == polynomial.spec
    assert_array_equal(again.patterns, polynomial.patterns)


@pytest.mark.parametrize(
    ("args", "option", "rule"),
    [
        (("train", *FOUR_PHOTOS, "--rule", "storkey", "--beta", "3"), "--beta", "storkey"),
        (("train", *FOUR_PHOTOS, "--rule", "exponential", "--degree", "7"), "--degree", "exponential"),
        (("train", *FOUR_PHOTOS, "--rule", "storkey", "--centered"), "--centered", "storkey"),
        (("train", *FOUR_PHOTOS, "--rule", "continuous", "--threshold", "1"), "--threshold", "continuous"),
        (("capacity", "--neurons", "64", "--rule", "hebbian", "--degree", "5"), "--degree", "hebbian"),
        (("capacity", "--neurons", "64", "--beta", "2"), "--beta", "hebbian"),
    ],
)
def test_cli_refuses_options_the_rule_does_not_take(
    tmp_path: Path, args: tuple[object, ...], option: str, rule: str
) -> None:
    out = tmp_path / "m.npz"
    extra = ("-o", out) if args[0] == "train" else ()
    result = invoke(*args, *extra)
    assert_clean_error(result, 2, f"{option} does not apply to --rule {rule}")
    assert not out.exists()


def test_cli_passes_each_rule_its_own_options(tmp_path: Path) -> None:
    result = invoke(
        "capacity", "--neurons", "32", "--rule", "hebbian", "--rule", "polynomial", "--degree", "4",
        "--loads", "2,4", "--trials", "1", "--cues", "4", "--json", "--quiet", "--seed", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hebbian, polynomial = (line for line in result.stdout.splitlines())
    assert '"params": {}' in hebbian and '"params": {"degree": 4}' in polynomial


@pytest.mark.parametrize("command", ["train", "capacity"])
def test_degree_40_is_refused_by_every_command_alike(tmp_path: Path, command: str) -> None:
    args = (
        ("train", *FOUR_PHOTOS, "-o", tmp_path / "m.npz")
        if command == "train"
        else ("capacity", "--neurons", "64")
    )
    result = invoke(*args, "--rule", "polynomial", "--degree", "40")
    assert_clean_error(result, 2, "--degree", f"2<=x<={MAX_DEGREE}")


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


@pytest.mark.parametrize("name", RULE_NAMES)
def test_no_rule_name_string_in_more_than_two_modules(name: str) -> None:
    package = Path(hopfield_cli.__file__).parent
    holders = sorted(p.name for p in package.glob("*.py") if name in _string_constants(p))
    assert len(holders) <= 2, holders


def test_describe_and_summary_are_library_functions(random_patterns: Callable[..., np.ndarray]) -> None:
    x = random_patterns(3, 64)
    x[1] = x[0]
    x[1, :4] *= -1  # overlap 1 - 8/64 = 0.875 with pattern a
    model = Model(patterns=x, names=("a", "b", "c"), shape=(8, 8), rule="hebbian")
    facts = model.describe()
    assert facts["params"] == {"threshold": 0.0, "centered": False}
    assert facts["max_overlap_pair"] == ["a", "b"] and facts["max_overlap"] == pytest.approx(0.875)
    assert set(facts["theory"]) == {"0.138N", "N/(2 ln N)", "N/(4 ln N)"}
    summary = model.summary()
    assert summary["capacity_line"] == "N/(4 ln N)"
    assert summary["capacity_estimate"] == pytest.approx(64 / (4 * np.log(64)))
    (warning,) = summary["warnings"]  # 3 patterns are within the estimate of 3.85
    assert warning.startswith("a and b overlap by 0.88") and "exponential" in warning


def test_capacity_csv_writer_lives_beside_capacity(tmp_path: Path) -> None:
    result = capacity.capacity_sweep("hebbian", neurons=32, loads=[2, 4], trials=1, cues=4, rng=1)
    path = tmp_path / "c.csv"
    capacity.write_capacity_csv([result], path)
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    assert header.split(",")[:4] == ["rule", "neurons", "load_ratio", "load"]
    assert [row.split(",")[3] for row in rows] == ["2", "4"]
