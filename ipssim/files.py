"""Writing results: the one atomic writer, the output-folder check and the manifest.

Nothing a command writes ever looks complete before it is: every file is written under a hidden
temporary name beside its final one (``.<name>.partial-<pid>``) and renamed into place, and a run's
folder is built the same way as a whole (:func:`atomic_folder`).
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ipssim._version import __version__, code_id
from ipssim.validation import read_file

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
    """Call ``write(temporary path)``, then rename the file into place (unless this process's
    claim on its place was lost: :func:`check_claims`); on any failure remove it."""
    path = Path(path)
    partial = partial_path(path)
    try:
        write(partial)
        check_claims()
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


_scratch_folder: ContextVar[Path | None] = ContextVar("scratch_folder", default=None)
"""Where :func:`scratch_file` puts its files: beside the output place being written, if any."""

_held: dict[Path, tuple[int, int]] = {}
"""The lock files of this process's claims, with the (device, inode) each was locked on."""


@contextmanager
def claimed(out: Path, *, kind: str = "folder", reuse: bool = False,
            min_free_bytes: int = MIN_FREE_BYTES) -> Iterator[Path]:
    """Hold the output place ``out`` for this process, before any work starts.

    Checks it first (a new or empty folder, or with ``reuse`` a folder this command resumes or
    updates; a new file for ``kind="file"``), that its folder can be written and has room, and
    clears what dead processes left for the same name (hidden ``.partial`` copies).

    The claim is a lock (``flock``) held on an open file beside ``out`` (``.<name>.lock``): a
    second command writing to the same place meanwhile is refused, and the kernel releases the
    lock when its process ends however it ends, so a lock file left by a dead process, or one
    holding anything else, is no bar. Should the file be removed while held (letting another
    command lock a new one), the next file this process writes stops with an OutputError
    (:func:`atomic_write`). Meanwhile :func:`scratch_file` puts its files beside ``out``.
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
    lock = parent / f".{out.name}.lock"
    handle = _lock(lock, out)
    try:
        _held[lock] = _identity(os.fstat(handle))
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        _clear_dead(parent, out.name)
        free = shutil.disk_usage(parent).free
        if free < min_free_bytes:
            raise OutputError(f"--out: only {free / 2**20:.0f} MB free in {parent}; at least "
                              f"{min_free_bytes / 2**20:.0f} MB needed")
        scratch = _scratch_folder.set(parent)
        try:
            yield out
        finally:
            _scratch_folder.reset(scratch)
    finally:
        if _still_ours(lock):  # never remove a lock file another process holds
            lock.unlink(missing_ok=True)
        _held.pop(lock, None)
        os.close(handle)


def _lock(lock: Path, out: Path) -> int:
    """An open descriptor of ``lock`` holding its exclusive ``flock``; OutputError if another
    process holds it. Retries when the file it locked was meanwhile removed or replaced (by a
    holder releasing it), so the lock held is always the one the path names."""
    for _ in range(100):
        try:
            handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
                             | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(f"--out: {lock} is a symbolic link; remove it") from None
            raise OutputError(f"--out: cannot write in {lock.parent} ({exc.strerror})") from None
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise OutputError(f"--out: {lock} is not a regular file; remove it")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(handle, 20, 0).decode(errors="replace").strip() or "?"
                raise OutputError(f"--out: {out} is being written by another ipssim (process "
                                  f"{owner}); wait for it to finish or choose another place"
                                  ) from None
            if _still_named(lock, os.fstat(handle)):
                return handle
        except BaseException:
            os.close(handle)
            raise
        os.close(handle)
    raise OutputError(f"--out: cannot lock {lock}: it keeps being replaced")


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


def _still_named(lock: Path, status: os.stat_result) -> bool:
    """Whether the path ``lock`` still names the file whose status is ``status``."""
    try:
        return _identity(os.lstat(lock)) == _identity(status)
    except FileNotFoundError:
        return False


def _still_ours(lock: Path) -> bool:
    """Whether this process's claim on ``lock`` still holds (the path names the file it locked)."""
    held = _held.get(lock)
    try:
        return held is not None and _identity(os.lstat(lock)) == held
    except FileNotFoundError:
        return False


def check_claims() -> None:
    """Stop, in one line, if a lock file of this process's claims was removed or replaced while
    held: another command may since have claimed the same place."""
    for lock in list(_held):
        if not _still_ours(lock):
            raise OutputError(f"--out: the lock file {lock} was removed while this ipssim was "
                              "writing; stopped so that no other command's output mixes with "
                              "this one's")


def scratch_file() -> IO[bytes]:
    """A temporary file that has no name (nothing is left behind, whatever ends the process):
    beside the output place this process has claimed, whose room was checked, or else in the
    system's temporary folder."""
    return tempfile.TemporaryFile(dir=_scratch_folder.get())


def _clear_dead(folder: Path, name: str) -> None:
    """Remove the partial copies of ``name`` whose process is gone."""
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
        check_claims()
        if out.exists():
            out.rmdir()
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def sha256_of(*paths: Path) -> str:
    """SHA-256 of the bytes of the input files ``paths``, one after the other (read as every
    input file is: :func:`ipssim.validation.read_file`)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(read_file(Path(path), "input"))
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
