"""The README's examples run as written, so they cannot silently break again.

Every code block preceded by ``<!-- executed by tests/test_readme.py -->`` is
extracted and run: shell blocks with bash in a scratch folder holding the
sample images, with this interpreter's ``hopfield`` and ``python`` first on
PATH; Python blocks in one interpreter, in order.  Blocks that call ``jq`` are
skipped only when jq is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- executed by tests/test_readme.py -->"
BLOCK = re.compile(re.escape(MARKER) + r"\n```(\w+)\n(.*?)\n```", re.DOTALL)


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [code for lang, code in BLOCK.findall(text) if lang == language]


def _scratch(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "sample_images").symlink_to(ROOT / "sample_images")
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _bash(code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_marked_blocks_exist() -> None:
    assert len(_blocks("bash")) == 2
    assert len(_blocks("python")) == 2
    assert all("exact" not in code for code in _blocks("bash")), "count correct, not exact"


def test_shell_sweep_and_jq_count_correct_recalls(tmp_path: Path) -> None:
    env = _scratch(tmp_path)
    sweep, with_jq = _blocks("bash")
    done = _bash(sweep, tmp_path, env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")[:-1]
    assert [line.split()[0] for line in lines] == ["0.1", "0.2", "0.3", "0.4", "0.45"]
    counts = {}
    for line in lines:
        noise, correct, slash, total = line.split()
        assert slash == "/" and total == "12" and 0 <= int(correct) <= 12
        counts[noise] = int(correct)
    assert counts["0.1"] == 12  # light damage: every photo is its own memory again
    if shutil.which("jq", path=env["PATH"]) is None:
        pytest.skip("jq is not installed: the jq block was not run")
    done = _bash(with_jq, tmp_path, env)
    assert done.returncode == 0, done.stderr
    first, *wrong = done.stdout.split("\n")[:-1]
    assert int(first) == counts["0.45"]
    assert len(wrong) == 12 - counts["0.45"]
    assert all(" -> " in line for line in wrong)


def test_python_blocks_run(tmp_path: Path) -> None:
    env = _scratch(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "\n\n".join(_blocks("python"))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # status, verdict, correct, Hamming distance to the nearest memory
    assert done.stdout.splitlines()[0] == "fixed point correct True 0"


def test_readme_figures_are_regenerated_by_the_script(tmp_path: Path) -> None:
    from PIL import Image

    from hopfield_cli import figures

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/make_figures.py" in text
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_figures.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Recall: 3/4 correct: 1 other-memory" in done.stderr
    assert "Recall: 5/5 correct" in done.stderr  # the colour photos (scikit-image is a test dependency)
    for name in ("recall-montage.png", "recall-animation.gif", "grey-and-colour.png"):
        assert f"](docs/{name})" in text
        for made in (tmp_path / name, ROOT / "docs" / name):
            assert made.stat().st_size < 300_000
    with Image.open(tmp_path / "recall-montage.png") as sheet:
        colours = {tuple(c) for c in np.asarray(sheet.convert("RGB")).reshape(-1, 3)}
    assert figures.FRAME_COLOURS[True] in colours and figures.FRAME_COLOURS[False] in colours
    with Image.open(tmp_path / "recall-animation.gif") as gif:
        assert gif.n_frames >= 3


def test_no_merge_conflict_markers_are_left_in_the_sources() -> None:
    # One was once committed inside the README's option table.
    marker = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.MULTILINE)
    folders = ("hopfield_cli", "tests", "benchmarks", "docs", ".ci")
    files = [ROOT / "README.md", ROOT / "pyproject.toml"]
    files += [
        path for folder in folders for path in (ROOT / folder).rglob("*") if path.suffix in {".py", ".md", ""}
    ]
    checked = [path for path in files if path.is_file()]
    assert len(checked) > 40
    for path in checked:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert marker.search(text) is None, path
