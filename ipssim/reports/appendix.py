"""The reporting appendix of a run: STRESS-DES and CHEERS 2022, answered from the run itself.

STRESS-DES (Monks et al. 2019, Journal of Simulation 13:55-67) is the checklist for reporting a
discrete-event simulation; CHEERS 2022 (Husereau et al. 2022, BMJ 376:e067975) the one for an
economic evaluation. Each item is answered from what made the run: the validated scenario (its
mode, horizon, regions, parameters and their sources), the manifest (seed, replications, random
streams, code version, parameter uncertainty) and the code's own notes on each parameter (the
fact IDs in ``scenario/schema.py`` and ``money/parameters.py``). An item a run cannot answer (the
study's title, its funding) says so, for the authors to complete.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from collections.abc import Sequence
from functools import cache

from pydantic import BaseModel

from ipssim.experiments.uncertain import SCENARIOS
from ipssim.money import parameters as money_parameters
from ipssim.scenario import schema
from ipssim.scenario.schema import Scenario
from ipssim.stats import RANGE_REPLICATIONS
from ipssim.validation import InputError, read_yaml
from ipssim.vocabulary import PAYERS, PUBLIC_PAYERS

FACT_ID = re.compile(r"\b(?:[A-Z]{2,4}-[A-Z]?\d+[a-z]?)\b")
"""A fact ID of the evidence register (TTJ-01, OUT-H1, OUT-C5)."""
AUTHORS = "_not answered by a run: for the authors to complete_"
STRESS_FILE = "stress_des.md"
CHEERS_FILE = "cheers.md"


@cache
def parameter_notes() -> dict[tuple[str, str], str]:
    """The code's note on each parameter field, by (class name, field): the comment on its line
    and the docstring below it, where the defaults' fact IDs and ASSUMPTIONs are written."""
    notes: dict[tuple[str, str], str] = {}
    for module in (schema, money_parameters):
        source = inspect.getsource(module)
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.ClassDef):
                continue
            body = node.body
            for i, item in enumerate(body):
                if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                    continue
                span = lines[item.lineno - 1:(item.end_lineno or item.lineno)]
                text = " ".join(line.split("#", 1)[1].strip() for line in span if "#" in line)
                following = body[i + 1] if i + 1 < len(body) else None
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) \
                        and isinstance(following.value.value, str):
                    text = f"{text} {following.value.value}".strip()
                notes[(node.name, item.target.id)] = " ".join(text.split())
    return notes


