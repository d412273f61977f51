"""Model files: exact round trips, safe loading, atomic saves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from hopfield_cli.errors import InvalidParameterError, ModelFileError
from hopfield_cli.model import Model
from hopfield_cli.persistence import FORMAT_VERSION, load_model, save_model


def make_model(p: int = 3, shape: tuple[int, int] = (4, 5), seed: int = 0, **kwargs: object) -> Model:
    patterns = np.random.default_rng(seed).choice(
        np.array([-1, 1], dtype=np.int8), size=(p, shape[0] * shape[1])
    )
    return Model(patterns=patterns, names=tuple(f"img{k}" for k in range(p)), shape=shape, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    p=st.integers(1, 6),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    seed=st.integers(0, 1000),
    binarize=st.sampled_from(["mean", "otsu", "dither", "0", "200"]),
    centered=st.booleans(),
    threshold=st.floats(-5, 5),
)
def test_round_trip_is_exact(
    tmp_path: Path, p: int, h: int, w: int, seed: int, binarize: str, centered: bool, threshold: float
) -> None:
    model = make_model(
        p, (h, w), seed, binarize=binarize, rule="hebbian", centered=centered, threshold=threshold
    )
    path = tmp_path / "m.npz"
    save_model(model, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.patterns, model.patterns)
    assert loaded.patterns.dtype == np.int8
    assert (loaded.names, loaded.shape, loaded.binarize, loaded.rule) == (
        model.names,
        model.shape,
        model.binarize,
        model.rule,
    )
    assert (loaded.centered, loaded.threshold) == (model.centered, model.threshold)
    assert loaded.spec == model.spec
    states = model.patterns
    np.testing.assert_array_equal(loaded.network().fields(states), model.network().fields(states))


@pytest.mark.parametrize(("kwargs", "version"), [({"rule": "hebbian"}, 2), ({"beta": 3.0}, 2), ({}, 4)])
def test_save_writes_plain_arrays_and_the_format_version(
    tmp_path: Path, kwargs: dict[str, object], version: int
) -> None:
    save_model(make_model(**kwargs), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        # Stretching models stay version 2 without a fit key, so older readers read them, unless
        # they leave the exponential beta to its default, whose meaning changed in version 4.
        assert int(archive["format_version"]) == version and "fit" not in archive.files
        assert all(archive[key].dtype != object for key in archive.files)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


@pytest.mark.parametrize("fit", ["crop", "pad"])
def test_fit_is_stored_as_version_3_and_read_back(tmp_path: Path, fit: str) -> None:
    from dataclasses import replace

    model = replace(make_model(beta=3.0), fit=fit)
    save_model(model, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert int(archive["format_version"]) == 3 and FORMAT_VERSION == 5
        assert str(archive["fit"]) == fit
    assert load_model(tmp_path / "m.npz").fit == fit


def test_a_bad_fit_in_a_model_file_is_refused(tmp_path: Path) -> None:
    from dataclasses import replace

    save_model(replace(make_model(), fit="crop"), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    np.savez(tmp_path / "bad.npz", **(arrays | {"fit": np.asarray("squash")}))
    with pytest.raises(ModelFileError, match="bad.npz: fit must be one of"):
        load_model(tmp_path / "bad.npz")


def test_save_creates_missing_folders(tmp_path: Path) -> None:
    save_model(make_model(), tmp_path / "a" / "b" / "m.npz")
    assert (tmp_path / "a" / "b" / "m.npz").is_file()


def test_failed_save_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.npz"
    save_model(make_model(seed=1), path)
    before = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(KeyboardInterrupt):
        save_model(make_model(seed=2), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_object_arrays_are_refused_without_unpickling(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    model = make_model()
    arrays = {
        "format_version": np.asarray(1),
        "rule": np.asarray("hebbian"),
        "patterns": model.patterns,
        "names": np.asarray(model.names, dtype=object),
        "shape": np.asarray(model.shape),
        "binarize": np.asarray("mean"),
        "centered": np.asarray(False),
        "threshold": np.asarray(0.0),
        "degree": np.asarray(3),
        "beta": np.asarray(0.0),
    }
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="evil.npz"):
        load_model(path)


def test_model_validation_names_the_problem() -> None:
    with pytest.raises(InvalidParameterError, match="duplicate pattern names: a"):
        Model(patterns=np.ones((2, 4), dtype=np.int8), names=("a", "a"), shape=(2, 2))
    with pytest.raises(InvalidParameterError, match=r"image shape \(3, 3\) does not match"):
        Model(patterns=np.ones((1, 4), dtype=np.int8), names=("a",), shape=(3, 3))
    with pytest.raises(InvalidParameterError, match="rule must be one of"):
        Model(patterns=np.ones((1, 4), dtype=np.int8), names=("a",), shape=(2, 2), rule="magic")


def test_append_keeps_order_and_settings() -> None:
    model = make_model(2, threshold=0.5)
    extra = make_model(1, seed=9).patterns
    bigger = model.append(extra, ["new"])
    assert bigger.names == ("img0", "img1", "new")
    np.testing.assert_array_equal(bigger.patterns[2], extra[0])
    assert bigger.threshold == 0.5
    with pytest.raises(InvalidParameterError, match="duplicate"):
        bigger.append(extra, ["new"])


# --------------------------------------------------------------------------- Storkey summary

# The smallest Storkey model that keeps its summary: P^2 N = 2**27 with N >= 96 P.
SUMMARY_PATTERNS, SUMMARY_SHAPE = 64, (128, 256)


def summary_file(tmp_path: Path) -> tuple[Model, Path]:
    model = make_model(SUMMARY_PATTERNS, SUMMARY_SHAPE, rule="storkey", threshold=0.25)
    path = tmp_path / "storkey.npz"
    save_model(model, path)
    return model, path


def rewrite(path: Path, **changes: np.ndarray) -> Path:
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays.update(changes)
    out = path.with_name("changed.npz")
    np.savez(out, **arrays)
    return out


def test_large_storkey_model_keeps_its_summary_and_rebuilds_from_it(tmp_path: Path) -> None:
    model, path = summary_file(tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        assert int(archive["format_version"]) == 5 == FORMAT_VERSION
        assert archive["storkey_gram"].dtype == np.int32 and archive["storkey_gram"].shape == (64, 64)
        assert archive["storkey_met_overlaps"].dtype == np.float64
    loaded = load_model(path)
    assert loaded.storkey_summary is not None
    from hopfield_cli import rules

    assert rules._storkey_from_summary(loaded.patterns, loaded.storkey_summary, 0.25) is not None
    states = make_model(4, SUMMARY_SHAPE, seed=5).patterns
    plain = model.network().fields(states)
    assert_allclose(loaded.network().fields(states), plain, rtol=1e-10, atol=1e-10 * np.abs(plain).max())


def test_smaller_storkey_models_and_other_rules_keep_no_summary(tmp_path: Path) -> None:
    for model in (
        make_model(SUMMARY_PATTERNS - 1, SUMMARY_SHAPE, rule="storkey"),  # P^2 N just under 2**27
        make_model(SUMMARY_PATTERNS, SUMMARY_SHAPE, rule="hebbian"),
    ):
        save_model(model, tmp_path / "m.npz")
        with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
            assert int(archive["format_version"]) == 2 and "storkey_gram" not in archive.files
        assert load_model(tmp_path / "m.npz").storkey_summary is None


def test_a_summary_that_does_not_hold_is_ignored(tmp_path: Path) -> None:
    model, path = summary_file(tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        forged = archive["storkey_met_overlaps"].copy()
    forged[3, 40] *= 2.0
    loaded = load_model(rewrite(path, storkey_met_overlaps=forged))
    states = make_model(3, SUMMARY_SHAPE, seed=6).patterns
    plain = model.network().fields(states)
    # Built from the patterns alone: the forged overlap changed nothing.
    assert_allclose(loaded.network().fields(states), plain, rtol=1e-12, atol=1e-12 * np.abs(plain).max())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"rule": np.asarray("hebbian"), "centered": np.asarray(False)},
            "unexpected keys for a version 5 hebbian model: storkey_gram, ",
        ),
        ({"format_version": np.asarray(4)}, "unexpected keys for a version 4 storkey model"),
        (
            {"storkey_gram": np.zeros((63, 63), np.int32)},
            r"'storkey_gram' has shape \(63, 63\), expected \(64, 64\)",
        ),
        ({"storkey_met_overlaps": np.zeros(0)}, "missing keys: storkey_met_overlaps"),
        ({"storkey_gram": np.zeros((64, 64))}, "'storkey_gram' has dtype float64, expected kind 'i'"),
        ({"storkey_met_overlaps": np.full((64, 64), np.nan)}, "'storkey_met_overlaps' contains NaN"),
        (
            {"storkey_met_overlaps": np.zeros((64, 64), np.float32)},
            "'storkey_met_overlaps' has dtype float32, expected",
        ),
        (
            {"patterns": np.ones((64, 128 * 128), np.int8), "shape": np.asarray([128, 128])},
            r"'storkey_gram': a model of 64 patterns of 16384 neurons keeps no summary",
        ),
    ],
)
def test_summary_keys_are_checked(tmp_path: Path, changes: dict[str, np.ndarray], message: str) -> None:
    _, path = summary_file(tmp_path)
    drop = [key for key, value in changes.items() if value.size == 0]
    changed = rewrite(path, **{key: value for key, value in changes.items() if key not in drop})
    if drop:
        with np.load(changed, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files if key not in drop}
        np.savez(changed, **arrays)
    with pytest.raises(ModelFileError, match=message):
        load_model(changed)


def test_model_checks_its_summary_and_append_drops_it() -> None:
    from hopfield_cli.rules import StorkeySummary

    square = np.zeros((3, 3))
    with pytest.raises(InvalidParameterError, match="^the hebbian rule keeps no Storkey summary$"):
        make_model(rule="hebbian", storkey_summary=StorkeySummary(square, square))
    with pytest.raises(InvalidParameterError, match=r"^summary gram must have shape \(3, 3\), got \(4, 4\)$"):
        make_model(rule="storkey", storkey_summary=StorkeySummary(np.zeros((4, 4)), square))
    model = make_model(rule="storkey", storkey_summary=StorkeySummary(square, square))
    assert model.append(make_model(1, seed=9).patterns, ["new"]).storkey_summary is None
    # A summary that does not hold builds the network from the patterns alone.
    plain = make_model(rule="storkey").network().fields(model.patterns)
    assert_allclose(model.network().fields(model.patterns), plain, rtol=0, atol=0)
