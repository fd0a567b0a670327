"""The simulation clock: a SimPy environment with a leaner event loop.

It processes exactly the events ``simpy.Environment`` would, in the same order and at the same
times (events are still numbered by the same counter, so the processed-event count is the same);
only the per-event bookkeeping of SimPy's generic loop is trimmed.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import BoundClass
from simpy.events import NORMAL, URGENT, Event, Timeout


class Environment(simpy.Environment):
    """``simpy.Environment`` with ``run(until=day)`` as one tight loop and a direct ``timeout``."""

    def __init__(self) -> None:
        super().__init__()
        # SimPy binds its event constructors to the instance only for names defined on the class
        # itself, not on a subclass; without this every ``env.process`` would build a bound
        # method anew.
        for name, attribute in vars(simpy.Environment).items():
            if type(attribute) is BoundClass:
                setattr(self, name, getattr(self, name))

    def timeout(self, delay: float, value: Any = None) -> Timeout:
        """A ``Timeout`` scheduled ``delay`` days from now.

        Same event as ``simpy.Timeout(env, delay, value)``; built here in one call instead of
        three (constructor, ``schedule``, ``heappush``), as timeouts are most of a run's events.
        """
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event = Timeout.__new__(Timeout)
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

    def run(self, until: float) -> None:  # type: ignore[override]
        """Process events until the clock reaches ``until`` (events at ``until`` itself excluded).

        Like SimPy, it stops at an urgent event scheduled at ``until``; the loop of
        ``simpy.Environment.step`` is inlined, without its per-event call and exception setup.
        """
        if until <= self._now:
            raise ValueError(f"until ({until}) must be greater than the current simulation time")
        stop = Event(self)
        stop._ok = True
        stop._value = None
        self.schedule(stop, URGENT, until - self._now)
        queue = self._queue
        while True:
            self._now, _, _, event = heappop(queue)
            if event is stop:
                return
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                # A failed event nobody handled (a crashed process): raise it, as SimPy does.
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc

    def discard(self) -> None:
        """Drop every pending event once the run is over, so that reference counting frees them.

        A waiting process and the event it waits on refer to each other, so without this each
        pending event, its process and the process's generator are left for the cyclic garbage
        collector to find (thousands of objects per run); with the events' callbacks cut they
        are freed at once.
        """
        for *_, event in self._queue:
            event.callbacks = None
        self._queue.clear()
