"""Random streams: every stream derives from the run seed through a fixed spawn key.

A client's stream is keyed by (replication, region, client index), never by arm, scenario or
worker, so both arms and any two scenarios compared see the same client with the same luck
(common random numbers), and results do not depend on how replications are spread over workers.
"""

from __future__ import annotations

import math

import numpy as np

CLIENTS, REFERRALS, COACHES, EMPLOYERS, EXTENSION = range(5)


def stream(seed: int, *key: int) -> np.random.Generator:
    """A generator for the stream at ``key`` under ``seed`` (a SeedSequence spawn key)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class Luck:
    """One client's pre-drawn uniforms, one row per purpose, shared by both arms.

    Each arm reads through its own cursor (:meth:`cursor`), so the k-th job offer of a client uses
    the same uniform in the IPS arm and in usual services. A row that runs out is extended from a
    deterministic sub-stream, so an unusually long history never changes earlier draws.
    """

    PURPOSES = ("baseline", "search", "job", "clock")
    BLOCK = 24

    __slots__ = ("key", "rows", "seed")

    def __init__(self, seed: int, key: tuple[int, ...]):
        self.seed = seed
        self.key = key
        self.rows = stream(seed, *key).random((len(self.PURPOSES), self.BLOCK)).tolist()

    def extend(self, purpose: int) -> None:
        row = self.rows[purpose]
        block = len(row) // self.BLOCK
        extra = stream(self.seed, EXTENSION, *self.key, purpose, block).random(self.BLOCK)
        row.extend(extra.tolist())

    def cursor(self) -> LuckCursor:
        return LuckCursor(self)


class LuckCursor:
    """Reads a client's uniforms in order, per purpose."""

    __slots__ = ("luck", "pos")

    def __init__(self, luck: Luck):
        self.luck = luck
        self.pos = [0] * len(Luck.PURPOSES)

    def uniform(self, purpose: int) -> float:
        i = self.pos[purpose]
        row = self.luck.rows[purpose]
        if i == len(row):
            self.luck.extend(purpose)
        self.pos[purpose] = i + 1
        return row[i]

    def exponential(self, purpose: int) -> float:
        """A standard exponential draw (mean 1) by inversion."""
        return -math.log1p(-self.uniform(purpose))


BASELINE, SEARCH, JOB, CLOCK = range(len(Luck.PURPOSES))
