"""Worker processes that never outlive the process that started them.

A pool's workers hold the caller's pipes open: if they survived a killed
parent, a shell pipeline would hang on them.  :func:`die_with_parent` is a
pool initializer.  On Linux the kernel kills the worker when its parent dies
(``PR_SET_PDEATHSIG``, which also covers SIGKILL); everywhere a watchdog
thread exits the worker once its parent process is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCH_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when the process ``parent_pid`` dies.

    Parameters
    ----------
    parent_pid : int
        The pid of the process that created this one (``os.getpid()`` there).
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the watchdog still works
            pass
    # Ctrl-C reaches the whole process group: the parent stops its workers itself
    # (see stop_children), rather than every worker printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="die-with-parent", daemon=True).start()


def _watch(parent_pid: int) -> None:
    # Re-parenting to init (or a subreaper) changes getppid(): the parent is gone.
    while os.getppid() == parent_pid:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def stop_children() -> None:
    """Terminate the worker processes this process started through multiprocessing, if any."""
    if "multiprocessing" not in sys.modules:
        return  # none were ever started (and importing it costs start-up time)
    import multiprocessing

    for child in multiprocessing.active_children():
        child.terminate()
