"""The one process pool: parallel map in order, Ctrl-C left to the parent, nothing orphaned.

Replications, compared scenarios, sized headcounts and calibration runs all go through
:func:`ordered_map`: on local processes (``--workers``, or a :func:`worker_pool` kept open across
calls) or on an existing Dask cluster (``--scheduler ADDRESS``, :func:`cluster`, which sweeps use
too). Results never depend on where they ran: every task is a pure function of its arguments.

Workers are spawned, not forked, so a thread of the parent (a progress display, a web server)
never leaves a lock held in a child. They ignore Ctrl-C: the parent alone stops. When the parent
stops early, for whatever reason, it terminates its workers at once instead of waiting for their
current task, and each worker also asks the kernel to kill it if its parent dies (a parent killed
with SIGKILL runs no code of its own), so no worker is ever left holding the parent's pipes.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import ctypes
import ctypes.util
import functools
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing import resource_tracker
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from ipssim._version import __version__, code_id
from ipssim.validation import InputError

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def default_workers() -> int:
    """All cores: the default number of worker processes."""
    return available_cores()


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def worker_pool(workers: int) -> Iterator[Pool | None]:
    """A pool of ``workers`` processes (``None`` for one worker: run in this process).

    Left normally, the pool finishes and joins; left by an exception (Ctrl-C, SIGTERM handled as
    an interrupt, an error), its workers are terminated at once.
    """
    if workers <= 1:
        yield None
        return
    refuse_unguarded_main(workers)
    # Multiprocessing's resource tracker is started first: starting it unblocks Ctrl-C in this
    # thread, so the workers started after it would be born unprotected (_interrupts_held).
    resource_tracker.ensure_running()
    with _interrupts_held() as held:
        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_setup,
                                                         initargs=(os.getpid(),))
    try:
        for stop in dict.fromkeys(held):  # raised now that the workers can be terminated
            signal.raise_signal(stop)
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def refuse_unguarded_main(workers: int) -> None:
    """Refuse to start worker processes from a script's top-level code outside an
    ``if __name__ == "__main__":`` block: each spawned worker runs the script's top level again
    to start up, would start workers of its own, fail, and be replaced, for ever.

    Read from the script's source: the top-level statement the script is executing now would
    run again in a worker unless an ``if`` around it tests ``__name__`` (or which process this
    is). An interactive session, ``python -c`` and ``python -m package`` re-run nothing.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if main is None or path is None or name == "__main__" or name.endswith(".__main__"):
        return
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    while frame is not None and not (frame.f_globals is vars(main)
                                     and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None or frame.f_lineno is None:
        return  # the script's top level has finished: nothing of it runs again
    try:
        statements = ast.parse(Path(path).read_bytes()).body
    except (OSError, SyntaxError, ValueError):
        return
    if not _skipped_in_worker(statements, frame.f_lineno):
        raise InputError(
            f"workers={workers} starts worker processes from the top level of {path} (line "
            f"{frame.f_lineno}), which each worker would run again, for ever; put the script's "
            "work under `if __name__ == \"__main__\":` (or use workers=1)")


def _skipped_in_worker(statements: list[ast.stmt], line: int) -> bool:
    """Whether the statement at ``line`` among ``statements`` is skipped when the module runs
    in a worker (as ``__mp_main__``)."""
    for node in statements:
        if not node.lineno <= line <= (node.end_lineno or node.lineno):
            continue
        if isinstance(node, ast.If):
            in_body = any(s.lineno <= line <= (s.end_lineno or s.lineno) for s in node.body)
            in_else = any(s.lineno <= line <= (s.end_lineno or s.lineno) for s in node.orelse)
            if not (in_body or in_else):
                return False  # the test itself is running
            worker = _test_in_worker(node.test)
            if worker is not None and worker != in_body:
                return True
            return _skipped_in_worker(node.body if in_body else node.orelse, line)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return False  # its decorators or bases are running, at the top level
        blocks = [getattr(node, key, None) for key in ("body", "orelse", "finalbody")]
        blocks += [h.body for h in getattr(node, "handlers", [])]
        blocks += [c.body for c in getattr(node, "cases", [])]
        inner = [s for block in blocks if isinstance(block, list) for s in block
                 if isinstance(s, ast.stmt)]
        return _skipped_in_worker(inner, line) if inner else False
    return False


def _test_in_worker(test: ast.expr) -> bool | None:
    """The value of an ``if`` test in a worker, where ``__name__`` is ``"__mp_main__"``: computed
    when it uses ``__name__`` and constants only; False, as a guard's, when it asks which
    process this is in another way; None when it is the same in every process."""
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    source = ast.unparse(test)
    if names == {"__name__"} and all(isinstance(n, ast.Name | ast.Constant | ast.Compare
                                                | ast.BoolOp | ast.UnaryOp | ast.Tuple
                                                | ast.List | ast.Set | ast.expr_context
                                                | ast.cmpop | ast.boolop | ast.unaryop)
                                     for n in ast.walk(test)):
        return bool(eval(compile(ast.Expression(test), "<guard>", "eval"),
                         {"__builtins__": {}, "__name__": "__mp_main__"}))
    if "__name__" in names or "parent_process" in source or "current_process" in source:
        return False
    return None


STOPS = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C and SIGTERM: the signals that stop a run (the command line handles SIGTERM as Ctrl-C)."""


@contextmanager
def _interrupts_held() -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM held off while workers start. Ctrl-C reaches the whole process group:
    both are blocked in this thread, whose mask the workers inherit (they ignore Ctrl-C before
    unblocking them), so none can die of it mid-start-up; and, in the main thread, one that
    another thread of this process catches meanwhile is noted in the list yielded instead of
    being raised half-way through starting them (a worker left without its start-up data
    prints a traceback)."""
    held: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.getsignal(s) for s in STOPS} if main else {}
    noted = {s: h for s, h in previous.items() if h is not None}  # None: set outside Python
    for stop in noted:
        signal.signal(stop, lambda signum, frame: held.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield held
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # one pending is noted here
        for stop, handler in noted.items():
            signal.signal(stop, handler)


class ClusterError(InputError):
    """A Dask cluster that cannot be used (unreachable, another ipssim, no dask installed)."""


CONNECT_SECONDS = 5.0
"""How long a Dask scheduler has to accept a connection, and again to answer who it is."""


@contextmanager
def cluster(scheduler: str) -> Iterator[Any]:
    """A Dask client of the existing cluster whose scheduler is at ``scheduler``; its workers
    must run this ipssim's code (checked, since results must not depend on where they ran). An
    address where no Dask scheduler answers within seconds is refused in
    one line (:func:`check_scheduler`)."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("--scheduler needs Dask: pip install -e \".[dask]\"") from None
    check_scheduler(scheduler)
    try:
        client = Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"--scheduler: cannot reach a Dask scheduler at {scheduler} "
                           f"({str(exc).splitlines()[0][:200]})") from None
    try:
        workers = set(client.run(_software).values())
        if {code for _, code in workers} != {code_id}:
            raise ClusterError(f"--scheduler: the workers at {scheduler} run ipssim "
                               f"{', '.join(sorted(map(_named, workers))) or '(no workers)'}; "
                               f"this is {_named(_software())}")
        yield client
    finally:
        client.close()


def check_scheduler(scheduler: str) -> None:
    """Refuse, in one line and within about ``2 * CONNECT_SECONDS``, an address that accepts no
    connection, or whose server does not answer Dask's handshake and ``identity`` request as a
    Dask scheduler does (a web server, or anything else: its bytes read as Dask's frames can ask
    for exabytes, and a server waiting for more says nothing at all). The exchange runs on an
    event loop of its own in a thread of its own, so it works where a loop is already running
    (a notebook)."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        try:
            reply = thread.submit(asyncio.run, _identity(scheduler)).result()
        except _Unreachable:
            raise ClusterError(f"--scheduler: cannot reach a Dask scheduler at {scheduler} "
                               f"(no connection within {CONNECT_SECONDS:g} s)") from None
        except Exception as exc:  # whatever the bytes were, they were not Dask's
            reason = (f"no answer within {2 * CONNECT_SECONDS:g} s"
                      if isinstance(exc, TimeoutError) else "it answers in another protocol")
            raise ClusterError(f"--scheduler: {scheduler} is not a Dask scheduler ({reason})"
                               ) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        found = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
        raise ClusterError(f"--scheduler: {scheduler} is not a Dask scheduler (it answers as "
                           f"{str(found)[:40]!r})")


class _Unreachable(Exception):
    """No connection could be made."""


async def _identity(scheduler: str) -> object:
    """What the server at ``scheduler`` says it is, asked as Dask asks (a bounded wait)."""
    from distributed.comm import CommClosedError, connect
    from distributed.comm.core import FatalCommClosedError

    async def ask() -> object:
        try:
            comm = await connect(scheduler, timeout=CONNECT_SECONDS)
        except (CommClosedError, FatalCommClosedError):
            raise  # connected, then closed by the server: not a Dask scheduler
        except OSError:
            raise _Unreachable from None
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    return await asyncio.wait_for(ask(), 2 * CONNECT_SECONDS)


def _software() -> tuple[str, str]:
    """This process's ipssim: its version and its code. Workers must have the same code; their
    version may differ where the code does not (another commit that left the package alone, or a
    checkout with edits elsewhere: ``.dirty``)."""
    return __version__, code_id


def _named(software: tuple[str, str]) -> str:
    version, code = software
    return f"{version} (code {code})"


def ordered_map(fn: Callable, *iterables: Iterable, workers: int = 1, pool: Pool | None = None,
                scheduler: str | None = None) -> Iterator:
    """``map(fn, *iterables)`` on ``workers`` processes, on an open ``pool``, or on the Dask
    cluster at ``scheduler``; results in input order.

    One call per task: each task is a replication or a parameter set (a tenth of a second or
    more), which keeps every worker busy to the end.
    """
    tasks = list(zip(*iterables, strict=True))
    call = functools.partial(_call, fn)
    if scheduler is not None:
        with cluster(scheduler) as client:
            futures = client.map(call, tasks, pure=False)
            try:
                for future in futures:
                    yield future.result()
                    future.release()
            finally:
                client.cancel(futures)
        return
    if pool is not None:
        yield from pool.imap(call, tasks, chunksize=1)
        return
    with worker_pool(min(workers, len(tasks))) as own:
        yield from (map(call, tasks) if own is None else own.imap(call, tasks, chunksize=1))


def _call(fn: Callable, args: tuple) -> object:
    return fn(*args)


def _worker_setup(parent: int) -> None:
    """In each worker: ignore Ctrl-C (the parent handles it) and die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
