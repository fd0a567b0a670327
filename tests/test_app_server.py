"""``ipssim serve`` attacked over loopback, with no browser: crafted callback payloads posted
straight to Dash's endpoint, over-size bodies, uploads naming files of the server, unknown
sessions and a burst of runs from many sessions at once.

Whatever arrives, the server answers without a 500 or a traceback, in a bounded response, keeps
answering, reads no file an upload names, and runs the work of all sessions through one bounded
queue on at most ``--workers`` worker processes.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request

import psutil
import pytest
import yaml

from conftest import serve, wait_until_answering

WORKERS = 2
MAX_RESPONSE = 2_000_000
"""No crafted request gets more than this many bytes back (a page's worth)."""
SECRET = "hunter2-secret-line"
BUSY = "The server is busy: 5 runs queued; try again later."
EXPIRED = "This page's session has expired: reload the page."


class Server:
    """A real ``ipssim serve`` and a client of its Dash callbacks (payloads built from the
    page's own ``/_dash-dependencies``, as the browser builds them)."""

    def __init__(self) -> None:
        self.process, self.url = serve(WORKERS, subprocess.PIPE)
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_until_answering(self.process, self.url, 120, lambda: "".join(self.output))
        self.callbacks = {dep["output"]: dep for dep in self.get_json("_dash-dependencies")}

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    def answers(self) -> bool:
        try:
            return self.request("GET", "")[0] == 200
        except OSError:
            return False

    def request(self, method: str, path: str, body: bytes | None = None,
                timeout: float = 120) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        call = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(call, timeout=timeout) as response:
                return response.status, response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as error:
            return error.code, error.read(MAX_RESPONSE + 1)

    def get_json(self, path: str):
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def new_session(self) -> str:
        """The session id of a new page load (the layout's ``session`` store)."""
        def find(node):
            if isinstance(node, dict):
                props = node.get("props", {})
                if isinstance(props, dict) and props.get("id") == "session":
                    return props["data"]
                return next((f for f in map(find, node.values()) if f), None)
            if isinstance(node, list):
                return next((f for f in map(find, node) if f), None)
            return None
        return find(self.get_json("_dash-layout"))

    def callback(self, output: str) -> dict:
        """The callback with the output ``output`` (``status.children``)."""
        return next(dep for key, dep in self.callbacks.items()
                    if output in key.strip(".").split("..."))

    def payload(self, output: str, values: dict, changed: list[str] | None = None) -> dict:
        """The body a browser posts for the callback: every input and state with its value
        (``values`` by ``id.property``; a missing one is sent without a value)."""
        dep = self.callback(output)
        key = dep["output"]
        if key.startswith(".."):
            outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
                       for part in key[2:-2].split("...")]
        else:
            outputs = dict(zip(("id", "property"), key.rsplit(".", 1), strict=True))

        def items(group):
            out = []
            for item in group:
                name = f"{item['id']}.{item['property']}"
                out.append({**item, "value": values[name]} if name in values else dict(item))
            return out
        inputs = items(dep["inputs"])
        return {"output": key, "outputs": outputs, "inputs": inputs, "state": items(dep["state"]),
                "changedPropIds": changed if changed is not None else
                [f"{i['id']}.{i['property']}" for i in dep["inputs"]]}

    def post(self, body: object, raw: bytes | None = None) -> tuple[int, bytes]:
        data = raw if raw is not None else json.dumps(body).encode()
        return self.request("POST", "_dash-update-component", data)

    def call(self, output: str, values: dict) -> dict:
        """The callback's answer: ``id.property`` -> value (no_update outputs left out)."""
        status, body = self.post(self.payload(output, values))
        assert status in (200, 204), (status, body[:500])
        if status == 204:
            return {}
        response = json.loads(body)["response"]
        return {f"{i}.{p}": v for i, props in response.items() for p, v in props.items()}

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return "".join(self.output)


@pytest.fixture(scope="module")
def server():
    server = Server()
    yield server
    output = server.stop()
    assert "Traceback" not in output, output[-5000:]
    assert " 500 " not in output, [line for line in output.splitlines() if " 500 " in line]


