"""Images as a person sees them: EXIF orientation, blank images, aspect ratios, stacks, subfolders.

Every test writes real files and reads back the pixels the command wrote.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from _cli_support import assert_clean_error, invoke, json_lines
from PIL import Image

from hopfield_cli.errors import ImageWarning
from hopfield_cli.images import GrayImage, fit, load_images, to_pattern
from hopfield_cli.persistence import load_model

SEED = 9


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=np.int64)


def _half_black_left(width: int = 20, height: int = 10) -> Image.Image:
    """Stored pixels: the left half black, the right half white."""
    array = np.full((height, width), 255, dtype=np.uint8)
    array[:, : width // 2] = 0
    return Image.fromarray(array)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_exif_orientation_6_is_turned_upright(tmp_path: Path, suffix: str) -> None:
    # Orientation 6: the viewer turns the stored pixels 90 degrees clockwise, so the
    # stored left half (black) is shown on top of a 10 x 20 (W x H) picture.
    path = tmp_path / f"phone{suffix}"
    exif = Image.Exif()
    exif[0x0112] = 6
    _half_black_left().save(path, exif=exif.tobytes(), **({"quality": 95} if suffix == ".jpg" else {}))
    (image,) = load_images([path])
    assert image.pixels.shape == (20, 10)
    assert image.pixels[:8].max() < 40 and image.pixels[12:].min() > 215

    out = tmp_path / "cue.png"
    result = invoke("corrupt", path, "-o", out, "--noise", "0", "--size", "10x20", "--binarize", "128")
    assert result.exit_code == 0, result.output
    written = _pixels(out)
    assert written.shape == (20, 10)
    assert (written[:9] == 0).all() and (written[11:] == 255).all()


def test_without_orientation_the_stored_pixels_are_used(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    _half_black_left().save(path)
    (image,) = load_images([path])
    assert image.pixels.shape == (10, 20)
    assert image.pixels[:, :10].max() == 0 and image.pixels[:, 10:].min() == 255


@pytest.mark.parametrize(("level", "colour"), [(255, "white"), (0, "black")])
@pytest.mark.parametrize("method", ["mean", "otsu"])
def test_blank_images_keep_their_colour_and_are_reported(
    tmp_path: Path, level: int, colour: str, method: str
) -> None:
    path = tmp_path / f"{colour}.png"
    Image.new("L", (30, 20), level).save(path)
    out = tmp_path / "cue.png"
    result = invoke(
        "corrupt", path, "-o", out, "--noise", "0", "--size", "16x8", "--binarize", method,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (_pixels(out) == level).all()
    assert f"Warning: {colour}: blank image (every pixel at grey level {level}); it becomes all {colour}" in (
        result.stderr
    )

    model = tmp_path / "m.npz"
    trained = invoke("train", path, "-o", model, "--size", "16x8", "--binarize", method, "--rule", "hebbian")
    assert trained.exit_code == 0, trained.output
    assert (load_model(model).patterns == (1 if level else -1)).all()
    assert "blank image" in trained.stderr


def test_blank_warning_is_a_library_warning() -> None:
    image = GrayImage("w", np.full((4, 4), 255.0, dtype=np.float32))
    with pytest.warns(ImageWarning, match="w: blank image"):
        assert (to_pattern(image, (4, 4)) == 1).all()


def test_quiet_silences_warnings(tmp_path: Path) -> None:
    path = tmp_path / "white.png"
    Image.new("L", (8, 8), 255).save(path)
    result = invoke("corrupt", path, "-o", tmp_path / "c.png", "--noise", "0", "--size", "8", "-q")
    assert result.exit_code == 0 and result.stderr == ""


def _wide_bar(tmp_path: Path) -> Path:
    """40 x 20 (W x H): a black bar over the middle 20 columns, white either side."""
    array = np.full((20, 40), 255, dtype=np.uint8)
    array[:, 10:30] = 0
    path = tmp_path / "wide.png"
    Image.fromarray(array).save(path)
    return path


def _fitted(tmp_path: Path, mode: str) -> tuple[np.ndarray, str]:
    out = tmp_path / f"{mode}.png"
    result = invoke(
        "corrupt", _wide_bar(tmp_path), "-o", out, "--noise", "0", "--size", "20", "--binarize", "128",
        "--fit", mode,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return _pixels(out), result.stderr


def test_fit_crop_keeps_the_centre(tmp_path: Path) -> None:
    pixels, stderr = _fitted(tmp_path, "crop")
    assert pixels.shape == (20, 20) and (pixels == 0).all()  # the middle 20 columns: the bar
    assert "stretched" not in stderr


def test_fit_pad_keeps_the_whole_image_on_white(tmp_path: Path) -> None:
    pixels, stderr = _fitted(tmp_path, "pad")
    assert pixels.shape == (20, 20)
    # Scaled to 20 x 10 and centred: 5 white rows above and below.
    assert (pixels[:5] == 255).all() and (pixels[15:] == 255).all()
    assert (pixels[6:14, 6:14] == 0).all()
    assert (pixels[6:14, :4] == 255).all() and (pixels[6:14, 16:] == 255).all()
    assert "stretched" not in stderr


def test_fit_stretch_distorts_and_says_so(tmp_path: Path) -> None:
    pixels, stderr = _fitted(tmp_path, "stretch")
    assert pixels.shape == (20, 20)
    assert (pixels[:, 6:14] == 0).all() and (pixels[:, :4] == 255).all() and (pixels[:, 16:] == 255).all()
    assert (
        "Warning: wide: 40x20 stretched to 20x20 (aspect ratio 2.00 -> 1.00); --fit crop or --fit pad "
        "keeps its shape" in stderr
    )


def test_stretch_is_the_default_and_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "d.png"
    result = invoke("corrupt", _wide_bar(tmp_path), "-o", out, "--noise", "0", "--size", "20")
    assert result.exit_code == 0 and "stretched to 20x20" in result.stderr


def test_fit_in_the_library() -> None:
    image = GrayImage("tall", np.zeros((30, 10), dtype=np.float32))
    assert fit(image, (10, 10), "crop").pixels.shape == (10, 10)
    padded = fit(image, (10, 10), "pad").pixels
    assert padded.shape == (10, 10) and (padded[:, :3] == 255).all() and (padded[:, 4:6] == 0).all()
    with pytest.warns(ImageWarning, match="tall: 10x30 stretched to 10x10"):
        fit(image, (10, 10))


def test_train_stores_fit_and_recall_follows_it(tmp_path: Path) -> None:
    wide = _wide_bar(tmp_path)
    other = tmp_path / "other.png"
    Image.fromarray(np.tile(np.array([0, 255], dtype=np.uint8), (20, 20))).save(other)
    model = tmp_path / "m.npz"
    trained = invoke("train", wide, other, "-o", model, "--size", "20", "--fit", "pad", "--rule", "hebbian")
    assert trained.exit_code == 0, trained.output
    assert load_model(model).fit == "pad"
    assert "stretched" not in trained.stderr
    result = invoke("recall", model, wide, "-o", tmp_path / "r.png", "--json", "-q")
    assert result.exit_code == 0, result.output
    (record,) = json_lines(result.stdout)
    assert record["nearest"] == "wide" and record["hamming"] == 0
    inspect = invoke("inspect", model, "--json", "-q")
    assert json_lines(inspect.stdout)[0]["fit"] == "pad"


def test_append_keeps_the_fit(tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    wide = _wide_bar(tmp_path)
    assert invoke("train", wide, "-o", model, "--size", "8", "--fit", "crop", "-q").exit_code == 0
    other = tmp_path / "b.png"
    Image.new("L", (8, 8), 0).save(other)
    result = invoke("train", other, "--append", model, "--fit", "pad")
    assert_clean_error(result, 2, "--fit", "'crop'")


def _idx(path: Path, stack: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", *stack.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + stack.astype(np.uint8).tobytes())


def test_stacks_keep_their_native_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    np.save(tmp_path / "faces.npy", rng.integers(0, 256, (3, 25, 25)).astype(np.uint8))
    model = tmp_path / "m.npz"
    result = invoke("train", tmp_path / "faces.npy", "-o", model, "--rule", "hebbian")
    assert result.exit_code == 0, result.output
    assert load_model(model).shape == (25, 25)
    assert "Note: size 25x25, the stack's own (give --size to change it)" in result.stderr
    again = invoke("train", tmp_path / "faces.npy", "-o", model, "--size", "16", "-q")
    assert again.exit_code == 0 and load_model(model).shape == (16, 16)

    _idx(tmp_path / "digits-idx3-ubyte.gz", rng.integers(0, 256, (4, 7, 5)))
    result = invoke("train", tmp_path / "digits-idx3-ubyte.gz", "-o", model, "-q", "--rule", "hebbian")
    assert result.exit_code == 0, result.output
    assert load_model(model).shape == (7, 5) and load_model(model).n_patterns == 4

    cues = tmp_path / "cues"
    result = invoke("corrupt", tmp_path / "faces.npy", "-o", cues, "--noise", "0.1", "--seed", "1", "-q")
    assert result.exit_code == 0, result.output
    assert {_pixels(p).shape for p in cues.iterdir()} == {(25, 25)}


def test_image_files_keep_the_default_size(tmp_path: Path) -> None:
    Image.new("L", (25, 25), 0).save(tmp_path / "a.png")
    model = tmp_path / "m.npz"
    assert invoke("train", tmp_path / "a.png", "-o", model, "-q").exit_code == 0
    assert load_model(model).shape == (64, 64)


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    top = tmp_path / "photos"
    (top / "holiday").mkdir(parents=True)
    (top / ".hidden").mkdir()
    Image.new("L", (8, 8), 0).save(top / "a.png")
    Image.new("L", (8, 8), 255).save(top / "holiday" / "b.png")
    Image.new("L", (8, 8), 255).save(top / ".hidden" / "c.png")
    return top


def test_subfolders_are_reported_not_silently_skipped(nested: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    result = invoke("train", nested, "-o", model, "--size", "8")
    assert result.exit_code == 0, result.output
    assert load_model(model).names == ("a",)
    assert "Note: skipped 1 subfolder(s): holiday (--recursive reads them)" in result.stderr


def test_recursive_reads_subfolders(nested: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    result = invoke("train", nested, "-o", model, "--size", "8", "--recursive")
    assert result.exit_code == 0, result.output
    assert load_model(model).names == ("a", "b")  # hidden folders stay out
    assert "Note: skipped" not in result.stderr


def test_a_folder_of_folders_says_how_to_read_it(nested: Path, tmp_path: Path) -> None:
    (nested / "a.png").unlink()
    result = invoke("train", nested, "-o", tmp_path / "m.npz", "--size", "8")
    assert_clean_error(result, 1, "no images found (it has 1 subfolder(s): add --recursive to read them)")


@pytest.fixture
def crop_model(tmp_path: Path) -> Path:
    model = tmp_path / "m.npz"
    result = invoke("train", _wide_bar(tmp_path), "-o", model, "--size", "16x8", "--fit", "crop", "-q")
    assert result.exit_code == 0, result.output
    return model


def test_corrupt_takes_size_fit_and_binarization_from_a_model(crop_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "cue.png"
    result = invoke("corrupt", tmp_path / "wide.png", "--model", crop_model, "-o", out, "--noise", "0")
    assert result.exit_code == 0, result.output
    pixels = _pixels(out)
    # 16 x 8 out of the 40 x 20 bar's centre (crop): the bar, then white at each side.
    assert pixels.shape == (8, 16) and (pixels[:, 5:11] == 0).all()
    assert "stretched" not in result.stderr
    same = invoke("corrupt", tmp_path / "wide.png", "--model", crop_model, "-o", out, "--size", "16x8")
    assert same.exit_code == 0, same.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--size", "32", "uses 16x8, got 32x32; leave --size out to use the model's"),
        ("--fit", "pad", "uses crop, got pad; leave --fit out"),
        ("--binarize", "otsu", "uses mean, got otsu; leave --binarize out"),
    ],
)
def test_corrupt_model_conflicts_are_usage_errors(
    crop_model: Path, tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "cue.png"
    result = invoke("corrupt", tmp_path / "wide.png", "--model", crop_model, "-o", out, option, value)
    assert_clean_error(result, 2, message)
    assert not out.exists()


@pytest.mark.parametrize("command", ["corrupt", "recall"])
def test_several_inputs_and_a_png_output_is_an_error(tmp_path: Path, command: str) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("L", (8, 8), 0).save(a)
    Image.new("L", (8, 8), 255).save(b)
    model = tmp_path / "m.npz"
    assert invoke("train", a, b, "-o", model, "--size", "8", "-q").exit_code == 0
    out = tmp_path / "x.png"
    args = ("corrupt", a, b) if command == "corrupt" else ("recall", model, a, b)
    result = invoke(*args, "-o", out)
    assert_clean_error(result, 2, "2 inputs write one PNG each into a folder; ")
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: Invalid value for '-o' / '--output': 2 inputs write one PNG each into a folder; {out} "
        "names a single image file"
    ]
    assert not out.exists()


def test_train_json_lists_image_warnings_even_when_quiet(tmp_path: Path) -> None:
    white = tmp_path / "white.png"
    Image.new("L", (8, 8), 255).save(white)
    result = invoke(
        "train", _wide_bar(tmp_path), white, "-o", tmp_path / "m.npz", "--size", "8", "--json", "-q"
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    (summary,) = json_lines(result.stdout)
    assert summary["warnings"][:2] == [
        "wide: 40x20 stretched to 8x8 (aspect ratio 2.00 -> 1.00); --fit crop or --fit pad keeps its shape",
        "white: blank image (every pixel at grey level 255); it becomes all white",
    ]
    shown = invoke("train", _wide_bar(tmp_path), white, "-o", tmp_path / "m.npz", "--size", "8")
    assert shown.stderr.count("stretched to 8x8") == 1 and shown.stderr.count("blank image") == 1


def test_corrupt_model_of_colour_memories_writes_colour_cues(tmp_path: Path) -> None:
    from _cli_support import FOUR_PHOTOS

    colourful = tmp_path / "rgb.png"
    rng = np.random.default_rng(SEED)
    Image.fromarray(rng.integers(0, 256, (12, 12, 3)).astype(np.uint8)).save(colourful)
    model = tmp_path / "c.npz"
    trained = invoke(
        "train",
        colourful,
        FOUR_PHOTOS[0],
        "-o",
        model,
        "--rule",
        "continuous",
        "--color",
        "--size",
        "12",
        "-q",
    )
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "cue.png"
    result = invoke(
        "corrupt",
        colourful,
        "--model",
        model,
        "-o",
        out,
        "--kind",
        "gaussian",
        "--noise",
        "0.1",
        "--seed",
        "1",
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.mode == "RGB" and image.size == (12, 12)
    conflict = invoke("corrupt", colourful, "--model", model, "-o", out, "--binarize", "mean")
    assert_clean_error(conflict, 2, "uses none, got mean; leave --binarize out")


def test_corrupt_json_records_carry_their_images_warnings(tmp_path: Path) -> None:
    square = tmp_path / "square.png"
    Image.fromarray(np.tile(np.array([0, 255], dtype=np.uint8), (20, 10))).save(square)
    result = invoke(
        "corrupt", _wide_bar(tmp_path), square, "-o", tmp_path / "cues", "--size", "20", "--json", "-q",
        "--seed", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    records = {record["input"]: record for record in json_lines(result.stdout)}
    assert records["square"]["warnings"] == []
    assert records["wide"]["warnings"] == [
        "wide: 40x20 stretched to 20x20 (aspect ratio 2.00 -> 1.00); --fit crop or --fit pad keeps its shape"
    ]
    shown = invoke("corrupt", _wide_bar(tmp_path), square, "-o", tmp_path / "cues", "--size", "20")
    assert shown.stderr.count("Warning: wide: 40x20 stretched") == 1