def parameter_sources(scenario: Scenario) -> list[tuple[str, str, str]]:
    """(dotted path, value in this scenario, source) of every parameter outside the regions
    whose code note names a fact ID or an ASSUMPTION, or that the calibration fitted."""
    notes = parameter_notes()
    fitted = {path.rpartition(":")[2] for path in calibrated_parameters(scenario)}
    rows: list[tuple[str, str, str]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for name in type(model).model_fields:
            if prefix == "" and name in ("regions", "published", "uncertainty"):
                continue
            value = getattr(model, name)
            path = f"{prefix}{name}"
            if isinstance(value, BaseModel):
                walk(value, f"{path}.")
                continue
            note = notes.get((type(model).__name__, name), "")
            facts = sorted(set(FACT_ID.findall(note)))
            source = ", ".join(facts)
            if path in fitted:
                source = "; ".join(filter(None, ("fitted by ipssim calibrate", source)))
            elif "ASSUMPTION" in note:
                source = f"{source}; ASSUMPTION" if source else "ASSUMPTION"
            if source:
                rows.append((path, _value(value), source))

    walk(scenario, "")
    return rows


def _value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    if isinstance(value, tuple | list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def calibrated_parameters(scenario: Scenario) -> list[str]:
    """The parameter paths the scenario's calibration file sets (fitted by ``ipssim
    calibrate``), or none (no calibration file, or none beside the bundled scenarios)."""
    if scenario.calibration is None:
        return []
    try:
        document = read_yaml(SCENARIOS / scenario.calibration, "calibration")
    except InputError:
        return []
    values = document.get("values")
    return sorted(str(k) for k in values) if isinstance(values, dict) else []


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _regions(scenario: Scenario) -> str:
    names = [r.name for r in scenario.regions]
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    return f"{len(names)} region{'s' if len(names) != 1 else ''} ({shown})"


def _population(scenario: Scenario) -> str:
    mix = scenario.clients
    activities = ", ".join(f"{k} {v:.0%}" for k, v in mix.main_activity.items())
    intake = ("a cohort recruited and randomised" if scenario.mode == "trial" else
              "referrals arriving over time at each region's rate")
    return (f"People with severe mental illness referred to IPS in {_regions(scenario)}, "
            f"{intake}. Mix at referral: age mean {mix.age.mean:g} (sd {mix.age.sd:g}, "
            f"{mix.age.min:g}-{mix.age.max:g}), {mix.male_share:.0%} men, "
            f"{mix.psychosis_share:.0%} with a psychosis (F20-29); main activity: {activities} "
            "(BAS-02..BAS-10).")


def _uncertainty(manifest: dict) -> str:
    drawn = manifest.get("parameter_uncertainty")
    replications = manifest["replications"]
    if drawn:
        listed = "; ".join(f"{name}: {text}" for name, text in drawn.items())
        what = (f"Probabilistic: {manifest.get('parameters_drawn', len(drawn))} parameters drawn "
                f"once per replication from their distributions ({listed}), the same draw for "
                "every option in a comparison; the draws are in parameters.csv.")
    else:
        what = ("Monte Carlo (stochastic) uncertainty only: the parameters were fixed at the "
                "scenario's values. A rerun with --parameter-uncertainty draws them.")
    rough = (f" With {replications} replications (fewer than {RANGE_REPLICATIONS}) the 95% "
             "ranges are rough." if replications < RANGE_REPLICATIONS else "")
    return (f"{what} Each figure is the mean over {replications} replications with its Monte "
            "Carlo standard error (mc_se) and the 2.5th-97.5th percentiles over replications "
            f"(summary.csv).{rough}")


def stress_des(scenario: Scenario, manifest: dict) -> str:
    """The STRESS-DES checklist of a run, as Markdown."""
    horizon = scenario.horizon_months
    sources = parameter_sources(scenario)
    facts = sorted({f for _, _, s in sources for f in FACT_ID.findall(s)})
    assumed = sum(s.endswith("ASSUMPTION") for _, _, s in sources)
    fitted = calibrated_parameters(scenario)
    closing = sorted({scenario.closing_month(r) or horizon for r in scenario.regions})
    if scenario.mode == "trial":
        warm = ("None: trial mode follows a cohort from its recruitment, as the trials did; "
                "every client starts at referral.")
    else:
        warm = ("None: the programme starts empty at month 0 (new teams, an empty waiting list), "
                "as a newly funded programme does; the start-up months are part of what is "
                "estimated, not a transient to discard.")
    items = [
        ("1.1", "Purpose of the model", f"{scenario.name}: {scenario.description or 'no description given'}. "
         "Compares IPS supported employment with usual services for the same clients."),
        ("1.2", "Model outputs", "Per replication and arm: monthly states (waiting, in IPS, "
         "employed, ever employed), hours, earnings, benefits by type, taxes and contributions, "
         "programme cost, the net money of each payer; per client and per job spell. Summarised "
         "over replications in summary.csv, summary_regions.csv, summary_subgroups.csv and "
         "net_effect.csv (docs/outputs.md)."),
        ("1.3", "Experimentation aims", f"{manifest['replications']} replications of both arms "
         "on the same clients (common random numbers); options are compared with ipssim compare "
         "on the same replications."),
        ("2.1", "Base model overview diagram", "docs/model.md: referral, waiting list, engagement, "
         "job search with a coach, job start, follow-along support, job end, exit; usual services "
         "without a coach."),
        ("2.2", "Base model logic", f"{scenario.mode} mode: "
         + ("a cohort recruited over the trial's window and randomised, coaches sized so that "
            "nobody waits." if scenario.mode == "trial" else
            "referrals arrive at each region's rate, coaches have a hard caseload cap of "
            f"{scenario.coaching.caseload_cap}, people wait for a place, staff turn over.")),
        ("2.3", "Scenario logic", f"IPS against usual services in {_regions(scenario)}; "
         f"fidelity {', '.join(sorted({f'{r.fidelity:g}' for r in scenario.regions}))}; coaches "
         f"{'integrated' if all(r.integrated for r in scenario.regions) else 'not all integrated'} "
         "in mental-health care."),
        ("2.4", "Algorithms", "Job offers as Poisson processes whose rate falls with the coach's "
         "caseload and rises with fidelity and integration; a coach's pick among open vacancies "
         "by rejection sampling in proportion to the chance of hiring; tenure from Weibull and "
         "gamma distributions fitted to JOB-07; benefits by their earnings tests (money/rules.py)."),
        ("2.5.1", "Queues", "One waiting list per region, first come first served, for a place with "
         f"a coach (caseload cap {scenario.coaching.caseload_cap})."
         if scenario.mode == "programme" else "None: trial mode has no waiting list."),
        ("2.5.2", "Entities", "Clients (baseline attributes sampled from the observed mix, a latent "
         "employability), coaches, employers with vacancies."),
        ("2.5.3", "Activities", "Engagement and vocational profile, job search, work, follow-along "
         "support; durations sampled from distributions, not ticked day by day."),
        ("2.5.4", "Resources", f"Coaches: {sum(r.posts for r in scenario.regions)} posts at most; "
         f"team leaders; employers' vacancies ({sum(r.employers for r in scenario.regions):,} "
         "employers)."),
        ("3.1", "Data sources", f"Fact IDs behind this scenario's defaults: {', '.join(facts) or 'none'} "
         "(docs/evidence.md defines each)."
         + (" Published outcomes beside the simulated ones: "
            + ", ".join(sorted({p.source for p in scenario.published})) + "."
            if scenario.published else "")),
        ("3.2", "Pre-processing", "Published figures are compared with simulated ones under the "
         "same definitions and windows (observation models, calibration/); regions from "
         "regions tables and budgets turned into headcounts when the scenario is loaded."),
        ("3.3", "Input parameters", f"{len(sources)} parameters with a stated source (table "
         f"below); {len(fitted)} fitted by ipssim calibrate ({scenario.calibration or 'no calibration file'})"
         + (f": {', '.join(fitted)}." if fitted else ".")),
        ("3.4", "Assumptions", f"{assumed} parameters not fitted are marked ASSUMPTION in the "
         "code, each with its reasoning there (table below)."),
        ("4.1", "Initialisation", warm),
        ("4.2", "Run length", f"{horizon} months (days as the unit of time); outcome window "
         f"{scenario.outcome_window_months} months; programmes close at month"
         f"{'s' if len(closing) > 1 else ''} {', '.join(f'{m:g}' for m in closing)}."),
        ("4.3", "Estimation approach", f"{manifest['replications']} independent replications. "
         + _uncertainty(manifest)),
        ("5.1", "Software", f"ipssim {manifest['ipssim_version']} (code id "
         f"{manifest['ipssim_code_id']}), Python and SimPy."),
        ("5.2", "Random sampling", f"Seed {manifest['seed']}. Every stream derives from the seed "
         "through a fixed spawn key (numpy SeedSequence, PCG64): per client (replication, region, "
         "client index) and shared by both arms and by every option compared; parameter draws "
         "per replication from their own key."),
        ("5.3", "Model execution", f"Event-driven (SimPy), each region on its own clock; "
         f"{manifest.get('workers', 1)} worker process(es); results bit-identical for any number "
         "of workers."),
        ("5.4", "System specification", f"{manifest.get('wall_seconds', math.nan):g} s of wall "
         "time for the run (manifest.json)."),
        ("6.1", "Computer model sharing statement", "Open source (MIT licence, CITATION.cff); "
         f"the scenario's SHA-256 is {manifest['scenario_sha256']}, and its seed and "
         "replications reproduce these outputs."),
    ]
    return "\n\n".join([
        f"# STRESS-DES checklist: {scenario.name}",
        "Strengthening the Reporting of Empirical Simulation Studies (Monks et al. 2019), "
        "answered from this run's scenario and manifest.",
        _table([(i, t, a) for i, t, a in items], ("item", "topic", "this run")),
        "## Input parameters and their sources",
        _table(sources, ("parameter", "value", "source")),
    ]) + "\n"


def cheers(scenario: Scenario, manifest: dict) -> str:
    """The CHEERS 2022 table of a run's economics, as Markdown."""
    econ = scenario.economics
    costs = econ.costs
    public = ", ".join(p.replace("_", " ") for p in PUBLIC_PAYERS)
    others = ", ".join(p.replace("_", " ") for p in PAYERS if p not in PUBLIC_PAYERS)
    funding = econ.payers.programme
    periods = [(1, funding)] if isinstance(funding, dict) else \
        [(period.from_year, period.shares) for period in funding]
    programme = "; ".join(
        (f"from year {year}: " if len(periods) > 1 else "")
        + ", ".join(f"{p.replace('_', ' ')} {s:.0%}" for p, s in shares.items())
        for year, shares in periods)
    qaly = (f"QALYs from utilities {econ.qaly.utility_not_working:g} (not working) and "
            f"{econ.qaly.utility_working:g} (working), ASSUMPTION" if econ.qaly.enabled else
            "QALYs off in this scenario")
    items = [
        ("1", "Title", AUTHORS),
        ("2", "Abstract", AUTHORS),
        ("3", "Background and objectives", f"{scenario.description or scenario.name}: what IPS "
         "costs and returns against usual services, for the public purse and for society."),
        ("4", "Health economic analysis plan", AUTHORS),
        ("5", "Study population", _population(scenario)),
        ("6", "Setting and location", f"Finland's benefit, tax and service system at "
         f"{econ.price_year} rules; {_regions(scenario)}."),
        ("7", "Comparators", "IPS (a coach, caseload cap "
         f"{scenario.coaching.caseload_cap}) against usual services on the same clients (no "
         "coach; job finding calibrated to the trials' control arms)."),
        ("8", "Perspective", f"Two: the public purse ({public}) and society (also {others}); "
         "each payer's net money separately (net_<payer>_eur_pv)."),
        ("9", "Time horizon", f"{scenario.horizon_months} months from the programme's start; each "
         f"client followed from referral to the horizon."),
        ("10", "Discount rate", f"{econ.discount_rate_per_year:.1%} a year for costs and "
         "outcomes, applied monthly (ASSUMPTION, common in health-economic guidance)."),
        ("11", "Selection of outcomes", "People ever in competitive work, months in competitive "
         f"work, earnings; {qaly}."),
        ("12", "Measurement of outcomes", "Simulated per client from the model's job spells "
         "(calibrated to EMP-01 and the Finnish pilots' figures)."),
        ("13", "Valuation of outcomes", "Net monetary effect per payer; cost per additional person "
         "and per additional month in competitive work" + ("; cost per QALY" if econ.qaly.enabled
                                                            else "") + "."),
        ("14", "Measurement and valuation of resources and costs", "Programme: coach salary "
         f"{costs.coach_salary_eur_per_year:,.0f} EUR and team-leader salary "
         f"{costs.team_leader_salary_eur_per_year:,.0f} EUR a year, employer costs "
         f"{costs.employer_cost_rate:.0%}, overheads {costs.overhead_rate:.0%}, training "
         f"{costs.training_eur_per_new_coach:,.0f} EUR a new coach, fidelity reviews "
         f"{costs.fidelity_review_eur:,.0f} EUR each, for the staff actually in post; paid by "
         f"{programme}. Benefits, taxes and contributions by their rules (money/rules.py); wage "
         f"subsidy {econ.wage_subsidy_rate:.0%}."),
        ("15", "Currency, price date and conversion", f"Euros at {econ.price_year} prices; no "
         "conversion."),
        ("16", "Rationale and description of model", "A discrete-event simulation of clients, "
         "coaches and employers (STRESS-DES appendix, stress_des.md), chosen for caseload caps, "
         "waiting lists and individual histories that a cohort model cannot hold."),
        ("17", "Analytics and assumptions", f"{manifest['replications']} replications, common "
         "random numbers between arms; the parameters' sources and ASSUMPTIONs are listed in "
         "stress_des.md."),
        ("18", "Characterising heterogeneity", "Results by subgroup at referral (main activity and "
         "benefit, diagnosis, age band, time out of work, region) in summary_subgroups.csv and "
         "the report's \"Who benefits\"."),
        ("19", "Characterising distributional effects", "Net money of each payer and of the "
         "clients themselves (net_client_eur_pv); by subgroup as in item 18."),
        ("20", "Characterising uncertainty", _uncertainty(manifest)),
        ("21", "Approach to engagement with patients and others affected", AUTHORS),
        ("22", "Study parameters", "stress_des.md lists every parameter with its value and source; "
         "parameters.csv the values drawn, with parameter uncertainty."),
        ("23", "Summary of main results", "summary.csv and report.html of this run."),
        ("24", "Effect of uncertainty", "The 95% ranges and break-even shares of summary.csv "
         "(breaks_even_public, breaks_even_society)."),
        ("25", "Effect of engagement with patients and others affected", AUTHORS),
        ("26", "Study findings, limitations, generalisability and current knowledge", AUTHORS),
        ("27", "Source of funding", AUTHORS),
        ("28", "Conflicts of interest", AUTHORS),
    ]
    return "\n\n".join([
        f"# CHEERS 2022: {scenario.name}",
        "Consolidated Health Economic Evaluation Reporting Standards 2022 (Husereau et al. "
        "2022), answered from this run's scenario and manifest.",
        _table(items, ("item", "topic", "this run")),
    ]) + "\n"


def appendix(scenario: Scenario, manifest: dict) -> dict[str, str]:
    """The appendix files of a run (file name -> Markdown)."""
    return {STRESS_FILE: stress_des(scenario, manifest), CHEERS_FILE: cheers(scenario, manifest)}
