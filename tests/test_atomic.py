"""Durable batches of atomic writes: all outputs appear whole at the end, or none on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from hopfield_cli._atomic import atomic_path, durable_batch


def _write(path: Path, data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def test_batch_renames_every_file_at_the_end(tmp_path: Path) -> None:
    targets = [tmp_path / "out" / f"{k}.bin" for k in range(5)] + [tmp_path / "other" / "x.bin"]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "0.bin").write_bytes(b"old")
    with durable_batch():
        for k, target in enumerate(targets):
            _write(target, bytes([k]) * 1000)
            # Until the batch ends, the old content (or nothing) is what readers see.
            assert not target.exists() or target.read_bytes() == b"old"
    for k, target in enumerate(targets):
        assert target.read_bytes() == bytes([k]) * 1000
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


def test_failure_inside_a_batch_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "keep.bin").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), durable_batch():
        _write(tmp_path / "keep.bin", b"new")
        _write(tmp_path / "new.bin", b"new")
        raise KeyboardInterrupt
    assert (tmp_path / "keep.bin").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.bin"]


def test_batches_do_not_nest_and_single_writes_still_work(tmp_path: Path) -> None:
    with durable_batch(), pytest.raises(RuntimeError, match="do not nest"), durable_batch():
        pass
    _write(tmp_path / "single.bin", b"x")
    assert (tmp_path / "single.bin").read_bytes() == b"x"
