"""How much work a request asks for, refused before anything runs when it is beyond reason.

A scenario and a number of replications fix the work: clients simulated (both arms) and vacancies
opened. A request far beyond a national programme (a mistyped rate, ``--replications 2**70``)
would otherwise start, fill the memory and die, or run for days: it is refused at once with what
was asked and the limit.
"""

from __future__ import annotations

from ipssim.scenario.schema import Scenario
from ipssim.validation import InputError

MAX_CLIENTS_PER_REPLICATION = 2_000_000
"""Fifty times the Finnish national roll-out (about 40,000 referrals over four years)."""
MAX_CLIENT_REPLICATIONS = 50_000_000
"""Clients times replications of one request: a thousand replications of the national scenario."""
MAX_VACANCIES_PER_REPLICATION = 20_000_000


def expected_clients(scenario: Scenario) -> float:
    """Clients referred in one replication, on average (the cohort in trial mode)."""
    if scenario.mode == "trial":
        return float(sum(region.cohort_size for region in scenario.regions))
    total = 0.0
    for region in scenario.regions:
        first, last = scenario.intake_months(region)
        total += region.referrals_per_month * (min(last, scenario.horizon_months) - first)
    return total


def expected_vacancies(scenario: Scenario) -> float:
    """Vacancies opened in one replication, on average, over every region."""
    employers = sum(region.employers for region in scenario.regions)
    return employers * scenario.employers.vacancies_per_employer_per_month * scenario.horizon_months


def check_replication(scenario: Scenario) -> float:
    """Refuse a scenario whose one replication is beyond the limits above; its clients a
    replication, on average, otherwise."""
    clients = expected_clients(scenario)
    if clients > MAX_CLIENTS_PER_REPLICATION:
        raise InputError(f"{scenario.name}: about {clients:,.0f} clients a replication; the limit is "
                         f"{MAX_CLIENTS_PER_REPLICATION:,} (check referrals_per_month and "
                         "cohort_size)")
    vacancies = expected_vacancies(scenario)
    if vacancies > MAX_VACANCIES_PER_REPLICATION:
        raise InputError(f"{scenario.name}: about {vacancies:,.0f} vacancies a replication; the "
                         f"limit is {MAX_VACANCIES_PER_REPLICATION:,} (check employers and "
                         "vacancies_per_employer_per_month)")
    return clients


def check_workload(scenario: Scenario, replications: int) -> None:
    """Refuse a request whose work is beyond the limits above (one line naming the numbers)."""
    clients = check_replication(scenario)
    if clients * replications > MAX_CLIENT_REPLICATIONS:
        raise InputError(f"--replications {replications} x about {clients:,.0f} clients = "
                         f"{clients * replications:,.0f} client-replications; the limit is "
                         f"{MAX_CLIENT_REPLICATIONS:,} (run fewer replications)")


def check_points(clients: float, replications: int, point: int, points: int) -> None:
    """Refuse a sweep whose points up to ``point`` (0-based, of ``points``) already simulate
    more than :data:`MAX_CLIENT_REPLICATIONS` clients, ``clients`` being their sum of clients a
    replication: the same budget as one run, over the whole sweep."""
    if clients * replications > MAX_CLIENT_REPLICATIONS:
        first = "point 0" if point == 0 else f"points 0 to {point}"
        raise InputError(f"replications: {replications:,} replications of {first} (of "
                         f"{points:,}) alone simulate about {clients * replications:,.0f} clients; "
                         f"the limit is {MAX_CLIENT_REPLICATIONS:,} client-replications a sweep "
                         "(run fewer replications or points)")
