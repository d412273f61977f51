"""Atomic file replacement: a failed or interrupted write leaves no trace."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place on success.

    The temporary file lives in the destination folder (created if missing),
    so the final ``os.replace`` is atomic: readers see the old file or the new
    one, never a half-written one.  On any exception, including
    ``KeyboardInterrupt``, the temporary file is removed and ``target`` is
    left as it was.  The new file gets the permissions of the one it
    replaces, or those of an ordinary new file (``0o666`` less the umask).

    Raises
    ------
    IsADirectoryError
        If ``target`` is a folder.
    NotADirectoryError
        If a file stands where a folder of the path should be.
    """
    final = Path(target)
    if final.is_dir():
        raise IsADirectoryError(f"{final}: is a folder; give a file name")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise NotADirectoryError(f"{final.parent}: cannot create this folder, a file is in the way") from exc
    _remove_stale(final.parent)
    temporary = _create_unique(final)
    try:
        yield temporary
        os.chmod(temporary, _mode_for(final))
        if _pending is not None:
            _pending.append((temporary, final))  # flushed and renamed at the end of the batch
            return
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# Files of the open durable_batch: (temporary, final); None outside a batch.
_pending: list[tuple[Path, Path]] | None = None


@contextlib.contextmanager
def durable_batch() -> Iterator[None]:
    """Write many files with :func:`atomic_path` and make them durable together.

    Inside the block, each file is written to its temporary as usual but not
    yet renamed.  At the end all temporaries are flushed to disk at once
    (one ``syncfs`` per file system on Linux, else one ``fsync`` per file),
    then renamed into place, then each destination folder is flushed once.
    So a crash or power loss can lose outputs but never leaves a name on a
    half-written file, as with one ``fsync`` per file, at the cost of one
    flush.  On any exception inside the block nothing is renamed and every
    temporary is removed.  Batches do not nest.
    """
    global _pending
    if _pending is not None:
        raise RuntimeError("durable_batch blocks do not nest")
    pending: list[tuple[Path, Path]] = []
    renamed = 0  # pending[:renamed] are in place; the rest are temporaries to remove on failure
    _pending = pending
    try:
        yield
        _pending = None
        folders = {final.parent for _, final in pending}
        _flush([temporary for temporary, _ in pending])
        for temporary, final in pending:
            os.replace(temporary, final)
            renamed += 1
        for folder in folders:
            _fsync_folder(folder)
    finally:
        _pending = None
        for temporary, _ in pending[renamed:]:
            temporary.unlink(missing_ok=True)


def _flush(paths: list[Path]) -> None:
    """Get the data of ``paths`` onto the disk: one ``syncfs`` per file system where Linux has it."""
    if not paths:
        return
    # One file: its own fsync (no ctypes import, no flush of the whole file system).
    syncfs = _syncfs() if len(paths) > 1 else None
    if syncfs is not None:
        devices: dict[int, Path] = {}
        for path in paths:
            devices.setdefault(os.stat(path).st_dev, path)
        for path in devices.values():
            fd = os.open(path, os.O_RDONLY)
            try:
                if syncfs(fd) != 0:
                    import ctypes

                    code = ctypes.get_errno()
                    raise OSError(code, os.strerror(code), str(path))
            finally:
                os.close(fd)
        return
    for path in paths:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


def _syncfs() -> Any:
    """libc's ``syncfs`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).syncfs
    except (ImportError, OSError, AttributeError):
        return None


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where folders can be opened, i.e. POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the renames are still atomic
    finally:
        os.close(fd)


# .NAME.PID-XXXXXXXX.part: the pid tells whether the writer is still alive.
_TEMPORARY = re.compile(r"\..+\.(\d+)-[0-9a-f]{8}\.part")
_checked: set[Path] = set()
# Bytes of the final name kept in a temporary's name (255 less the dots, pid, random part and suffix).
_NAME_ROOM = 200


def _remove_stale(folder: Path) -> None:
    """Remove temporary files of ours whose writer died (SIGKILL, power loss); once per folder."""
    if os.name != "posix" or folder in _checked:
        return
    _checked.add(folder)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a pid we can judge: leave its file
    return True


def _create_unique(final: Path) -> Path:
    """Create an empty, private ``.NAME.PID-XXXXXXXX.part`` file beside ``final``.

    (Not ``tempfile.mkstemp``: importing tempfile costs several milliseconds
    of every command's start-up.)
    """
    # A file name may take 255 bytes; the temporary adds up to ~30 to the final name.
    stem = final.name
    while len(os.fsencode(stem)) > _NAME_ROOM:
        stem = stem[:-1]
    for _ in range(100):
        candidate = final.with_name(f".{stem}.{os.getpid()}-{os.urandom(4).hex()}.part")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"{final.parent}: cannot create a temporary file for {final.name}")


def _mode_for(final: Path) -> int:
    try:
        return stat.S_IMODE(final.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)  # the only portable way to read the umask is to set it
        os.umask(umask)
        return 0o666 & ~umask


class FileLock:
    """An advisory lock held through an open descriptor; released when closed or collected."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        """Close the descriptor, which releases the lock."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.release()


def lock_exclusive(path: str | os.PathLike[str]) -> FileLock | None:
    """Hold an advisory exclusive lock (``flock``) on the file ``path`` names now.

    Writers replace files by renaming, so a lock on an old inode protects
    nothing: after the lock is granted, the path must still name the locked
    file, or the lock is taken again on the new one.  Returns the lock (it is
    released when closed or garbage-collected, and at exit), or None where
    there is nothing to lock (no such regular file, or no ``fcntl``).
    """
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    while True:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None  # the reader reports the missing or unreadable file
        lock = FileLock(fd)
        held = os.fstat(fd)
        if not stat.S_ISREG(held.st_mode):
            lock.release()
            return None
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            now = os.stat(path)
        except OSError:
            lock.release()
            return None
        if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return lock
        lock.release()  # replaced while we waited: lock the new file
