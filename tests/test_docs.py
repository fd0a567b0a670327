"""The documentation stays true: the code in the README and docs/ runs, its links resolve, the
README keeps its two commands, and every fact ID the repository cites is defined in the evidence
register (docs/evidence.md).

Code blocks: every ```python block of a page runs, in order, in one fresh namespace per page,
with the repository root as the working directory. A ```bash block runs only when the line
before it is ``<!-- test -->`` (cheap commands only). ``<!-- needs: NAME -->`` before a python
block says which part of the public API it documents; the block still runs, and fails with a
line naming ``ipssim.NAME`` when that name is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

import ipssim

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.glob("*.md"))
EVIDENCE = DOCS / "evidence.md"

FACT_ID = re.compile(r"\b[A-Z]{2,4}-[A-Z]?[0-9]{1,2}\b")
NOT_FACT_IDS = {"UTF-8"}
"""Words of a fact ID's shape that are not fact IDs."""
CITING = ("ipssim", "scenarios", "calibration", "sweeps", "tests", "benchmarks")
"""Folders whose text files cite fact IDs (besides the README and the Markdown at the root)."""
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".md", ".csv", ".toml", ".txt", ".cfg"}
REGISTER_ROW = re.compile(r"^\| ([A-Z]{2,4}-[A-Z]?[0-9]{1,2}) \|(.*)\|(.*)\|$")

FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*(.*?)\s*-->$")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
BLOCK_SECONDS = 300


@dataclass
class Block:
    """A fenced code block of a Markdown page."""

    page: Path
    line: int
    """1-based line of the opening fence."""
    language: str
    code: str
    markers: set[str] = field(default_factory=set)
    """From an HTML comment on the last non-blank line before the fence: ``test``,
    ``needs: capacity`` (several separated by ``;``)."""

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def needs(self) -> list[str]:
        return [m.removeprefix("needs:").strip() for m in self.markers if m.startswith("needs:")]


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of ``page``, in order, with their markers."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, previous, i = [], "", 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        assert end is not None, f"{page.relative_to(ROOT)}:{i + 1}: a code block is never closed"
        marker = MARKER.match(previous)
        markers = {m.strip() for m in marker.group(1).split(";")} if marker else set()
        found.append(Block(page, i + 1, opening.group(1), "\n".join(lines[i + 1:end]) + "\n",
                           markers))
        previous, i = "", end + 1
    return found


def prose(page: Path) -> list[tuple[int, str]]:
    """The lines of ``page`` outside its code blocks, with their 1-based numbers."""
    inside, kept = False, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line) or (inside and line.strip() == "```"):
            inside = not inside
        elif not inside:
            kept.append((number, line))
    return kept


def slug(heading: str) -> str:
    """The anchor of a heading, as GitHub and MkDocs both make it for these pages."""
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower())
    return re.sub(r"[ ]+", "-", text.strip())


def anchors(page: Path) -> set[str]:
    return {slug(match.group(1)) for _, line in prose(page) if (match := HEADING.match(line))}


MARKDOWN = [README, *PAGES]
PYTHON_PAGES = [page for page in MARKDOWN if any(b.language == "python" for b in blocks(page))]
BASH_TESTS = [b for page in MARKDOWN for b in blocks(page) if b.language == "bash"
              and "test" in b.markers]


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=lambda page: page.name)
def test_python_blocks_run_in_order(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    try:
        for block in (b for b in blocks(page) if b.language == "python"):
            for name in block.needs:
                assert hasattr(ipssim, name), (
                    f"{block.where}: the block uses ipssim.{name}, which the public API lacks")
            # Padded so that a traceback gives the line in the page.
            code = compile("\n" * block.line + block.code, str(page), "exec")
            try:
                exec(code, namespace)
            except Exception as error:
                pytest.fail(f"{block.where}: {type(error).__name__}: {error}")
    finally:
        namespace.clear()  # results remove their spooled tables when they go


@pytest.mark.parametrize("block", BASH_TESTS, ids=lambda block: block.where)
def test_marked_bash_blocks_run(block: Block) -> None:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=BLOCK_SECONDS, check=False)
    assert done.returncode == 0, f"{block.where}: exit {done.returncode}\n{done.stderr[-2000:]}"