def wait_for(condition, seconds: float = 180, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(every)


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def upload(server: Server, filename: str, text: str) -> dict:
    return server.call("scenario.options", {
        "upload.contents": "data:application/x-yaml;base64," + encoded(text),
        "upload.filename": filename})


def form(server: Server, scenario: str = "finland_pilot", uploaded: dict | None = None,
         **changes: object) -> dict:
    """The form of a page showing ``scenario``, as the browser sends it to Run."""
    picked = server.call("regions.data", {"scenario.value": scenario, "uploaded.data": uploaded})
    values = {"scenario.value": scenario, "uploaded.data": uploaded,
              "budget_mode.value": "scenario", "budget_eur_per_year.value": None,
              "demand_mode.value": picked["demand_mode.value"],
              "regions.data": picked["regions.data"],
              "caseload_cap.value": picked["caseload_cap.value"], "fidelity.value": None,
              "integrated.value": "keep", "years_funded.value": None,
              "horizon_years.value": picked["horizon_years.value"],
              "discount_rate.value": picked["discount_rate.value"], "replications.value": 4,
              "seed.value": 20240601, "run.n_clicks": 1}
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    return values


def status(server: Server, session: str) -> str:
    return server.call("status.children", {"session.data": session, "tick.n_intervals": 1,
                                           "finished.data": 0, "history.value": [],
                                           "history.options": []})["status.children"]


def run_errors(answer: dict) -> dict[str, str]:
    return {k.removesuffix(".children"): v for k, v in answer.items() if v}


@pytest.fixture(scope="module")
def finished(server) -> str:
    """A session with one finished quick run of a small uploaded team."""
    session = server.new_session()
    text = ("name: one_team\ndescription: One uploaded team\ncalibration: calibrated.yaml\n"
            "mode: programme\nhorizon_months: 48\nregions:\n  - {name: Team, coaches: 3, "
            "eligible_people: 2000, uptake_per_year: 0.03}\n")
    uploaded = upload(server, "one_team.yaml", text)["uploaded.data"]
    values = form(server, "upload:", uploaded, session__data=session)
    assert run_errors(server.call("form-error.children", values)) == {}
    wait_for(lambda: "Run 1 finished" in status(server, session))
    return session


def test_a_tick_stays_light_when_a_run_has_finished(server, finished):
    """The page asks for its runs' state every 600 ms: the answer must stay small and quick
    even while the page has not yet shown a finished run (a tick that built the headline and
    charts took longer than 600 ms under load, so each tick asked again and the page never
    caught up). The finished run is named, and shown once by its own callback."""
    for _ in range(3):
        started = time.monotonic()
        status_code, body = server.post(server.payload("status.children", {
            "session.data": finished, "tick.n_intervals": 1, "finished.data": 0,
            "history.value": [], "history.options": []}))
        assert status_code == 200 and len(body) < 5_000, (status_code, len(body))
        assert time.monotonic() - started < 30
        answer = json.loads(body)["response"]
        assert answer["finished"]["data"] == 1 and "headline" not in answer
    shown = server.call("headline.children", {"finished.data": 1, "session.data": finished})
    assert "Run 1:" in json.dumps(shown["headline.children"])
    assert shown["charts.children"]


PATHS = {"passwd": "/etc/passwd", "climb": "../../something", "zero": "/dev/zero",
         "existing": "{outside}", "missing": "/nonexistent/folder/x.yaml",
         "folder": "/etc", "climb to the existing": "../../../../../../../..{outside}"}


@pytest.mark.parametrize("key", ["extends", "calibration", "regions_table"])
def test_an_upload_reads_no_file_of_the_server(server, key, tmp_path):
    """An upload naming a path in any field gets the same one line whatever the path: no word
    on whether it exists, none of its content."""
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"values:\n  {SECRET}: 1\nname,coaches\n{SECRET},2\n")
    lines = {}
    for what, path in PATHS.items():
        text = yaml.safe_dump({"name": "probe", "mode": "programme", key: path.format(
            outside=outside), "regions": [{"name": "A", "coaches": 2, "referrals_per_month": 3}]})
        answer = upload(server, "probe.yaml", text)
        lines[what] = answer["error-upload.children"]
        assert "scenario.value" not in answer  # the pick stays
    assert len(set(lines.values())) == 1, lines
    line = lines["passwd"]
    assert line.startswith(f"probe.yaml: {key}: ") and "bundled" in line and "\n" not in line
    assert SECRET not in line and "root:" not in line and "outside" not in line


