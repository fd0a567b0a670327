"""The API at the door: whatever wrong value an argument is given, the answer is an InputError
naming the argument in one line, before any work starts, never a TypeError, a ValueError or an
IndexError from deep inside; and right values still run (property tests, on the small
scenario)."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ipssim
from conftest import SMALL
from ipssim.api.arguments import SCHEDULER
from ipssim.validation import MAX_MESSAGE

SCENARIO = ipssim.load_scenario(SMALL)
OTHER = ipssim.with_changes(SCENARIO, {}, name="other")
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

anything = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.binary(max_size=6),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(),
                                                         max_size=2),
    st.just(object()), st.just(SCENARIO), st.just(np.int64(3)), st.just(np.float64(2.0)))


def whole(low: int, high: int | None = None):
    """Values that are not whole numbers from ``low`` (to ``high``)."""
    def valid(v) -> bool:
        return isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= low \
            and (high is None or v <= high)
    return anything.filter(lambda v: not valid(v))


def real(valid):
    """Values that are not real numbers for which ``valid`` holds."""
    return anything.filter(lambda v: isinstance(v, bool) or not isinstance(v, numbers.Real)
                           or not valid(v))


BAD_RUN = {
    "scenario": anything.filter(lambda v: not isinstance(v, ipssim.Scenario)),
    "replications": whole(1),
    "seed": whole(0, 2**63 - 1),
    "workers": whole(1),
    "scheduler": anything.filter(lambda v: v is not None and not (
        isinstance(v, str) and SCHEDULER.fullmatch(v))),
    "progress": anything.filter(lambda v: v is not None and not callable(v)),
    "stream": anything.filter(lambda v: not isinstance(v, bool)),
    "tables": anything.filter(lambda v: v not in ("all", "summary")),
    "out": st.one_of(st.just(""), st.just("a\0b"), st.integers(), st.floats(), st.lists(
        st.integers(), max_size=2)),
    "plotlyjs": anything.filter(lambda v: v not in ("folder", "cdn")),
}


def refused(call, *args, **kwargs) -> str:
    """The one line an InputError says for ``call(*args, **kwargs)``."""
    with pytest.raises(ipssim.InputError) as refusal:
        call(*args, **kwargs)
    message = str(refusal.value)
    assert "\n" not in message and 0 < len(message) <= MAX_MESSAGE, message
    return message


@QUICK
@given(st.data())
def test_run_refuses_any_wrong_argument_by_name(data):
    name = data.draw(st.sampled_from(sorted(BAD_RUN)))
    value = data.draw(BAD_RUN[name], label=name)
    arguments = {"scenario": SCENARIO, "replications": 1, "workers": 1} | {name: value}
    assert refused(ipssim.run, **arguments).startswith(f"{name}:")


@QUICK
@given(st.data())
def test_compare_refuses_any_wrong_argument_by_name(data):
    bad = {
        "scenarios": st.one_of(
            anything.filter(lambda v: not isinstance(v, list | tuple) or v == []),
            st.lists(anything.filter(lambda v: not isinstance(v, ipssim.Scenario)), min_size=1,
                     max_size=3).map(lambda items: [SCENARIO, *items]),
            st.just(iter([])), st.just(x for x in [SCENARIO, 3])),
        "replications": whole(2),
        "seed": BAD_RUN["seed"], "workers": BAD_RUN["workers"],
        "independent": anything.filter(lambda v: not isinstance(v, bool)),
        "tables": BAD_RUN["tables"],
    }
    name = data.draw(st.sampled_from(sorted(bad)))
    value = data.draw(bad[name], label=name)
    arguments = {"scenarios": [SCENARIO, OTHER], "replications": 2, "workers": 1} | {name: value}
    message = refused(ipssim.compare, **arguments)
    assert message.startswith((name, "scenarios")), message


def test_compare_refuses_a_scenario_twice_and_takes_a_generator():
    assert "names must differ" in refused(ipssim.compare, [SCENARIO, SCENARIO], replications=2)
    compared = ipssim.compare((s for s in (SCENARIO, OTHER)), replications=2, workers=1)
    assert [s.name for s in compared.scenarios] == ["small", "other"]


@QUICK
@given(st.data())
def test_size_refuses_any_wrong_argument_by_name(data):
    bad = {
        "region": anything.filter(lambda v: v != "A"),
        "max_wait_days": real(lambda v: v >= 0 and math.isfinite(v)),
        "quantile": real(lambda v: 0 < v < 1),
        "replications": whole(2), "seed": BAD_RUN["seed"], "workers": BAD_RUN["workers"],
        "max_coaches": whole(1, 10_000),
    }
    name = data.draw(st.sampled_from(sorted(bad)))
    value = data.draw(bad[name], label=name)
    arguments = {"scenario": SCENARIO, "region": "A", "max_wait_days": 30.0, "replications": 2,
                 "workers": 1} | {name: value}
    message = refused(ipssim.size, **arguments)
    assert message.startswith(name), message
    if name == "region":
        assert message.endswith("allowed: A")


paths = st.one_of(
    st.text(max_size=30), st.from_regex(r"[a-z_]{1,12}(\[[^\]]{0,6}\])?(\.[a-z_]{1,12}){0,3}",
                                        fullmatch=True),
    st.sampled_from(["regions[0]", "regions[A]", "regions[*]", "regions[9].coaches", "coaching",
                     "regions[A].coaches", "coaching.caseload_cap", "horizon_months", "name",
                     "employability.work_history_multiplier.nonsense"]))
values = st.recursive(anything, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


@QUICK
@given(st.one_of(anything.filter(lambda v: not isinstance(v, dict)),
                 st.dictionaries(st.one_of(paths, st.integers()), values, max_size=3)),
       st.one_of(st.none(), anything))
def test_with_changes_gives_a_scenario_or_one_line(changes, name):
    try:
        changed = ipssim.with_changes(SCENARIO, changes, name=name)
    except ipssim.InputError as refusal:
        assert "\n" not in str(refusal) and len(str(refusal)) <= MAX_MESSAGE
    else:
        assert isinstance(changed, ipssim.Scenario)


def test_with_changes_refuses_an_entry_or_a_section_as_a_path():
    assert refused(ipssim.with_changes, SCENARIO, {"regions[0]": {"coaches": 3}}) == (
        "changes: 'regions[0]' names an entry, not a field; give each field its own path, like "
        "regions[0].coaches")
    assert "coaching.<field>" in refused(ipssim.with_changes, SCENARIO,
                                         {"coaching": {"caseload_cap": 3}})
    assert len(refused(ipssim.with_changes, SCENARIO, {"[" * 200_000: 1})) <= MAX_MESSAGE


region_fields = st.sampled_from(["name", "coaches", "team_leaders", "referrals_per_month",
                                 "employers", "budget_eur_per_year", "eligible_people",
                                 "uptake_per_year", "fidelity", "staffing", "operating_months"])
top_fields = st.sampled_from(["name", "mode", "horizon_months", "regions", "coaching",
                              "region_defaults", "regions_table", "calibration", "economics",
                              "outcome_window_months", "employers"])


@QUICK
@given(st.one_of(
    anything.filter(lambda v: not isinstance(v, dict)),
    st.tuples(top_fields, values).map(lambda kv: {**SMALL, kv[0]: kv[1]}),
    st.tuples(region_fields, values).map(
        lambda kv: {**SMALL, "regions": [{**SMALL["regions"][0], kv[0]: kv[1]}]})),
    st.one_of(st.none(), anything))
def test_load_scenario_gives_a_scenario_or_one_line(source, text):
    try:
        loaded = ipssim.load_scenario(source, text=text)
    except ipssim.InputError as refusal:
        assert "\n" not in str(refusal) and len(str(refusal)) <= MAX_MESSAGE
    else:
        assert isinstance(loaded, ipssim.Scenario)


@pytest.mark.parametrize("source, words", [
    (None, "source: must be a scenario file's path or a mapping of its fields (got None)"),
    (3, "source: must be a scenario file's path or a mapping of its fields (got 3)"),
    ("", "source: must be a file path, not empty"),
    ("nowhere.yaml", "scenario file not found: nowhere.yaml"),
])
def test_load_scenario_refuses_what_is_not_a_scenario(source, words):
    assert refused(ipssim.load_scenario, source).startswith(words)


def test_right_values_still_run_numpy_integers_too():
    result = ipssim.run(SCENARIO, replications=np.int64(1), seed=np.uint32(4), workers=1)
    assert len(result.replications) == 1 and not result.summary.empty
    sized = ipssim.size(SCENARIO, "A", 1000.0, quantile=0.5, replications=2, workers=1,
                        max_coaches=2)
    assert sized.recommended is not None and sized.recommended.coaches <= 2


def test_more_workers_than_cores_are_capped_with_a_warning():
    with pytest.warns(UserWarning, match=r"workers 10000 is more than the \d+ cores here; using"):
        result = ipssim.run(SCENARIO, replications=1, workers=10_000)
    assert result.manifest.fields["workers"] == ipssim.api.arguments.available_cores()
