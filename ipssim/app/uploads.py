"""Scenario files uploaded to the page, confined to the upload itself and the bundled files.

The server reads files as the user it runs as, so an upload never names a path: ``extends``
names a bundled scenario, ``calibration`` the bundled calibration and ``regions_table`` a
bundled regions table, by name (the names below); anything else is refused in one line that
says what is allowed and never what the server found (no file content, no word on whether a
path exists). The bundled files themselves are read only if they are regular files under
:data:`MAX_FILE` bytes. The upload's own bytes are capped at :data:`MAX_UPLOAD`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from functools import lru_cache
from pathlib import Path

import yaml

from ipssim import api
from ipssim.validation import yaml_mapping

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
"""The bundled scenarios (in a source checkout), or ``./scenarios`` where the server starts."""
MAX_UPLOAD = 1_000_000
"""The largest scenario file the page takes, in bytes."""
MAX_ENCODED = 4 * -(-MAX_UPLOAD // 3)
"""The longest base64 text of an upload (4 characters for every 3 bytes)."""
MAX_FILE = 5_000_000
"""The largest bundled file an upload may name, in bytes."""
MAX_NAME = 80
"""The longest file name shown for an upload."""
CALIBRATION_NAMES = ("calibrated", "calibrated.yaml", "calibration/calibrated.yaml",
                     "../calibration/calibrated.yaml")
"""How an upload may name the bundled calibration (the last as the bundled scenarios do)."""


def scenarios_folder() -> Path:
    return SCENARIOS if SCENARIOS.is_dir() else Path("scenarios")


def bundled() -> dict[str, Path]:
    """The bundled scenario files by name."""
    return {p.stem: p for p in _regular(scenarios_folder(), "*.yaml")}


def load_bundled(name: object) -> api.Scenario | str:
    """A bundled scenario by name, or one line naming the choices. Read again only when a
    bundled file changes (the page asks for it at each change of a lever)."""
    path = bundled().get(name) if isinstance(name, str) else None
    if path is None:
        return f"scenario: pick one of {', '.join(bundled())}"
    folder = scenarios_folder()
    files = [*folder.glob("*.yaml"), *folder.glob("*.csv"),
             folder.parent / "calibration" / "calibrated.yaml"]
    return _load_bundled(path, tuple(_stamp(f) for f in sorted(files)))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (0, 0)
    return status.st_mtime_ns, status.st_size


@lru_cache(maxsize=32)
def _load_bundled(path: Path, stamps: tuple) -> api.Scenario | str:
    try:
        return api.load_scenario(path)
    except api.ScenarioError as exc:
        return str(exc)


def named_files() -> dict[str, dict[str, str]]:
    """Field -> {name an upload may give: the path, relative to the scenarios folder, it
    stands for}."""
    folder = scenarios_folder()
    calibration = folder.parent / "calibration" / "calibrated.yaml"
    return {
        "extends": {name: f"{p.stem}.yaml" for p in _regular(folder, "*.yaml")
                    for name in (p.stem, p.name)},
        "calibration": dict.fromkeys(CALIBRATION_NAMES, os.path.relpath(calibration, folder))
        if _is_regular(calibration) else {},
        "regions_table": {p.name: p.name for p in _regular(folder, "*.csv")},
    }


def _regular(folder: Path, pattern: str) -> list[Path]:
    return [p for p in sorted(folder.glob(pattern)) if _is_regular(p)]


def _is_regular(path: Path) -> bool:
    """A regular file (not a device, a pipe, a folder) of at most :data:`MAX_FILE` bytes."""
    try:
        status = path.stat()
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size <= MAX_FILE


def shown_name(filename: object) -> str:
    """The upload's file name as shown and used in messages: its last part, word characters,
    dots and dashes only, never starting with a dot."""
    name = re.split(r"[\\/]", filename)[-1] if isinstance(filename, str) else ""
    name = re.sub(r"[^\w.-]", "_", name, flags=re.ASCII).lstrip(".")[:MAX_NAME]
    return name or "upload.yaml"


def load_upload(filename: object, contents: object) -> api.Scenario | str:
    """The scenario of an upload (``contents``: its base64 text), or one line saying what is
    wrong with it."""
    name = shown_name(filename)
    if not isinstance(contents, str) or len(contents) > MAX_ENCODED + 4:
        return f"upload: a scenario file of at most {MAX_UPLOAD // 1_000_000} MB is allowed"
    return _load(name, contents)


@lru_cache(maxsize=8)
def _load(name: str, contents: str) -> api.Scenario | str:
    """Cached: the page reads the same upload again for each change of a lever."""
    try:
        raw = base64.b64decode(contents, validate=True)
    except (binascii.Error, ValueError):
        return "upload: the file could not be read; upload a scenario YAML file"
    if len(raw) > MAX_UPLOAD:
        return f"upload: a scenario file of at most {MAX_UPLOAD // 1_000_000} MB is allowed"
    try:
        data = yaml_mapping(raw, Path(name), api.ScenarioError)
        confined = confine(data, name)
        folder = scenarios_folder()
        text = yaml.safe_dump(confined, sort_keys=False, allow_unicode=True).encode()
        return api.load_scenario(folder / name, text=text)
    except api.ScenarioError as exc:
        return str(exc).replace(f"{scenarios_folder()}{os.sep}", "")


def confine(data: dict, name: str) -> dict:
    """The upload's fields with each file it names replaced by the bundled file that name
    stands for; a name of anything else raises one line naming the field and what is allowed."""
    out = dict(data)
    for key, allowed in named_files().items():
        if key not in out or out[key] is None:
            continue
        given = out[key]
        if not isinstance(given, str) or given not in allowed:
            raise api.ScenarioError(f"{name}: {key}: {_allowed(key, allowed)}; an uploaded "
                                    "scenario reads no other file")
        out[key] = allowed[given]
    return out


def _allowed(key: str, allowed: dict[str, str]) -> str:
    if key == "extends":
        return "give a bundled scenario by name, as the scenario list shows (e.g. finland_pilot)"
    if key == "calibration":
        return ("give the bundled calibration by name (calibrated.yaml)" if allowed
                else "no calibration is bundled with this server")
    return ("give a bundled regions table by name (" + ", ".join(sorted(allowed)) + ") or list "
            "the regions in the file") if allowed else "list the regions in the file"