def test_an_upload_may_extend_a_bundled_scenario_by_name(server):
    answer = upload(server, "variant.yaml", "extends: finland_pilot\nname: variant\n"
                    "description: The pilots at a cap of 12\ncoaching: {caseload_cap: 12}\n")
    assert answer["error-upload.children"] == ""
    assert answer["scenario.value"] == "upload:"
    picked = server.call("regions.data", {"scenario.value": "upload:",
                                          "uploaded.data": answer["uploaded.data"]})
    assert picked["caseload_cap.value"] == 12
    assert picked["scenario-about.children"].startswith("The pilots at a cap of 12")


def test_an_oversize_body_is_refused_unread(server):
    status_code, body = server.post(None, raw=b'{"output": "' + b"x" * 4_000_000 + b'"}')
    assert status_code == 413, (status_code, body[:300])
    assert b"Traceback" not in body and len(body) < 10_000
    big = "#" * 1_100_000  # over 1 MB, under the body limit in base64
    answer = upload(server, "big.yaml", big)
    assert answer["error-upload.children"] == "upload: a scenario file of at most 1 MB is allowed"
    assert server.answers()


def test_an_unknown_session_is_refused(server):
    stranger = "0123456789abcdef" * 2
    assert status(server, stranger) == EXPIRED
    answer = server.call("form-error.children", form(server, session__data=stranger))
    assert run_errors(answer) == {"form-error": EXPIRED}
    for crafted in ({"id": 1}, ["a"], 7, None, "../" * 11):
        assert status(server, crafted) == EXPIRED
    assert server.request("GET", f"download/{stranger}/1.yaml")[0] == 404


@pytest.mark.parametrize(("lever", "value"), [
    ("replications", 0), ("replications", -5), ("replications", 100_000), ("replications", "abc"),
    ("replications", None), ("replications", 2.5), ("replications", True),
    ("seed", -1), ("seed", 2.5), ("seed", "7"), ("seed", 2**70), ("seed", None),
    ("budget_mode", "bogus"), ("budget_mode", None), ("demand_mode", {"a": 1}),
    ("integrated", 1), ("caseload_cap", "12"), ("fidelity", [80]), ("horizon_years", True),
    ("regions", "rows"), ("regions", [{"name": "X"}]),
    ("uncertainty", "yes"), ("uncertainty", {"on": True}),
])
def test_a_crafted_value_is_refused_beside_its_field_and_nothing_runs(server, lever, value):
    session = server.new_session()
    property_ = "data" if lever == "regions" else "value"
    answer = server.call("form-error.children", form(server, **{
        "session__data": session, f"{lever}__{property_}": value}))
    errors = run_errors(answer)
    assert list(errors) == [f"error-{lever}"], errors
    assert errors[f"error-{lever}"].startswith(f"{lever}: "), errors
    assert status(server, session).startswith("No runs yet")


CRAFTED = [None, 0, -5, 100_000, 2.5, 1e308, "abc", "", True, [], {}, {"a": [1, {"b": 2}]},
           [1, "x", None], "x" * 100_000, list(range(2000)), float("nan"), float("inf"),
           [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]], "../../../etc/passwd", "\x00\n\r"]


