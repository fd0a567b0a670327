"""Writing results: the one atomic writer, the output-folder check and the manifest.

Nothing a command writes ever looks complete before it is: every file is written under a hidden
temporary name beside its final one (``.<name>.partial-<pid>``) and renamed into place, and a run's
folder is built the same way as a whole (:func:`atomic_folder`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ipssim._version import __version__, code_id

PARQUET_COMPRESSION = "zstd"
"""Codec of every Parquet file the outputs write (zstd at pyarrow's default level: smaller files
than pyarrow's default, snappy, at about the same writing time; see README "Speed")."""

PARTIAL = ".partial-"
"""Marks a temporary name: ``.<name>.partial-<pid>`` (:func:`partial_path`)."""


class OutputError(ValueError):
    """An output path that cannot be used; the message is one line."""


def partial_path(path: Path) -> Path:
    """The hidden temporary name beside ``path`` that this process writes it under."""
    path = Path(path)
    return path.with_name(f".{path.name}{PARTIAL}{os.getpid()}")


def remove_partials(folder: Path) -> None:
    """Remove what an interrupted writer left in ``folder`` (its hidden temporary files)."""
    for stale in Path(folder).glob(f".*{PARTIAL}*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary path)``, then rename the file into place; on any failure remove it."""
    path = Path(path)
    partial = partial_path(path)
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, document: dict) -> None:
    write_text(path, json.dumps(document, indent=2, default=str) + "\n")


def write_parquet(path: Path, table: pa.Table) -> None:
    atomic_write(path, lambda p: pq.write_table(table, p, compression=PARQUET_COMPRESSION))


def parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    """A Parquet writer with the outputs' codec, for a table written in row groups."""
    return pq.ParquetWriter(path, schema, compression=PARQUET_COMPRESSION)


def write_table_csv(path: Path, table: pa.Table) -> None:
    """An Arrow table as CSV (pyarrow's writer, for the long tables)."""
    atomic_write(path, lambda p: pacsv.write_csv(table, p))


def write_csv(path: Path, columns: dict[str, list]) -> None:
    """A table of equal-length columns as CSV (floats written exactly, ``inf`` for infinity)."""
    def write(partial: Path) -> None:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in zip(*columns.values(), strict=True):
                writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    atomic_write(path, write)


MIN_FREE_BYTES = 200 * 1024 * 1024
"""Free space a command needs where it writes (a large run writes tens of megabytes)."""


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def claimed(out: Path, *, kind: str = "folder", reuse: bool = False,
            min_free_bytes: int = MIN_FREE_BYTES) -> Iterator[Path]:
    """Hold the output place ``out`` for this process, before any work starts.

    Checks it first (a new or empty folder, or with ``reuse`` a folder this command resumes or
    updates; a new file for ``kind="file"``), that its folder can be written and has room, and
    clears what dead processes left for the same name (hidden ``.partial`` copies, stale claims).
    The claim is a lock file beside ``out`` (``.<name>.lock``, created atomically), released when
    the block ends; a second command writing to the same place meanwhile is refused.
    """
    out = Path(out)
    if out.is_symlink():
        raise OutputError(f"--out: {out} is a symbolic link; give a real path")
    if kind == "file":
        check_out_file(out)
    elif not reuse:
        check_out_dir(out)
    elif out.exists() and not out.is_dir():
        raise OutputError(f"--out: {out} is a file; give a folder")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"--out: {parent} is not a folder") from None
    except OSError as exc:
        raise OutputError(f"--out: cannot create {parent} ({exc.strerror})") from None
    _clear_dead(parent, out.name)
    lock = parent / f".{out.name}.lock"
    try:
        handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        owner = _lock_owner(lock)
        raise OutputError(f"--out: {out} is being written by another ipssim (process {owner}); "
                          "wait for it to finish or choose another place") from None
    except OSError as exc:
        raise OutputError(f"--out: cannot write in {parent} ({exc.strerror})") from None
    try:
        os.write(handle, str(os.getpid()).encode())
        os.close(handle)
        free = shutil.disk_usage(parent).free
        if free < min_free_bytes:
            raise OutputError(f"--out: only {free / 2**20:.0f} MB free in {parent}; at least "
                              f"{min_free_bytes / 2**20:.0f} MB needed")
        yield out
    finally:
        lock.unlink(missing_ok=True)


def _lock_owner(lock: Path) -> str:
    try:
        return lock.read_text().strip() or "?"
    except OSError:
        return "?"


def _clear_dead(folder: Path, name: str) -> None:
    """Remove the claim and the partial copies of ``name`` whose process is gone."""
    lock = folder / f".{name}.lock"
    owner = _lock_owner(lock) if lock.exists() else ""
    if owner.isdigit() and not process_alive(int(owner)):
        lock.unlink(missing_ok=True)
    for stale in folder.glob(f".{name}{PARTIAL}*"):
        pid = stale.name.rsplit(PARTIAL, 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def check_out_dir(out: Path) -> None:
    """Refuse a path that is a file or a folder that already has something in it."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"--out: {out} already exists and is not an empty folder; "
                          "choose a new or empty folder")


def check_out_file(out: Path) -> None:
    """Refuse an output file that already exists (a command that writes one file)."""
    if Path(out).exists():
        raise OutputError(f"--out: {out} already exists; choose a new file")


def default_out(name: str, prefix: str = "", suffix: str = "", root: Path = Path("outputs"),
                now: datetime | None = None) -> Path:
    """``outputs/<prefix><name>-<local time><suffix>``: a new place for each run."""
    now = now or datetime.now().astimezone()
    return root / f"{prefix}{name}-{now.strftime('%Y%m%d-%H%M%S')}{suffix}"


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A hidden sibling folder to write into, renamed to ``out`` only when the block succeeds."""
    out = Path(out)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(out)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        yield partial
        if out.exists():
            out.rmdir()
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def sha256_of(*paths: Path) -> str:
    """SHA-256 of the bytes of ``paths``, one after the other."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


class Manifest:
    """What reproduces a run: started when the work starts, written with the outputs.

    ``record(**fields)`` adds the command's own fields (inputs and their hashes, seed,
    replications, ...); :meth:`document` adds the version, the start time and the wall time.
    """

    def __init__(self, **fields: object) -> None:
        self.started = datetime.now(UTC)
        self._clock = time.perf_counter()
        self.fields = dict(fields)

    def record(self, **fields: object) -> None:
        self.fields.update(fields)

    @property
    def wall_seconds(self) -> float:
        return round(time.perf_counter() - self._clock, 3)

    def document(self) -> dict:
        return {**self.fields, "ipssim_version": __version__,
                "ipssim_code_id": code_id, "created": self.started.isoformat(timespec="seconds"),
                "wall_seconds": self.wall_seconds}
