"""The version follows git and the code id follows the code: real copies of the package run in
child processes, a real git repository, and a sweep that refuses to resume under other code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SMALL, package_copy, write_yaml
from ipssim._version import code_id


def python(path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python *args`` with ``path`` first on the import path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run([sys.executable, *args], env=env | {"PYTHONPATH": str(path)}, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def version_of(path: Path, cwd: Path) -> tuple[str, str]:
    """(version, code id) of the ipssim found at ``path``."""
    done = python(path, "-c", "import ipssim, ipssim._version as v; "
                              "print(ipssim.__file__, v.__version__, v.code_id)", cwd=cwd)
    assert done.returncode == 0, done.stderr
    where, version, code = done.stdout.split()
    assert Path(where).is_relative_to(path), where
    return version, code


def test_the_code_id_follows_the_source_not_the_place(tmp_path):
    same = package_copy(tmp_path / "same")
    changed = package_copy(tmp_path / "changed", change="\nCHANGED = True\n")
    assert version_of(same, tmp_path) == ("0+unknown", code_id)  # no git, not installed
    _, other = version_of(changed, tmp_path)
    assert re.fullmatch("[0-9a-f]{16}", other) and other != code_id


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=ipssim", "-c",
                           "user.email=ipssim@example.org", "-c", "commit.gpgsign=false", *args],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_the_version_follows_tags_and_commits_without_reinstalling(tmp_path):
    repo = package_copy(tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", "ipssim")
    git(repo, "commit", "-q", "-m", "first")
    head = git(repo, "rev-parse", "--short=7", "HEAD")
    assert version_of(repo, tmp_path)[0] == f"0.1.0.dev1+g{head}"  # before any release tag
    with open(repo / "ipssim" / "model" / "pathway.py", "a") as source:
        source.write("\nCHANGED = True\n")
    version, code = version_of(repo, tmp_path)
    assert version == f"0.1.0.dev1+g{head}.dirty" and code != code_id
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "tag", "v0.2.0")
    assert version_of(repo, tmp_path) == ("0.2.0", code)
    git(repo, "commit", "-q", "--allow-empty", "-m", "third")
    git(repo, "tag", "v0.3.0rc1")  # not a release tag
    head = git(repo, "rev-parse", "--short=7", "HEAD")
    assert version_of(repo, tmp_path) == (f"0.2.1.dev1+g{head}", code)


def test_a_sweep_refuses_to_resume_under_other_code(tmp_path):
    """Points saved by one code are never combined with points of another; the same code
    resumes even where its version differs (a copy outside git)."""
    write_yaml(tmp_path / "small.yaml", SMALL | {"horizon_months": 6})
    write_yaml(tmp_path / "grid.yaml", {"kind": "grid", "scenario": "small.yaml",
                                        "replications": 1,
                                        "parameters": {"coaching.caseload_cap": [5, 10]}})
    command = ("-m", "ipssim", "sweep", "grid.yaml", "--serial", "--out", "out")
    first = python(ROOT, *command, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads((tmp_path / "out" / "sweep.json").read_text())["ipssim_code_id"] == code_id
    (tmp_path / "out" / "points" / "000001.parquet").unlink()

    changed = python(package_copy(tmp_path / "changed", change="\nCHANGED = True\n"), *command,
                     cwd=tmp_path)
    assert changed.returncode == 2
    (line,) = changed.stderr.strip().splitlines()
    assert "000000.parquet: computed by other ipssim code" in line and code_id in line
    assert [p.name for p in (tmp_path / "out" / "points").iterdir()] == ["000000.parquet"]

    same = python(package_copy(tmp_path / "same"), *command, cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert "computed 1 of 2 points (1 already done)" in same.stdout
