"""The public Python API: the home of every name of ``ipssim.__all__``.

The command line (:mod:`ipssim.cli`) and the planner's web page are thin layers over these
functions; a notebook uses the same ones and gets pandas DataFrames back::

    import ipssim
    pilot = ipssim.load_scenario("scenarios/finland_pilot.yaml")
    cap15 = ipssim.with_changes(pilot, {"coaching.caseload_cap": 15}, name="cap15")
    result = ipssim.run(pilot, replications=20, seed=7)
    result.summary                       # metric x arm: mean, 95% range, Monte Carlo error
    ipssim.compare([pilot, cap15], replications=20).table

The public names are those of ``ipssim.__all__`` (docs/reference.md lists each); this module
also holds the few the web page uses beside them (its replications, the idle threshold of the
capacity check, the lever an error is about, the default willingness to pay).
"""

from ipssim._version import __version__ as __version__
from ipssim.api.runs import ComparisonResult as ComparisonResult
from ipssim.api.runs import Decision as Decision
from ipssim.api.runs import RunResult as RunResult
from ipssim.api.runs import SizingResult as SizingResult
from ipssim.api.runs import budget_split as budget_split
from ipssim.api.runs import capacity as capacity
from ipssim.api.runs import compare as compare
from ipssim.api.runs import decision as decision
from ipssim.api.runs import load_scenario as load_scenario
from ipssim.api.runs import overlay as overlay
from ipssim.api.runs import planned_scenario as planned_scenario
from ipssim.api.runs import run as run
from ipssim.api.runs import scenario_sha256 as scenario_sha256
from ipssim.api.runs import size as size
from ipssim.api.runs import with_changes as with_changes
from ipssim.api.studies import CalibrationResult as CalibrationResult
from ipssim.api.studies import SweepResult as SweepResult
from ipssim.api.studies import calibrate as calibrate
from ipssim.api.studies import sweep as sweep
from ipssim.api.studies import validate_calibration as validate_calibration
from ipssim.experiments.capacity import IDLE_UTILISATION as IDLE_UTILISATION
from ipssim.experiments.capacity import Capacity as Capacity
from ipssim.experiments.decision import DEFAULT_WTP_EUR as DEFAULT_WTP_EUR
from ipssim.files import OutputError as OutputError
from ipssim.planner import REPLICATIONS as REPLICATIONS
from ipssim.planner import LeverError as LeverError
from ipssim.planner import Levers as Levers
from ipssim.planner import Line as Line
from ipssim.planner import scenario_yaml as scenario_yaml
from ipssim.scenario.schema import Scenario as Scenario
from ipssim.scenario.schema import ScenarioError as ScenarioError
from ipssim.validation import InputError as InputError
from ipssim.vocabulary import DEFAULT_SEED as DEFAULT_SEED