def crafted_bodies(server: Server, finished: str):
    """Each callback of the page with one input or state replaced by each crafted value (the
    others as a browser sends them), then envelopes no browser sends."""
    base = form(server, session__data=finished, caseload_cap__value=0, horizon_years__value=1)
    base.update({"tick.n_intervals": 1, "finished.data": 1, "history.value": [1],
                 "history.options": [], "cancel.n_clicks": 1, "upload.filename": "x.yaml",
                 "upload.contents": "data:;base64," + encoded("name: x\n")})
    for key, dep in server.callbacks.items():
        first = key.strip(".").split("...")[0]
        if first == "cancel.title":
            continue  # the burst below cancels
        for item in dep["inputs"] + dep["state"]:
            name = f"{item['id']}.{item['property']}"
            for value in CRAFTED:
                yield f"{name}={str(value)[:20]}", server.payload(first, {**base, name: value})
    good = server.payload("status.children", base)
    yield "not json", b"{not json"
    yield "deep json", b"[" * 100_000 + b"]" * 100_000
    for name, body in [("a list", [good]), ("a string", "x"), ("no output", {}),
                       ("unknown output", {**good, "output": "nothing.children"}),
                       ("output an object", {**good, "output": {"a": 1}}),
                       ("inputs missing", {k: v for k, v in good.items() if k != "inputs"}),
                       ("inputs a string", {**good, "inputs": "x"}),
                       ("inputs of another callback", {**good, "inputs": [
                           {"id": "run", "property": "n_clicks", "value": 1}]}),
                       ("state too short", {**good, "state": good["state"][:1]}),
                       ("state not objects", {**good, "state": [1, 2, 3, 4]}),
                       ("outputs wrong", {**good, "outputs": [{"id": "x", "property": "y"}]}),
                       ("outputs missing", {k: v for k, v in good.items() if k != "outputs"}),
                       ("changed unknown", {**good, "changedPropIds": ["nothing.value"]}),
                       ("changed not a list", {**good, "changedPropIds": {"a": 1}}),
                       ("extra key in an input", {**good, "inputs": [
                           {**good["inputs"][0], "extra": 1}]})]:
        yield name, body


def test_crafted_callback_payloads_get_no_500(server, finished):
    """Every callback, every input and state, twenty crafted values each (some 800 payloads),
    then malformed envelopes: never a 500, never a traceback, a bounded answer, and the server
    answers on."""
    seen = []
    for name, body in crafted_bodies(server, finished):
        status_code, answer = server.post(None, raw=body) if isinstance(body, bytes) \
            else server.post(body)
        seen.append(status_code)
        assert status_code in (200, 204, 400), (name, status_code, answer[:500])
        assert b"Traceback" not in answer and len(answer) <= MAX_RESPONSE, name
    assert len(seen) > 800
    assert seen.count(400) >= 15
    assert server.answers()
    assert status(server, finished).startswith("Run 1 finished")  # no crafted run got in


def processes(root: psutil.Process) -> list[psutil.Process]:
    """The server's own child processes: its workers and multiprocessing's tracker (not what a
    worker forks for a moment as it starts: git for the version, ldconfig)."""
    try:
        return root.children()
    except psutil.Error:
        return []


def describe(process: psutil.Process) -> str:
    """A process's state and command line, shortened (``zombie``: ended, not yet reaped)."""
    try:
        return f"{process.status()}: {' '.join(process.cmdline())[-60:]}"
    except psutil.Error:
        return "gone"


