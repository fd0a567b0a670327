"""Random streams: every stream derives from the run seed through a fixed spawn key.

A client's uniforms are keyed by (replication, region, client index), never by arm, scenario or
worker, so both arms and any two scenarios compared see the same client with the same luck
(common random numbers), and results do not depend on how replications are spread over workers.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import islice
from math import log1p

import numpy as np

CLIENTS, REFERRALS, COACHES, EMPLOYERS, EXTENSION = range(5)
EARNINGS_LIMIT = 5
"""One uniform per client for BAR-03 (keeping earnings under a pension's limit), from its own
stream so that adding it left every other draw unchanged."""
MATCHING = 6
"""Per (replication, region, arm): the uniforms of a coach's job pick after its first proposal
(the client's own uniform) is rejected (``employers.EmployerMarket._steer``)."""
CARE = 7
"""Per (replication, region): each client's care uniforms (hospital stays, ``model.care``) and
whether the client lives in supported housing, from a stream of their own so that care use
leaves every other draw unchanged."""


def stream(seed: int, *key: int) -> np.random.Generator:
    """A generator for the stream at ``key`` under ``seed`` (a SeedSequence spawn key)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def compact(values: np.ndarray) -> array:
    """A numpy vector as an ``array.array`` of floats ("d") or integers ("q").

    The garbage collector never visits its items, which matters for the long tables a simulation
    keeps; reading an item builds a float object, though, so tables read item by item in hot
    loops are better kept as lists.
    """
    if values.dtype.kind == "f":
        return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return array("q", np.ascontiguousarray(values, dtype=np.int64).tobytes())


class Luck:
    """One client's pre-drawn uniforms, one row per purpose, shared by both arms.

    Each arm reads through its own cursor (:meth:`cursor`), so the k-th job offer of a client uses
    the same uniform in the IPS arm and in usual services. A row that runs out is extended from a
    deterministic sub-stream, so an unusually long history never changes earlier draws.

    Rows are arrays of floats rather than lists (see :func:`compact`).
    """

    PURPOSES = ("baseline", "search", "job", "clock")
    BLOCK = 24
    WIDTH = len(PURPOSES) * BLOCK

    __slots__ = ("key", "rows", "seed")

    def __init__(self, seed: int, key: tuple[int, ...], uniforms: array):
        """``uniforms``: the first block of every purpose, one after the other."""
        self.seed = seed
        self.key = key
        self.rows = [uniforms[start:start + self.BLOCK] for start in range(0, self.WIDTH, self.BLOCK)]

    def extend(self, purpose: int) -> None:
        row = self.rows[purpose]
        block = len(row) // self.BLOCK
        extra = stream(self.seed, EXTENSION, *self.key, purpose, block).random(self.BLOCK)
        row.frombytes(extra.tobytes())

    def cursor(self) -> LuckCursor:
        return LuckCursor(self)


def region_uniforms(seed: int, replication: int, region: int, n: int) -> np.ndarray:
    """The first block of every purpose for a region's clients 0..n-1: (client, purpose, block).

    They come from one generator per region; client k's are the k-th slice of its stream, so they
    depend on (seed, replication, region, k) only, not on how many clients the region has.
    """
    return stream(seed, CLIENTS, replication, region).random((n, len(Luck.PURPOSES), Luck.BLOCK))


def region_luck(seed: int, replication: int, region: int, uniforms: np.ndarray) -> list[Luck]:
    """Each client's luck from the region's uniforms (see :func:`region_uniforms`)."""
    values, width = compact(uniforms.ravel()), Luck.WIDTH
    return [Luck(seed, (CLIENTS, replication, region, k), values[k * width:(k + 1) * width])
            for k in range(len(uniforms))]


class LuckCursor:
    """Reads a client's uniforms in order, per purpose.

    Each purpose is read through an iterator over its row: ``next`` runs in C, which makes a draw
    cheaper than keeping positions and indexing. An array iterator sees items appended to its row
    while it runs; only once it has run out is the row extended and read on from there.
    """

    __slots__ = ("draws", "luck")

    def __init__(self, luck: Luck):
        self.luck = luck
        self.draws: list[Iterator[float]] = [iter(row) for row in luck.rows]

    def uniform(self, purpose: int) -> float:
        try:
            return next(self.draws[purpose])
        except StopIteration:
            return self._extended(purpose)

    def exponential(self, purpose: int) -> float:
        """A standard exponential draw (mean 1) by inversion."""
        try:
            u = next(self.draws[purpose])
        except StopIteration:
            u = self._extended(purpose)
        return -log1p(-u)

    def _extended(self, purpose: int) -> float:
        """The next uniform of a row read to its end: extend the row and read on."""
        row = self.luck.rows[purpose]
        used = len(row)
        self.luck.extend(purpose)
        draws = self.draws[purpose] = islice(row, used, None)
        return next(draws)


BASELINE, SEARCH, JOB, CLOCK = range(len(Luck.PURPOSES))
