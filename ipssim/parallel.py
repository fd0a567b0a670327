"""The one process pool: parallel map in order, Ctrl-C left to the parent, nothing orphaned.

Replications, compared scenarios and calibration runs all go through :func:`ordered_map` (or a
:func:`worker_pool` kept open across calls); sweeps may use Dask instead (``ipssim.sweep``).

Workers are spawned, not forked, so a thread of the parent (a progress display, a web server)
never leaves a lock held in a child. They ignore Ctrl-C: the parent alone stops. When the parent
stops early, for whatever reason, it terminates its workers at once instead of waiting for their
current task, and each worker also asks the kernel to kill it if its parent dies (a parent killed
with SIGKILL runs no code of its own), so no worker is ever left holding the parent's pipes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def default_workers() -> int:
    """All cores: the default number of worker processes."""
    return available_cores()


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def worker_pool(workers: int) -> Iterator[Pool | None]:
    """A pool of ``workers`` processes (``None`` for one worker: run in this process).

    Left normally, the pool finishes and joins; left by an exception (Ctrl-C, SIGTERM handled as
    an interrupt, an error), its workers are terminated at once.
    """
    if workers <= 1:
        yield None
        return
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_setup,
                                                     initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def ordered_map(fn: Callable, *iterables: Iterable, workers: int = 1,
                pool: Pool | None = None) -> Iterator:
    """``map(fn, *iterables)`` on ``workers`` processes (or on an open ``pool``), in input order.

    One call per task: each task is a replication or a parameter set (a tenth of a second or
    more), which keeps every worker busy to the end.
    """
    tasks = list(zip(*iterables, strict=True))
    call = functools.partial(_call, fn)
    if pool is not None:
        yield from pool.imap(call, tasks, chunksize=1)
        return
    with worker_pool(min(workers, len(tasks))) as own:
        yield from (map(call, tasks) if own is None else own.imap(call, tasks, chunksize=1))


def _call(fn: Callable, args: tuple) -> object:
    return fn(*args)


def _worker_setup(parent: int) -> None:
    """In each worker: ignore Ctrl-C (the parent handles it) and die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
