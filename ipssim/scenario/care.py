"""Parameters of health and social care use: psychiatric admissions and stays, outpatient
contacts and supported housing, by the client's state (``scenario.care``).

States: working; searching with a coach (in IPS, not working); without a coach and not working
(usual services, the waiting list, after IPS). The prices are money parameters
(``economics.care``); the process that uses these is :mod:`ipssim.model.care`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ipssim.validation import Real, Share, Strict


class OutpatientVisits(Strict):
    """ASSUMPTION: specialist mental-health outpatient contacts a month, by state; none in
    hospital. IPS is an addition to care, not a substitute (integrated, STF-06), so with a coach
    as without; fewer when working (daytime contacts make way for work). Each swept over 0.5-3."""

    working: Annotated[Real, Field(ge=0, le=100)] = 1.0
    coached: Annotated[Real, Field(ge=0, le=100)] = 1.5
    without_coach: Annotated[Real, Field(ge=0, le=100)] = 1.5


class Care(Strict):
    """Psychiatric inpatient episodes, outpatient contacts and supported housing.

    Admissions: a hazard per month for a client not in work and without a coach
    (``admission_rate_per_month``), multiplied by ``relative_rate ** effect_from_work`` in work
    and by ``relative_rate ** (1 - effect_from_work)`` with a coach (both when a working client
    has follow-along support), so the whole reduction, ``relative_rate``, applies to a client
    who has both. Where the reduction comes from, ``effect_from_work`` (0: IPS support alone,
    1: work alone), is an ASSUMPTION with 0.5 as default: EQOLISE (OUT-H1) cut the share
    readmitted within 18 months from 31% to 20% while only about half the IPS arm ever worked in
    that time and far fewer at any one time (OUT-C3), so work months alone can hardly give so
    large a cut and support must carry part of it; Bern (OUT-H2) saw fewer admissions and
    hospital days over 5 years, most of them after coaching had ended, when only work
    differed between the arms, so work must carry part of it too. Swept over 0-1.

    A stay: the client is in hospital for a lognormal number of days; meanwhile no offer is
    taken (job search and coaching pause; the coach keeps the place and the coaching-end clocks
    run on), and a current job ends on the day of admission with ``job_loss_share``.
    """

    admission_rate_per_month: Annotated[Real, Field(ge=0, le=1)] = 0.022
    """Admissions a month of a client not in work and without a coach. From OUT-H1's vocational
    services arm: 31% readmitted within 18 months gives -ln(0.69) / 18 = 0.021 a month, and those
    clients spent about a tenth of the time in work, at a lower rate: 0.022. The usual arm's
    figure is therefore set, not validated. Swept over 0.012-0.035. 0 switches care use off
    (no stays: employment is exactly as without care use)."""
    relative_rate: Annotated[Real, Field(gt=0, le=1)] = 0.6
    """Admission hazard with both work and IPS support over that with neither: OUT-H1's hazard
    ratio, ln(0.80) / ln(0.69) = 0.60, read as the effect of the full support (an intention-to-
    treat ratio, so the simulated arms, where support and work cover only part of the time,
    test whether the mechanism reproduces OUT-H1). Swept over 0.4-1."""
    effect_from_work: Share = 0.5
    """Share of the reduction that comes from work rather than from IPS support (see the class
    docstring; ASSUMPTION, swept over 0-1)."""
    stay_days_mean: Annotated[Real, Field(ge=1, le=3650)] = 28.0
    """ASSUMPTION: mean length of a psychiatric inpatient stay (lognormal). Finnish registers
    (THL's psychiatric specialised care statistics) are the source to look up; not in the
    evidence sheets. Swept over 14-45."""
    stay_days_sd: Annotated[Real, Field(ge=0, le=3650)] = 35.0
    """ASSUMPTION: SD of the stay (many short stays, a few long ones)."""
    job_loss_share: Share = 0.3
    """ASSUMPTION: probability that a stay ends the client's current job on the day of
    admission (no figure in the evidence; fragile jobs, JOB-08, and disclosure worries, BAR-10,
    argue for a fair share). Swept over 0-0.6."""
    affects_work: bool = True
    """Whether stays act on work: no offer taken in hospital, a job may end. False keeps the
    stays and their costs but leaves every job and search exactly as without care use (the
    effect of care on employment switched off)."""
    outpatient_visits_per_month: OutpatientVisits = OutpatientVisits()
    """Outpatient contacts a month in each state (:class:`OutpatientVisits`)."""
    supported_housing_share: Share = 0.044
    """BAS-05: 4.4% of the Finnish clients lived in a supported housing unit or rehabilitation
    home at referral; priced as 24-hour service housing (OUT-U1). ASSUMPTION: they stay there
    over the horizon in either arm (no evidence that IPS moves people out within years)."""
