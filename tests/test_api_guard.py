"""A script that starts worker processes outside ``if __name__ == "__main__":`` is told so at
once, instead of hanging for ever (each spawned worker runs the script's top level again); the
same script with the guard runs. Real scripts, run as their own processes."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT, SMALL
from ipssim.parallel import _skipped_in_worker, available_cores

pytestmark = pytest.mark.skipif(available_cores() < 2, reason="two workers need two cores")

RUN = f"""
import ipssim
scenario = ipssim.load_scenario({SMALL!r})
result = ipssim.run(scenario, replications=2, seed=3, workers=2)
print("referred", result.value("clients_referred", "ips"))
"""
SWEEP = f"""
import ipssim
result = ipssim.sweep({str(ROOT / "tests" / "golden" / "sweep.yaml")!r}, out=OUT, workers=2)
print("points", result.total)
"""


def guarded(body: str) -> str:
    return "if __name__ == \"__main__\":\n" + textwrap.indent(body, "    ")


def run_script(path: Path, deadline: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """Run a script in its own session; kill the whole session if it outlives the deadline."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(path)], cwd=path.parent, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=deadline)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{path.name} still running after {deadline} s: {err[-500:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), \
        time.monotonic() - started


def test_an_unguarded_run_stops_at_once_with_one_line_saying_to_add_the_guard(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(RUN)
    done, seconds = run_script(script)
    assert done.returncode != 0 and seconds < 60
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ipssim.validation.InputError: workers=2 starts worker processes "
                           f"from the top level of {script} (line 4)"), done.stderr[-2000:]
    assert 'put the script\'s work under `if __name__ == "__main__":`' in last
    assert done.stderr.count("Traceback") == 1  # the parent's own; no worker ever started


def test_the_same_run_under_the_guard_works(tmp_path):
    script = tmp_path / "guarded.py"
    script.write_text(guarded(RUN))
    done, _ = run_script(script)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("referred ")


def test_a_function_called_from_the_top_level_is_refused_and_from_the_guard_is_not(tmp_path):
    body = "def main():\n" + textwrap.indent(RUN, "    ")
    script = tmp_path / "function.py"
    script.write_text(body + "\nmain()\n")
    done, _ = run_script(script)
    assert done.returncode != 0 and "InputError: workers=2 starts worker processes" in done.stderr
    script.write_text(body + "\nif __name__ == '__main__': main()\n")
    done, _ = run_script(script)
    assert done.returncode == 0, done.stderr[-2000:]


def test_an_unguarded_sweep_is_refused_before_its_cluster_starts(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(f"OUT = {str(tmp_path / 'out')!r}\n" + SWEEP)
    done, seconds = run_script(script)
    assert done.returncode != 0 and seconds < 60
    assert "InputError: workers=2 starts worker processes" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("source, skipped", [
    ("x = run()", False),
    ("if __name__ == '__main__':\n    x = run()", True),
    ("if __name__ == '__main__': x = run()", True),
    ("if '__main__' == __name__:\n    pass\n    x = run()", True),
    ("if __name__ != '__mp_main__':\n    x = run()", True),
    ("if __name__ == '__mp_main__':\n    pass\nelse:\n    x = run()", True),
    ("if __name__ == '__main__' and len(sys.argv) > 1:\n    x = run()", True),
    ("if multiprocessing.parent_process() is None:\n    x = run()", True),
    ("if len(sys.argv) > 1:\n    x = run()", False),
    ("if True:\n    x = run()", False),
    ("try:\n    x = run()\nexcept ValueError:\n    pass", False),
    ("try:\n    if __name__ == '__main__':\n        x = run()\nfinally:\n    pass", True),
    ("with open('f') as handle:\n    x = run()", False),
    ("for i in range(3):\n    x = run()", False),
    ("@decorate(run())\ndef x():\n    pass", False),
])
def test_which_top_level_statements_a_worker_runs_again(source, skipped):
    """The statement holding ``run()`` is skipped when the script runs in a worker exactly when
    an ``if`` around it tells the worker apart."""
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "run()" in text)
    assert _skipped_in_worker(ast.parse(source).body, line) is skipped
