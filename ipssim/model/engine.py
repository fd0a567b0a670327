"""The simulation clock: a SimPy environment with a leaner event loop.

It processes exactly the events ``simpy.Environment`` would, in the same order and at the same
times (events are still numbered by the same counter, so the processed-event count is the same);
only the per-event bookkeeping of SimPy's generic loop is trimmed, and the queue is bucketed by
day so that its cost does not grow with the number of clients waiting on events.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Any

import simpy
from simpy.core import BoundClass, EmptySchedule, Infinity
from simpy.events import NORMAL, URGENT, Event, EventPriority, ProcessGenerator, Timeout

BUCKET_DAYS = 2.0
"""Width of the event queue's buckets (see :class:`Environment`)."""
_PER_DAY = 1.0 / BUCKET_DAYS
_FAR = 1 << 62  # the bucket of events too far off to number (an infinite delay)
_BOUND = tuple(name for name, attribute in vars(simpy.Environment).items()
               if type(attribute) is BoundClass)
"""SimPy's event constructors, bound to each instance (see :class:`Environment`)."""


class Environment(simpy.Environment):
    """``simpy.Environment`` with ``run(until=day)`` as one tight loop, a direct ``timeout`` and
    a bucketed event queue.

    SimPy keeps every pending event in one heap, and a large model has one pending event per
    client: with tens of thousands of clients each pop walks a deep heap scattered in memory
    (a pop cost four to five times as much at 29,000 clients as at 450). Here only the events of
    the current bucket of :data:`BUCKET_DAYS` days are in a heap (``_queue``); later ones wait in
    an unsorted list per bucket (``_later``, with a heap of the bucket numbers), heaped when the
    clock reaches their bucket. Events keep SimPy's key (time, priority, event number), so they
    are processed in exactly SimPy's order.
    """

    def __init__(self) -> None:
        super().__init__()
        # SimPy binds its event constructors to the instance only for names defined on the class
        # itself, not on a subclass; without this every ``env.process`` would build a bound
        # method anew.
        for name in _BOUND:
            setattr(self, name, getattr(self, name))
        self._bucket = 0  # the current bucket: events in it or before go to ``_queue``
        self._later: dict[int, list] = {}
        self._buckets: list[int] = []  # heap of the keys of ``_later``

    def schedule(self, event: Event, priority: EventPriority = NORMAL,
                 delay: float = 0) -> None:
        """Schedule ``event`` with ``priority`` after ``delay`` (as ``simpy.Environment``)."""
        self._push((self._now + delay, priority, next(self._eid), event))

    def _push(self, entry: tuple) -> None:
        at = entry[0]
        bucket = int(at * _PER_DAY) if at < _FAR else _FAR
        if bucket <= self._bucket:
            heappush(self._queue, entry)
            return
        later = self._later.get(bucket)
        if later is None:
            self._later[bucket] = [entry]
            heappush(self._buckets, bucket)
        else:
            later.append(entry)

    def _next_bucket(self) -> bool:
        """Move to the next bucket with events (the current one is empty); False if none."""
        if not self._buckets:
            return False
        self._bucket = heappop(self._buckets)
        queue = self._queue
        queue.extend(self._later.pop(self._bucket))
        heapify(queue)
        return True

    def timeout(self, delay: float = 0, value: Any = None) -> Timeout:
        """A ``Timeout`` scheduled ``delay`` days from now.

        Same event as ``simpy.Timeout(env, delay, value)``; built here in one call instead of
        three (constructor, ``schedule``, queue), as timeouts are most of a run's events.
        """
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event = Timeout.__new__(Timeout)
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        self._push((self._now + delay, NORMAL, next(self._eid), event))
        return event

    def start(self, generator: ProcessGenerator) -> simpy.Process:
        """A process whose generator runs to its first ``yield`` now, inside this call.

        ``env.process`` queues an urgent ``Initialize`` event for now to do that, processed once
        the calling step is over: an event, a queue push and a pop per process (about 1 µs).
        The two agree whenever the rest of the calling step changes nothing the first step
        reads (as when ``model.simulation`` starts clients), except that the first step's events
        are now numbered before those the rest of the calling step queues, which only events
        due at the very same time could tell."""
        process = simpy.Process.__new__(simpy.Process)
        process.env = self
        process.callbacks = []
        process._generator = generator
        active = self._active_proc
        process._resume(_STARTED)
        self._active_proc = active
        return process

    def peek(self) -> float:
        """The time of the next scheduled event (infinity if none)."""
        if self._queue:
            return self._queue[0][0]
        if self._buckets:
            return min(self._later[self._buckets[0]])[0]
        return Infinity

    def pending(self) -> int:
        """How many events are scheduled and not yet processed."""
        return len(self._queue) + sum(len(later) for later in self._later.values())

    def step(self) -> None:
        """Process the next event (as ``simpy.Environment.step``, without its StopSimulation
        handling, which ``run`` here does not use). A processed event's callbacks are None, as in
        SimPy (whose hints say a list)."""
        if not self._queue and not self._next_bucket():
            raise EmptySchedule
        self._now, _, _, event = heappop(self._queue)
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # SimPy hints a list
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            raise _unhandled(event)

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
            if not queue:
                self._next_bucket()  # there is one: the stop event's at least
            self._now, _, _, event = heappop(queue)
            if event is stop:
                return
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # SimPy hints a list
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                raise _unhandled(event)

    def discard(self) -> None:
        """Drop every pending event once the run is over, so that reference counting frees them.

        A waiting process and the event it waits on refer to each other, so without this each
        pending event, its process and the process's generator are left for the cyclic garbage
        collector to find (thousands of objects per run); with the events' callbacks cut they
        are freed at once. The bound event constructors (which refer to the environment) go too,
        so that the environment itself is not left in a cycle.
        """
        for *_, event in self._queue:
            event.callbacks = None  # type: ignore[assignment]  # SimPy hints a list
        for later in self._later.values():
            for *_, event in later:
                event.callbacks = None
        self._queue.clear()
        self._later.clear()
        self._buckets.clear()
        for name in _BOUND:
            delattr(self, name)


_STARTED = Event.__new__(Event)
"""The event a process started at once (:meth:`Environment.start`) resumes from: done, no value."""
_STARTED._ok = True
_STARTED._value = None


def _unhandled(event: Event) -> BaseException:
    """The exception to raise for a failed event nobody handled (a crashed process), as SimPy
    raises it: a copy of the event's exception, caused by the original."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    return exc
