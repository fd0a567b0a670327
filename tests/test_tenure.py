"""Tenure of jobs: the sampler recovers its distribution for each type, the paid-job exit hazard
falls, and follow-along support changes retention only through its explicit assumption."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from ipssim.model.jobs import fragile_share, tenure_days, tenure_quantile
from ipssim.scenario.schema import Jobs

JOBS = Jobs(paid_fragile_share=0.45, tenure_days_fragile=12.0, tenure_scale_days_fixed_term=400.0,
            tenure_permanent_ratio=3.0, tenure_scale_days_other=50.0, tenure_shape_other=1.7,
            follow_along_fragile_multiplier=0.7)
N = 40_000
P = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


@pytest.mark.parametrize("job_type,permanent,supported", [
    ("competitive", False, False), ("subsidised", True, False), ("competitive", False, True),
    ("other", False, False)])
def test_the_sampler_recovers_its_quantiles(job_type, permanent, supported):
    rng = np.random.default_rng(7)
    u, e = rng.random(N), rng.exponential(size=N)
    draws = np.array([tenure_days(JOBS, job_type, permanent, supported, a, b)
                      for a, b in zip(u.tolist(), e.tolist(), strict=True)])
    for p in P:
        q = tenure_quantile(JOBS, job_type, permanent, supported, p)
        # the share of draws below the true quantile is binomial(N, p): within 4 SE
        assert abs(np.mean(draws < q) - p) <= 4 * math.sqrt(p * (1 - p) / N), (job_type, p)


def test_the_paid_exit_hazard_falls_and_the_trial_hazard_rises():
    def hazard(job_type: str, t: float, dt: float = 1.0) -> float:
        # from the quantile function: S(t) by bisection over p
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if tenure_quantile(JOBS, job_type, False, False, mid) < t \
                else (lo, mid)
        s0 = 1 - lo
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if tenure_quantile(JOBS, job_type, False, False, mid) < t + dt \
                else (lo, mid)
        return (s0 - (1 - lo)) / (s0 * dt)

    paid = [hazard("competitive", t) for t in (1, 30, 90, 180, 360)]
    assert all(a > b for a, b in pairwise(paid))
    trial = [hazard("other", t) for t in (5, 30, 60)]
    assert all(a < b for a, b in pairwise(trial))


def test_follow_along_support_acts_only_through_its_multiplier():
    assert fragile_share(JOBS, supported=True) == pytest.approx(0.45 * 0.7)
    assert fragile_share(JOBS, supported=False) == pytest.approx(0.45)
    assert fragile_share(Jobs(), supported=True) == fragile_share(Jobs(), supported=False)
    # permanent stable jobs last the assumed ratio longer than fixed-term ones
    assert tenure_days(JOBS, "competitive", True, False, 0.99, 1.0) == pytest.approx(1200.0)
    assert tenure_days(JOBS, "competitive", False, False, 0.99, 1.0) == pytest.approx(400.0)
    assert tenure_days(JOBS, "competitive", False, False, 0.01, 1.0) == pytest.approx(12.0)
