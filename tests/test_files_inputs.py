"""Input files: only regular files under the size cap are read, whatever field names them; a
device, a pipe, a socket or a folder is refused in one line at once (never read, never waited
on)."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SMALL, write_yaml
from ipssim.scenario.schema import ScenarioError
from ipssim.validation import MAX_FILE_BYTES, read_file

MEMORY = 4 * 2**30
"""Address space a child may use: a version that reads ``/dev/zero`` fails fast instead of
taking the machine's memory."""


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def ipssim(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command line, with bounded memory and time."""
    return subprocess.run([sys.executable, "-m", "ipssim", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120, preexec_fn=_bounded)


KINDS = ("device", "fifo", "socket", "folder", "large")


def _special(kind: str, folder: Path) -> tuple[Path, str]:
    """A path that is not a regular file (or too large to read), and the words naming it."""
    if kind == "device":
        return Path("/dev/zero"), "a character device"
    path = folder / f"special-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
        return path, "a named pipe"
    if kind == "socket":
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(path))  # the file stays after the socket is closed
        listener.close()
        return path, "a socket"
    if kind == "folder":
        path.mkdir()
        return path, "a folder"
    with open(path, "wb") as handle:  # sparse: no real bytes written
        handle.truncate(MAX_FILE_BYTES + 1)
    return path, "larger than 16 MB"


def _refused(done: subprocess.CompletedProcess, expected: str) -> None:
    assert done.returncode == 2, done.stderr[-2000:]
    (line,) = done.stderr.strip().splitlines()
    assert expected in line and "Traceback" not in done.stderr, line


@pytest.mark.parametrize("kind", KINDS)
def test_validate_refuses_a_special_file_at_once(tmp_path, kind):
    path, expected = _special(kind, tmp_path)
    started = time.monotonic()
    done = ipssim("validate", path)
    assert time.monotonic() - started < 60
    _refused(done, expected)
    assert str(path) in done.stderr


@pytest.mark.parametrize("field,kind", [("extends", "fifo"), ("calibration", "device"),
                                        ("regions_table", "large")])
def test_a_scenario_field_naming_a_special_file_is_refused(tmp_path, field, kind):
    path, expected = _special(kind, tmp_path)
    scenario = write_yaml(tmp_path / "s.yaml", {**SMALL, field: str(path)})
    _refused(ipssim("validate", scenario), expected)


def test_sweep_files_are_read_the_same_way(tmp_path):
    fifo, expected = _special("fifo", tmp_path)
    _refused(ipssim("sweep", fifo, "--serial", "--out", tmp_path / "sweep"), expected)
    sweep = yaml.safe_load((ROOT / "tests" / "golden" / "sweep.yaml").read_text())
    sweep["scenario"] = "/dev/zero"
    _refused(ipssim("sweep", write_yaml(tmp_path / "sweep.yaml", sweep), "--serial",
                    "--out", tmp_path / "sweep"), "a character device")
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("flag,kind", [("--targets", "fifo"), ("--parameters", "device"),
                                       ("--validation", "socket")])
def test_calibration_files_are_read_the_same_way(tmp_path, flag, kind):
    path, expected = _special(kind, tmp_path)
    files = {"--targets": ROOT / "calibration" / "targets.yaml",
             "--parameters": ROOT / "calibration" / "parameters.yaml",
             "--validation": ROOT / "calibration" / "validation.yaml", flag: path}
    given = [str(part) for item in files.items() for part in item]
    _refused(ipssim("calibrate", *given, "--quick", "--out", tmp_path / "cal"), expected)
    assert not (tmp_path / "cal").exists()  # refused before any fitting started


def test_the_read_stops_at_the_cap(tmp_path):
    """The read itself is bounded: it stops one byte past the cap, whatever the file's size
    said when it was opened."""
    path = tmp_path / "s.yaml"
    path.write_bytes(b"x" * (2**20 + 1))
    assert read_file(path, "scenario", limit=2**20 + 1) == b"x" * (2**20 + 1)
    with pytest.raises(ScenarioError, match=r"scenario file is larger than 1 MB: .*at most 1 MB"):
        read_file(path, "scenario", ScenarioError, limit=2**20)


def test_a_nul_byte_in_a_path_is_one_line(tmp_path):
    scenario = write_yaml(tmp_path / "s.yaml", {**SMALL, "regions_table": "a\0b.csv"})
    _refused(ipssim("validate", scenario), "regions table path is not a valid file name")



def test_a_nul_byte_in_a_base_path_is_one_line(tmp_path):
    scenario = write_yaml(tmp_path / "s.yaml", {**SMALL, "extends": "a\0b.yaml"})
    _refused(ipssim("validate", scenario), "extends: must be the path of a base scenario file")


def test_a_sweep_manifest_that_is_not_a_file_is_refused_unread(tmp_path):
    """An output folder whose ``sweep.json`` is a named pipe: reading it would block for ever."""
    out = tmp_path / "sweep"
    out.mkdir()
    os.mkfifo(out / "sweep.json")
    _refused(ipssim("sweep", ROOT / "tests" / "golden" / "sweep.yaml", "--serial", "--out", out),
             "a named pipe")
