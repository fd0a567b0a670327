"""Job types over time: the work-trial share follows its trend, within its bound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import small_scenario
from ipssim.clients import BaselineSampler
from ipssim.jobs import draw_job_type
from ipssim.streams import region_luck, region_uniforms


def _other_share(trend: float, years: float, n: int = 4000) -> float:
    scenario = small_scenario(jobs={"other_share": 0.2, "subsidised_share": 0.3,
                                    "other_share_trend_per_year": trend})
    uniforms = region_uniforms(1, 0, 0, n)
    baselines = BaselineSampler(scenario.clients, scenario.employability).draw(uniforms[:, 0])
    lucks = region_luck(1, 0, 0, uniforms)
    allowed = [b for b in baselines if b.work_trials_allowed]
    types = [draw_job_type(b, luck.cursor(), scenario.jobs, years)
             for b, luck in zip(baselines, lucks, strict=True) if b.work_trials_allowed]
    assert len(allowed) > n / 3
    return float(np.mean([t == "other" for t in types]))


def test_work_trial_share_follows_its_trend():
    # SE of a share near 0.2-0.5 over > 1,300 offers is under 0.014; tolerances are 3 SE.
    assert _other_share(0.0, 2.0) == pytest.approx(0.2, abs=0.04)
    assert _other_share(0.5, 1.0) == pytest.approx(0.2 * math.exp(0.5), abs=0.04)
    # capped at 1 - subsidised_share
    assert _other_share(3.0, 2.0) == pytest.approx(0.7, abs=0.04)
