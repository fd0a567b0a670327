"""Where a sweep's points run: serially in this process, or as Dask tasks on a cluster.

The cluster is an embedded local one of single-threaded worker processes, or an existing one
reached at its scheduler's address (``--scheduler``; its workers must run this ipssim). A point's
results depend only on the evaluator, its values, its seed and the replications, never on the
backend or the worker, so every backend gives the same bits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ipssim.parallel import cluster
from ipssim.sweep.design import Point
from ipssim.sweep.evaluators import Columns, Evaluator

Results = Iterator[tuple[Point, Columns]]
"""Each point with its evaluated columns, as they arrive."""


def evaluate_point(evaluator: Evaluator, point: Point, replications: int) -> Columns:
    """A point's task (module level, so Dask can ship it to any worker)."""
    return evaluator.evaluate(point.values, point.seed, replications)


def serial_results(evaluator: Evaluator, points: list[Point], replications: int) -> Results:
    """Every point in this process, in index order: the reference for the bit-identity test."""
    for point in points:
        yield point, evaluate_point(evaluator, point, replications)


@contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: of an embedded local cluster of ``workers`` single-threaded processes, or
    of the cluster whose scheduler is at ``scheduler`` (its workers must run this ipssim)."""
    if scheduler:
        with cluster(scheduler) as client:
            yield client
        return
    from distributed import Client, LocalCluster

    local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.CRITICAL)
    try:
        client = Client(local)
        client.register_plugin(_ignore_interrupts_plugin())
        try:
            yield client
        finally:
            client.close()
    finally:
        local.close()


def dask_results(client: Any, evaluator: Evaluator, points: list[Point],
                 replications: int) -> Results:
    """Every point as a Dask task, yielded as each finishes (in any order). Stopping the
    iteration (or Ctrl-C) cancels the tasks left."""
    from distributed import as_completed

    shared = client.scatter(evaluator, broadcast=True, hash=False)
    futures = [client.submit(evaluate_point, shared, point, replications, pure=False)
               for point in points]
    by_key = {future.key: point for future, point in zip(futures, points, strict=True)}
    try:
        for future in as_completed(futures):
            columns = future.result()
            point = by_key[future.key]
            future.release()
            yield point, columns
    finally:
        client.cancel(futures)


@contextmanager
def backend(points: list[Point], *, serial: bool, workers: int,
            scheduler: str | None) -> Iterator[Any]:
    """``None`` (run serially) if ``serial`` or nothing is left to run; otherwise a Dask client
    (of at most one worker per point)."""
    if serial or not points:
        yield None
        return
    with dask_client(min(workers, len(points)), scheduler) as client:
        yield client


def results(client: Any, evaluator: Evaluator, points: list[Point], replications: int) -> Results:
    """The points' results: serially if ``client`` is ``None``, else as Dask tasks."""
    if client is None:
        return serial_results(evaluator, points, replications)
    return dask_results(client, evaluator, points, replications)


def _ignore_interrupts_plugin() -> Any:
    """A Dask worker plugin: workers of the embedded cluster leave Ctrl-C to the parent, which
    stops the sweep and closes the cluster (as ``ipssim.parallel.worker_pool`` does)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class IgnoreInterrupts(WorkerPlugin):
        name = "ipssim-ignore-interrupts"

        def setup(self, worker) -> None:
            import signal
            import threading

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return IgnoreInterrupts()
