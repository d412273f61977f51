"""Shared fixtures: tiny images, a trained model and a CLI runner, all under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from hopfield_cli.images import load_images, to_pattern
from hopfield_cli.model import Model
from hopfield_cli.persistence import save_model

SEED = 20240611
IMAGE_SIZE = (10, 12)  # height, width of the generated images
MODEL_SIZE = (8, 8)  # height, width the fixture model stores


def make_random_patterns(p: int, n: int, seed: int = SEED) -> np.ndarray:
    """P x N unbiased -1/+1 patterns (int8) from ``seed``."""
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(p, n))


@pytest.fixture
def random_patterns() -> Callable[..., np.ndarray]:
    """The one maker of random unbiased patterns: ``random_patterns(p, n, seed=SEED)``."""
    return make_random_patterns


@pytest.fixture
def runner() -> CliRunner:
    """A Typer test runner (stdout and stderr are captured separately)."""
    return CliRunner()


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """A folder of three small, distinct grayscale PNGs: a.png, b.png, c.png."""
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(SEED)
    for name in ("a", "b", "c"):
        pixels = (rng.random(IMAGE_SIZE) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{name}.png")
    return folder


@pytest.fixture
def model_file(tmp_path: Path, image_dir: Path) -> Path:
    """A valid model (8x8, Hebbian) trained on ``image_dir``."""
    images = load_images([image_dir])
    patterns = np.stack([to_pattern(image, MODEL_SIZE, use_known=False) for image in images])
    model = Model(patterns=patterns, names=tuple(image.name for image in images), shape=MODEL_SIZE)
    path = tmp_path / "model.npz"
    save_model(model, path)
    return path


@pytest.fixture
def model_arrays(model_file: Path) -> dict[str, np.ndarray]:
    """The arrays of ``model_file``, to be tampered with."""
    with np.load(model_file, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}
