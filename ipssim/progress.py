"""The one progress display of long work: a bar on a terminal, a line now and then in a log.

Every command that simulates for long (``run``, ``compare``, ``size``, ``calibrate``, ``sweep``)
reports through :func:`progress`. On a terminal it draws a bar on stderr with the count, the rate
and the time left; when stderr is not a terminal (a batch job's log) it prints one line every
``every_seconds`` and one at the end, so a long job is never silent.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

Update = Callable[[int, int | None], None]
"""``update(done, total)``: how much is done of how much (``None``: not known yet)."""


@contextmanager
def progress(description: str, total: int | None = None, done: int = 0, unit: str = "",
             every_seconds: float = 30.0) -> Iterator[Update]:
    """Yield an ``update(done, total)`` callback that shows the progress of ``description``."""
    console = Console(file=sys.stderr)
    unit = unit or description.rsplit(": ", 1)[-1]
    if console.is_terminal:
        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed:.2f} {unit}/s" if task.speed else f"- {unit}/s")

        columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   Rate(), TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(description, total=total, completed=done)

            def update(now_done: int, now_total: int | None = None) -> None:
                bar.update(task, completed=now_done,
                           total=now_total if now_total is not None else total)

            yield update
        return
    start, first, last = time.perf_counter(), done, [time.perf_counter()]

    def line(now_done: int, now_total: int | None = None) -> None:
        now, of = time.perf_counter(), now_total if now_total is not None else total
        finished = of is not None and now_done >= of
        if now - last[0] < every_seconds and not finished:
            return
        last[0] = now
        rate = (now_done - first) / (now - start) if now > start else 0.0
        left = (of - now_done) / rate if of is not None and rate > 0 else math.inf
        count = f"{now_done}/{of}" if of is not None else f"{now_done}"
        print(f"{description}: {count} {unit}, {rate:.2f} {unit}/s, about {duration(left)} left",
              file=sys.stderr, flush=True)

    yield line


def duration(seconds: float) -> str:
    """A rough duration for people: ``40 s``, ``12 min``, ``? min``."""
    if not math.isfinite(seconds):
        return "? min"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
