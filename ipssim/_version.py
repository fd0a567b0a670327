"""The package version and the code fingerprint (a leaf, so that any layer can record them in
what it writes).

``__version__`` follows git. Run from a checkout (an editable install included), it is read from
the checkout each time ipssim starts, so a commit never leaves a stale version: ``0.2.0`` on the
commit tagged ``v0.2.0``, ``0.2.1.dev14+g2bd86bb`` fourteen commits later (PEP 440 places a
development version before its release, hence the next one), ``0.1.0.dev196+g2bd86bb`` before any
release tag, with ``.dirty`` when tracked files have uncommitted changes. Installed from a wheel or
an sdist, it is the version this module gave at build time (``pyproject.toml`` reads it), taken
from the package's metadata.

``code_id`` is what "the same code" means wherever results must not mix (a sweep's saved points,
a cluster's workers): a short SHA-256 of the package's own ``.py`` files, so an uncommitted edit
of the model changes it although the version may not.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BEFORE_RELEASES = "0.1.0"
"""The version the development before the first release tag leads to."""
RELEASE_TAG = re.compile(r"v(\d+)\.(\d+)\.(\d+)-(\d+)-g([0-9a-f]+)")
"""``git describe --long`` of a release tag ``vMAJOR.MINOR.PATCH``: the tag, the commits since it
and the commit."""


def _from_git(root: Path) -> str | None:
    """The version of the git checkout at ``root``; None if ``root`` is not one or git cannot
    tell (not installed, not a safe directory)."""
    if not (root / ".git").exists():
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # e.g. in a git hook

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, env=env, timeout=30).stdout.strip()

    try:
        # --exclude: a tag with anything but digits and dots after the v is no release tag
        described = git("describe", "--tags", "--long", "--always", "--dirty", "--abbrev=7",
                        "--match", "v[0-9]*", "--exclude", "v*[!0-9.]*")
        dirty = described.endswith("-dirty")
        described = described.removesuffix("-dirty")
        tag = RELEASE_TAG.fullmatch(described)
        if tag is None:  # no release tag: only the commit's hash
            commits, node = int(git("rev-list", "--count", "HEAD")), described
            release = BEFORE_RELEASES
        else:
            major, minor, patch, since, node = tag.groups()
            commits = int(since)
            if not commits and not dirty:
                return f"{int(major)}.{int(minor)}.{int(patch)}"
            release = f"{int(major)}.{int(minor)}.{int(patch) + 1}"
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return f"{release}.dev{commits}+g{node}" + (".dirty" if dirty else "")


def _from_metadata() -> str | None:
    """The version in the metadata of the installed package, if that package is this file's
    (not another copy installed in the same environment)."""
    try:
        installed = metadata.distribution("ipssim")
    except metadata.PackageNotFoundError:
        return None
    if Path(str(installed.locate_file("ipssim/_version.py"))).resolve() != Path(__file__).resolve():
        return None
    return installed.version


def _from_sdist(root: Path) -> str | None:
    """The version in an unpacked sdist's ``PKG-INFO`` (a wheel built from an sdist)."""
    try:
        found = re.search(r"^Version: (\S+)$", (root / "PKG-INFO").read_text(), re.MULTILINE)
    except OSError:
        return None
    return found.group(1) if found else None


def fingerprint(package: Path) -> str:
    """A short SHA-256 of the ``.py`` files under ``package``: their paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py"), key=lambda p: p.relative_to(package).as_posix()):
        source = path.read_bytes()
        digest.update(f"{path.relative_to(package).as_posix()}\0{len(source)}\0".encode())
        digest.update(source)
    return digest.hexdigest()[:16]


__version__ = (_from_git(PACKAGE.parent) or _from_metadata() or _from_sdist(PACKAGE.parent)
               or "0+unknown")
code_id = fingerprint(PACKAGE)
