"""The one process pool: parallel map in order, Ctrl-C left to the parent, nothing orphaned.

Replications, compared scenarios and calibration runs all go through :func:`ordered_map` (or a
:func:`worker_pool` kept open across calls); sweeps may use Dask instead (``ipssim.sweep``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


def default_workers() -> int:
    """All cores: the default number of worker processes."""
    return os.cpu_count() or 1


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of ``workers`` processes (``None`` for one worker: run in this process).

    Workers are spawned, not forked, so a thread of the parent (a progress display) can never
    leave a lock held in a child, and they ignore Ctrl-C: a worker interrupted while it holds the
    pool's queue lock would leave the others blocked and the shutdown hanging; instead the parent
    alone stops, cancels the queued work, and the workers exit after their current task.
    """
    if workers <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def ordered_map(fn: Callable, *iterables: Iterable, workers: int = 1,
                pool: ProcessPoolExecutor | None = None) -> Iterator:
    """``map(fn, *iterables)`` on ``workers`` processes (or on an open ``pool``), in input order.

    One call per task: each task is a replication or a parameter set (a tenth of a second or
    more), which keeps every worker busy to the end and lets an interrupted run stop within a
    task or two.
    """
    tasks = [list(it) for it in iterables]
    if pool is not None:
        yield from pool.map(fn, *tasks)
        return
    count = len(tasks[0]) if tasks else 0
    with worker_pool(min(workers, count)) as own:
        yield from (map(fn, *tasks) if own is None else own.map(fn, *tasks))


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
