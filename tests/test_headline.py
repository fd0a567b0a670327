"""The headline rows of ``summary.csv`` add up: the money a planner reads in the headline is the
net effect for the public purse, and the absolute counts agree with the shares they come from."""

from __future__ import annotations

import ipssim
from conftest import small_scenario


def test_money_adds_up_to_the_net_public_effect():
    """benefits saved + taxes gained - wage subsidy paid - programme cost = net public (all
    discounted, IPS minus usual services), in every replication's mean within rounding."""
    result = ipssim.run(small_scenario(), replications=3, seed=11)
    value = result.value
    parts = (value("benefits_saved_eur_pv") + value("taxes_gained_eur_pv")
             - value("wage_subsidy_eur_pv") - value("programme_cost_eur_pv"))
    assert abs(parts - value("net_public_eur_pv")) < 1e-6 * max(1.0, abs(parts))
    assert value("wage_subsidy_eur_pv") != 0 or value("wage_subsidy_eur") == 0


def test_absolute_counts_match_the_shares():
    """In each replication the absolute increments are the shares' difference times the people
    referred (both arms share the clients), and served plus still waiting is at most referred."""
    result = ipssim.run(small_scenario(), replications=3, seed=11)
    for replication in result.replications:
        ips, difference = replication.metrics["ips"], replication.metrics["difference"]
        referred = ips["clients_referred"]
        extra = difference["ever_employed_competitive_share"] * referred
        assert abs(difference["additional_employed_competitive"] - extra) < 1e-9 * referred
        months = difference["months_employed_competitive_per_client"] * referred
        assert abs(difference["additional_months_worked"] - months) < 1e-9 * max(1.0, months)
        assert ips["clients_waiting_at_horizon"] >= 0
        assert ips["clients_started"] + ips["clients_waiting_at_horizon"] <= referred