def test_a_burst_of_runs_from_ten_sessions_is_queued_on_one_pool(server, finished):
    """Ten sessions press Run at once: one run goes and four wait (server-wide), the other
    five are told the server is busy; the server never has more than ``--workers`` worker
    processes. Then every run is cancelled."""
    sessions = [server.new_session() for _ in range(10)]
    bodies = [form(server, session__data=s) for s in sessions]
    root = psutil.Process(server.process.pid)
    peak, peak_workers, stop = [[]], [0], threading.Event()

    def count():
        while not stop.is_set():
            found = [describe(p) for p in processes(root)]
            if len(found) > len(peak[0]):
                peak[0] = found
            peak_workers[0] = max(peak_workers[0], sum("multiprocessing-fork" in p for p in found))
            time.sleep(0.05)
    counter = threading.Thread(target=count)
    counter.start()
    answers: dict[str, dict] = {}
    threads = [threading.Thread(target=lambda s=s, b=b: answers.__setitem__(
        s, run_errors(server.call("form-error.children", b)))) for s, b in zip(sessions, bodies,
                                                                            strict=True)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        accepted = [s for s in sessions if answers[s] == {}]
        refused = [s for s in sessions if answers[s] != {}]
        assert len(accepted) == 5, answers
        assert all(answers[s] == {"form-error": BUSY} for s in refused), answers
        states = {s: status(server, s) for s in accepted}
        running = [s for s, text in states.items() if " running: " in text]
        positions = sorted(int(re.search(r"queued \(position (\d+)\)", text).group(1))
                           for s, text in states.items() if s not in running)
        assert len(running) <= 1 and positions == list(range(1, 6 - len(running))), states
        going = wait_for(lambda: next((s for s in accepted if re.search(
            r"running: [1-9]\d* of|finished", status(server, s))), None))
        assert status(server, refused[0]) == "No runs yet in this tab: move the levers and press Run."
    finally:
        for session in sessions:
            server.call("cancel.title", {"cancel.n_clicks": 1, "session.data": session})
        stop.set()
        counter.join()
    # the run that went first may have finished before its Cancel arrived; the others never run
    wait_for(lambda: all(re.search(r"cancelled|finished", status(server, s)) for s in accepted))
    print(f"\nburst of 10 runs: peak {peak_workers[0]} worker processes ({WORKERS} allowed), "
          f"{len(peak[0])} child processes of the server in all: {peak[0]}")
    assert 1 <= peak_workers[0] <= WORKERS, peak  # besides them: multiprocessing's tracker
    assert len(peak[0]) <= WORKERS + 2, peak  # and a worker's short-lived ldconfig
    assert going in accepted and server.answers()


def test_a_server_whose_output_nobody_reads_keeps_answering():
    """``ipssim serve`` writes no line per request: with its output on a pipe nobody reads
    (a service manager's, a test's), 60 requests for a 4,000-character path (240 KB of request
    lines, nearly four times a pipe's buffer) would otherwise block its logging, and with it
    every request thread."""
    process, url = serve(1, subprocess.PIPE)
    try:
        wait_until_answering(process, url, 120, lambda: "(its output is on the unread pipe)")
        for _ in range(60):
            try:
                urllib.request.urlopen(url + "x" * 4000, timeout=30).read()
            except urllib.error.HTTPError as error:
                assert error.code == 404
        assert urllib.request.urlopen(url, timeout=30).status == 200
    finally:
        process.kill()
        process.communicate()


def test_a_burst_of_capacity_panels_computes_one_at_a_time(server):
    """Twelve sessions move the caseload cap at once, each to another value: each new cap
    simulates a cohort of 2,000 clients in the request's thread. They take turns (one at a
    time, ``page.CAPACITY_WAIT_S``), so the server's memory holds one such cohort, not twelve;
    each panel shows the capacity table or says the server is busy."""
    first = server.call("capacity.children", form(server, caseload_cap__value=8))
    assert "capacity-table" in json.dumps(first)  # what a cohort's simulation needs is loaded
    root = psutil.Process(server.process.pid)
    before = root.memory_info().rss
    peak, stop = [before], threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], root.memory_info().rss)
            time.sleep(0.02)
    watcher = threading.Thread(target=watch)
    watcher.start()
    answers: dict[int, str] = {}
    threads = [threading.Thread(target=lambda cap=cap: answers.__setitem__(cap, json.dumps(
        server.call("capacity.children", form(server, caseload_cap__value=cap))))) for cap in
        range(9, 21)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        watcher.join()
    print(f"\nburst of 12 capacity panels: peak {(peak[0] - before) / 2**20:.0f} MB above "
          f"{before / 2**20:.0f} MB")
    assert all("capacity-table" in a or "the server is busy" in a for a in answers.values()), answers
    # One at a time: about 110-120 MB above the server's size here (glibc keeps an arena for
    # each request thread); all twelve at once: 460 MB.
    assert peak[0] - before < 250 * 2**20


def test_the_decision_takes_a_willingness_to_pay_and_refuses_one_out_of_bounds(server, finished):
    """The side-by-side's decision at the page's willingness to pay: its verdicts say it; a
    value the field's bounds would stop in a browser, sent anyway, gets one line naming it."""
    def decision(wtp):
        return json.dumps(server.call("side-by-side.children", {
            "history.value": [1], "wtp.value": wtp, "session.data": finished}))
    assert "at 5,000 EUR per additional person" in decision(5000)
    assert "at 20,000 EUR per additional person" in decision(None)  # emptied: the default
    for wtp in (-5, 2e9, "a lot"):
        answer = decision(wtp)
        assert "error-wtp" in answer and "wtp: " in answer and "verdict" not in answer, answer