def test_every_block_marker_is_known() -> None:
    """A mistyped marker would leave a block untested without a word."""
    assert BASH_TESTS, "no bash block is marked to run"
    for page in MARKDOWN:
        for block in blocks(page):
            for marker in block.markers:
                if marker == "test":
                    assert block.language == "bash", f"{block.where}: 'test' marks bash blocks"
                elif marker.startswith("needs:"):
                    assert block.language == "python", f"{block.where}: 'needs' marks python"
                else:
                    pytest.fail(f"{block.where}: unknown marker {marker!r}")


def test_links_resolve() -> None:
    broken = []
    for page in [*MARKDOWN, *(ROOT / name for name in ("CONTRIBUTING.md", "CHANGELOG.md"))]:
        for number, line in prose(page):
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target):
                    continue  # a web address
                path, _, anchor = target.partition("#")
                file = (page.parent / path).resolve() if path else page
                if not file.exists():
                    broken.append(f"{page.relative_to(ROOT)}:{number}: {target} (no such file)")
                elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                    broken.append(f"{page.relative_to(ROOT)}:{number}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_every_page_is_in_the_site_navigation() -> None:
    def files(entries: list) -> list[str]:
        found = []
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            found += files(value) if isinstance(value, list) else [value]
        return found

    nav = files(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    assert sorted(nav) == sorted(page.name for page in PAGES)


def test_readme_is_short_and_keeps_its_two_commands() -> None:
    readme = README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    tests = [line for line in ci if line.startswith("python3.11 -m venv")]
    assert len(tests) == 1 and tests[0] in readme.splitlines(), ".ci/run runs the README's command 2"
    first = re.search(r"^python3\.11 -m venv .* && ipssim run (\S+)$", readme, re.MULTILINE)
    assert first is not None, "command 1 installs and runs a scenario"
    assert ipssim.load_scenario(ROOT / first.group(1)).name == "finland_pilot"


def test_outputs_page_names_every_summary_metric() -> None:
    from ipssim.vocabulary import SUMMARY_METRICS

    page = (DOCS / "outputs.md").read_text(encoding="utf-8")
    missing = {m for metrics in SUMMARY_METRICS.values() for m in metrics if f"`{m}`" not in page}
    assert not missing, f"docs/outputs.md does not describe {sorted(missing)}"


def citing_files() -> list[Path]:
    """Every text file that may cite a fact ID."""
    files = [*MARKDOWN, *ROOT.glob("*.md")]
    for folder in CITING:
        for path in (ROOT / folder).rglob("*"):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and path.suffix in TEXT_SUFFIXES and "__pycache__" not in parts \
                    and not any(part.startswith(".") for part in parts):
                files.append(path)
    return sorted(set(files))


def cited_fact_ids(files: list[Path]) -> dict[str, list[str]]:
    """Each fact ID cited in ``files``, with the files citing it."""
    cited: dict[str, list[str]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for fact in sorted(set(FACT_ID.findall(text)) - NOT_FACT_IDS):
            cited.setdefault(fact, []).append(str(path.relative_to(ROOT)))
    return cited


def register() -> dict[str, tuple[str, str]]:
    """The evidence register's rows: fact ID -> (what it is and its use, source)."""
    rows: dict[str, tuple[str, str]] = {}
    for number, line in prose(EVIDENCE):
        if row := REGISTER_ROW.match(line):
            fact, what, source = row.group(1), row.group(2).strip(), row.group(3).strip()
            assert fact not in rows, f"docs/evidence.md:{number}: {fact} is defined twice"
            assert what and source, f"docs/evidence.md:{number}: {fact} needs a text and a source"
            rows[fact] = (what, source)
    return rows


def test_every_cited_fact_id_is_defined_in_the_register() -> None:
    cited, defined = cited_fact_ids(citing_files()), register()
    missing = {fact: files for fact, files in cited.items() if fact not in defined}
    assert not missing, "not defined in docs/evidence.md:\n" + "\n".join(
        f"  {fact}: cited in {', '.join(files[:3])}" for fact, files in sorted(missing.items()))


def test_the_code_cites_facts_the_scan_finds() -> None:
    """The check above must not pass because the scan found nothing."""
    cited = cited_fact_ids(citing_files())
    assert {"STF-01", "TTJ-01", "OUT-B2", "EMP-09"} <= set(cited)
    assert any(f.startswith("ipssim/") for f in cited["STF-01"])
    assert any(f.startswith("scenarios/") for f in cited["EMP-09"])
    assert any(f.startswith("calibration/") for f in cited["TTJ-01"])
