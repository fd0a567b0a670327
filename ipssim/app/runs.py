"""The page's runs: each session's history, and one queue of runs for the whole server.

Every browser session's runs wait in one server-wide queue: at most ``at_once`` run at a time
(each on ``workers // at_once`` worker processes, so the server never has more than ``workers``
of them whatever the number of sessions), at most ``waiting`` wait their turn, and a run asked
for beyond that is refused with a message. A run is one :func:`ipssim.api.run` in one of the
store's ``at_once`` threads; the thread only waits and counts. Cancel takes a waiting run out of
the queue, or sets a flag that the progress callback reads after each replication: the run stops
there. Sessions are ids the store hands out (one per page load) and keeps at most
:data:`MAX_SESSIONS` of; a callback naming any other id is refused.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from ipssim import api
from ipssim.validation import InputError, one_line

MAX_RUNS = 12
"""Runs kept per session; older finished runs are forgotten (their results free memory)."""
MAX_SESSIONS = 200
"""Sessions kept; a new page load forgets the session used least recently that has no run
waiting or going."""
AT_ONCE = 1
"""Runs going at once, server-wide, unless the app is built with another number."""
WAITING = 4
"""Runs waiting their turn, server-wide, unless the app is built with another number."""


class Cancelled(Exception):
    """Raised inside a run's progress callback when the planner pressed Cancel."""


class Refused(Exception):
    """A run not started: the server is busy, the session already has one, or is unknown."""


@dataclass
class Run:
    """One run of the page: what was asked, how far it got, and what came back."""

    number: int
    scenario: api.Scenario
    replications: int
    seed: int
    description: str
    done: int = 0
    state: str = "queued"  # queued | running | finished | cancelled | failed
    message: str = ""
    result: api.RunResult | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    parameter_uncertainty: bool = False
    """Draw the scenario's uncertain parameters once per replication (``ipssim.run``)."""

    @property
    def name(self) -> str:
        return f"Run {self.number}"

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


class RunStore:
    """The runs of every session and the server's one queue, behind one lock."""

    def __init__(self, workers: int, at_once: int = AT_ONCE, waiting: int = WAITING) -> None:
        if at_once < 1 or waiting < 0 or workers < 1:
            raise InputError("serve: workers and runs at once must be at least 1, runs waiting "
                             "at least 0")
        self.workers = max(1, workers // at_once)
        """Worker processes of each run (one: the run's own thread, no process)."""
        self.at_once, self.waiting = at_once, waiting
        self._running = 0
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._queue: deque[Run] = deque()
        self._sessions: OrderedDict[str, list[Run]] = OrderedDict()
        for number in range(at_once):
            threading.Thread(target=self._serve, daemon=True, name=f"runs-{number}").start()

    def new_session(self) -> str:
        """A new session id, kept until :data:`MAX_SESSIONS` newer ones push it out."""
        session = uuid.uuid4().hex
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                idle = next((s for s, runs in self._sessions.items()
                             if not any(r.active for r in runs)), None)
                if idle is not None:
                    del self._sessions[idle]
            self._sessions[session] = []
        return session

    def known(self, session: object) -> bool:
        with self._lock:
            return isinstance(session, str) and session in self._sessions

    def runs(self, session: str) -> list[Run]:
        with self._lock:
            if session in self._sessions:
                self._sessions.move_to_end(session)
            return list(self._sessions.get(session, []))

    def get(self, session: str, number: int) -> Run | None:
        return next((r for r in self.runs(session) if r.number == number), None)

    def position(self, run: Run) -> int | None:
        """Where a waiting run stands in the queue (1: next to go)."""
        with self._lock:
            return next((k for k, r in enumerate(self._queue, start=1) if r is run), None)

    def start(self, session: str, scenario: api.Scenario, replications: int, seed: int,
              description: str, parameter_uncertainty: bool = False) -> Run:
        """Queue a run and return it at once; :class:`Refused` if it cannot be queued."""
        with self._lock:
            runs = self._sessions.get(session)
            if runs is None:
                raise Refused("This page's session has expired: reload the page.")
            if any(r.active for r in runs):
                raise Refused("A run is still going: wait for it or press Cancel.")
            queued = self._running + len(self._queue)  # going or waiting
            if queued >= self.at_once + self.waiting:
                raise Refused(f"The server is busy: {queued} runs queued; try again later.")
            number = runs[-1].number + 1 if runs else 1
            run = Run(number, scenario, replications, seed, description,
                      parameter_uncertainty=parameter_uncertainty)
            runs.append(run)
            while len(runs) > MAX_RUNS and not runs[0].active:
                runs.pop(0)
            self._queue.append(run)
            self._ready.notify()
        return run

    def cancel(self, session: str) -> None:
        """Take the session's waiting run out of the queue, or ask its running run to stop."""
        with self._lock:
            for run in self._sessions.get(session, []):
                if run.state == "queued":
                    self._queue.remove(run)
                    run.state, run.message = "cancelled", "cancelled before it started"
                elif run.state == "running":
                    run.cancel.set()

    def _serve(self) -> None:
        """One of the ``at_once`` threads: take the next run off the queue and run it."""
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                run = self._queue.popleft()
                run.state = "running"
                self._running += 1
            try:
                self._work(run)
            finally:
                with self._lock:
                    self._running -= 1

    def _work(self, run: Run) -> None:
        def progress(done: int, total: int | None) -> None:
            run.done = done
            if run.cancel.is_set():
                raise Cancelled

        try:
            if run.cancel.is_set():
                raise Cancelled
            run.result = api.run(run.scenario, run.replications, run.seed, workers=self.workers,
                                 progress=progress,
                                 parameter_uncertainty=run.parameter_uncertainty)
            run.state = "finished"
        except Cancelled:
            run.state, run.message = "cancelled", f"cancelled after {run.done} replications"
        except Exception as exc:  # the page shows one line, never a traceback
            run.state, run.message = "failed", one_line(str(exc) or type(exc).__name__)
