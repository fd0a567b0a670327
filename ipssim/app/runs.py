"""The page's runs: each session's history, run in the background so the page never blocks.

A run is one :func:`ipssim.api.run` in a thread of the server, whose replications go to the one
process pool (:mod:`ipssim.parallel`, through ``workers=``); the thread only waits and counts.
Cancel sets a flag that the progress callback reads after each replication: the run stops there,
the pool finishes the replications in flight and shuts down. Runs are kept per session id (a
random id the page gets when it loads), so two tabs never see each other's runs.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from ipssim import api

MAX_RUNS = 12
"""Runs kept per session; older finished runs are forgotten (their results free memory)."""
MAX_SESSIONS = 200


class Cancelled(Exception):
    """Raised inside a run's progress callback when the planner pressed Cancel."""


@dataclass
class Run:
    """One run of the page: what was asked, how far it got, and what came back."""

    number: int
    scenario: api.Scenario
    replications: int
    seed: int
    description: str
    done: int = 0
    state: str = "running"  # running | finished | cancelled | failed
    message: str = ""
    result: api.RunResult | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return f"Run {self.number}"


class RunStore:
    """The runs of every session, behind one lock."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._sessions: dict[str, list[Run]] = {}

    @staticmethod
    def new_session() -> str:
        return uuid.uuid4().hex

    def runs(self, session: str) -> list[Run]:
        with self._lock:
            return list(self._sessions.get(session, []))

    def get(self, session: str, number: int) -> Run | None:
        return next((r for r in self.runs(session) if r.number == number), None)

    def start(self, session: str, scenario: api.Scenario, replications: int, seed: int,
              description: str) -> Run:
        """Start a run in the background and return it at once."""
        with self._lock:
            if session not in self._sessions and len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            runs = self._sessions.setdefault(session, [])
            number = runs[-1].number + 1 if runs else 1
            run = Run(number, scenario, replications, seed, description)
            runs.append(run)
            while len(runs) > MAX_RUNS and runs[0].state != "running":
                runs.pop(0)
        threading.Thread(target=self._work, args=(run,), daemon=True, name=run.name).start()
        return run

    def cancel(self, session: str) -> None:
        """Ask every running run of the session to stop."""
        for run in self.runs(session):
            if run.state == "running":
                run.cancel.set()

    def _work(self, run: Run) -> None:
        def progress(done: int, total: int | None) -> None:
            run.done = done
            if run.cancel.is_set():
                raise Cancelled

        try:
            if run.cancel.is_set():
                raise Cancelled
            run.result = api.run(run.scenario, run.replications, run.seed, workers=self.workers,
                                 progress=progress)
            run.state = "finished"
        except Cancelled:
            run.state, run.message = "cancelled", f"cancelled after {run.done} replications"
        except Exception as exc:  # the page shows one line, never a traceback
            run.state, run.message = "failed", _one_line(exc)


def _one_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
