"""Prices of health and social care and of the comparator's services, and who pays them.

The model records what care each client used (hospital stays, days in each state,
:mod:`ipssim.model.care`); these pure functions price it and book it: psychiatric and social
care to the wellbeing services county, which since 2023 both runs IPS and pays for that care
(OUT-U1, OUT-U2), and each usual service (vocational rehabilitation, employment services, day
activities) to whoever pays it. Amounts are euros of ``Economics.price_year``.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from ipssim.validation import Real, Share, Strict
from ipssim.vocabulary import Payer

UnitEur = Annotated[Real, Field(ge=0, le=100_000)]
"""Euros for one day or one visit: at most 100,000."""
MonthlyServiceEur = Annotated[Real, Field(ge=0, le=100_000)]
"""Euros per client-month of a service: at most 100,000."""


class CarePrices(Strict):
    """Unit costs of psychiatric and social care (Finland, national averages of the wellbeing
    services counties), all paid by the county less the client's fee."""

    inpatient_day_eur: UnitEur = 650.0
    """ASSUMPTION: a psychiatric inpatient day in specialised care. OUT-U1 says the national
    unit-cost series of the wellbeing services counties (2023, 2024) has it, but the figure is
    not in the evidence sheets and could not be looked up offline: the lookup is still owed.
    650 EUR stands for the THL unit-cost reports' order of magnitude (about 500 EUR a day in
    2011 prices, indexed to 2024); swept over 450-900."""
    inpatient_fee_eur_per_day: UnitEur = 22.80
    """OUT-U2 (2023): the client fee for short-term psychiatric inpatient care in most counties
    (Helsinki 18.10, HUS none): paid by the client to the county, so the county bears the rest."""
    outpatient_visit_eur: UnitEur = 300.0
    """ASSUMPTION: a specialist psychiatric outpatient visit (doctor, nurse, psychologist mixed).
    Same series as above (OUT-U1), lookup still owed; above OUT-U1's primary-care doctor visit
    (125 EUR) and nurse visit (51 EUR) because specialist visits are longer and team-based;
    swept over 150-450."""
    supported_housing_day_eur: UnitEur = 154.0
    """OUT-U1 (2024): 24-hour service housing for mental-health rehabilitees, a day."""


class UsualService(Strict):
    """A service of the comparator: its cost per client-month of use, who pays it, and the
    share of it that IPS replaces while the client has a coach."""

    eur_per_month: MonthlyServiceEur
    """Average cost per client-month not in work and not in hospital (the use rate times the
    price: not every client uses the service every month)."""
    payers: dict[Payer, Share]
    """Who pays, as shares summing to 1."""
    replaced_in_ips: Share
    """Share of the service that IPS replaces in months with a coach (0: none, 1: all)."""

    @model_validator(mode="after")
    def _shares(self) -> UsualService:
        total = sum(self.payers.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"payers: shares must sum to 1 (got {total:.3f})")
        return self


class UsualServices(Strict):
    """The comparator's services (usual services: EMP-01's and OUT-H1's "vocational services"),
    which are not free; each costs money in the months a client is out of work and out of
    hospital, less the share IPS replaces while the client has a coach."""

    vocational_rehabilitation: UsualService = UsualService(
        eur_per_month=100.0, payers={"kela": 0.8, "pension_providers": 0.2}, replaced_in_ips=0.8)
    """ASSUMPTION: a third of the comparator's clients in vocational rehabilitation in a month
    (work try-outs, vocational courses) at about IPS's own cost per client-month of service
    (EMP-11, CST-05: costs similar to other vocational services; about 300 EUR a client-month
    for a coach with 16 clients here): 100 EUR a client-month, swept over 30-200. Kela funds it
    for those without earnings-related cover (most of these clients, with short work
    histories), the pension providers for the others: 80/20. IPS replaces most of it, 0.8
    (COA-13: a fifth of IPS clients were still referred on, vocational rehabilitation among
    other services), swept over 0.5-1."""
    employment_services: UsualService = UsualService(
        eur_per_month=60.0, payers={"state": 1.0}, replaced_in_ips=0.5)
    """ASSUMPTION: public employment services for a registered job seeker (interviews, plans,
    short courses), 60 EUR a client-month, swept over 20-150; paid by the state (the TE offices
    in 2024, the price year; the municipalities from 2025). IPS replaces half, swept over
    0.2-0.8: the coach does the search, the benefit conditions still need the office (STF-06)."""
    day_activities: UsualService = UsualService(
        eur_per_month=80.0, payers={"wellbeing_county": 1.0}, replaced_in_ips=0.3)
    """ASSUMPTION: day activities, clubhouses and rehabilitative work activity of the county's
    social services, 80 EUR a client-month (about a third of clients, a few days a month),
    swept over 20-200; IPS replaces a third of it (time on job search instead), swept over
    0-0.6."""

    def each(self) -> dict[str, UsualService]:
        """The services by name (:data:`USUAL_SERVICES`)."""
        return {name: getattr(self, name) for name in USUAL_SERVICES}


USUAL_SERVICES = ("vocational_rehabilitation", "employment_services", "day_activities")
"""The comparator's services, in the order of the trajectories' columns."""


CARE_COSTS = ("inpatient_cost", "outpatient_cost", "supported_housing_cost")
"""The county's care costs of a month, by kind."""


def care_costs(inpatient_days: np.ndarray, outpatient_visits: np.ndarray,
               housing_days: np.ndarray, prices: CarePrices) -> dict[str, np.ndarray]:
    """Gross cost of each kind of care (:data:`CARE_COSTS`) and the clients' inpatient fees
    (``care_fees``), from days in hospital, outpatient visits and days in supported housing."""
    return {
        "inpatient_cost": np.asarray(inpatient_days) * prices.inpatient_day_eur,
        "outpatient_cost": np.asarray(outpatient_visits) * prices.outpatient_visit_eur,
        "supported_housing_cost": np.asarray(housing_days) * prices.supported_housing_day_eur,
        "care_fees": np.asarray(inpatient_days) * prices.inpatient_fee_eur_per_day,
    }


def usual_service_costs(free_months: np.ndarray, coached_months: np.ndarray,
                        services: UsualServices) -> dict[str, np.ndarray]:
    """Cost of each usual service: its monthly cost over the months not in work and not in
    hospital (``free_months``), less the share IPS replaces over those of them with a coach
    (``coached_months``, a part of ``free_months``)."""
    free, coached = np.asarray(free_months), np.asarray(coached_months)
    return {name: s.eur_per_month * (free - s.replaced_in_ips * coached)
            for name, s in services.each().items()}


def care_payer_flows(costs: dict[str, np.ndarray], service_costs: dict[str, np.ndarray],
                     services: UsualServices) -> dict[str, np.ndarray]:
    """Net money of each payer from care and the usual services (negative: a cost). The county
    pays the care and receives the clients' inpatient fees; each service is paid by its payers in
    their shares. Care and services are resources used up, so society loses their full cost."""
    net: dict[str, np.ndarray] = {}

    def pay(payer: str, amount: np.ndarray) -> None:
        net[payer] = net[payer] - amount if payer in net else -amount

    for kind in CARE_COSTS:
        pay("wellbeing_county", costs[kind])
    pay("wellbeing_county", -costs["care_fees"])
    pay("client", costs["care_fees"])
    for name, s in services.each().items():
        for payer, share in s.payers.items():
            pay(payer, service_costs[name] * share)
    return net
