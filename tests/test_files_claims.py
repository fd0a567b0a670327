"""Claims on output places: a lock held on an open file, so only a live holder bars another
writer; what a lock file says is no bar, a removed lock is noticed by its holder, and no one
removes a lock another holds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ipssim.files import OutputError, claimed, write_text

HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ipssim.files import claimed
    with claimed(Path(sys.argv[1]), reuse=True):
        print("holding", flush=True)
        sys.stdin.read()  # until the test closes the pipe
""")


def _holder(out: Path) -> subprocess.Popen:
    """Another process that claims ``out`` and holds it until its stdin is closed; returns once
    it holds the claim."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = holder.stdout.readline()  # blocks until the claim is held or the process ends
    if line != "holding\n":
        holder.kill()
        pytest.fail(f"the holder did not claim {out}: {holder.communicate()[1][-2000:]}")
    return holder


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0, holder.stderr.read()


@pytest.mark.parametrize("content", ["garbage\n", "", "99999999", str(os.getppid()),
                                     str(os.getpid())],
                         ids=["garbage", "empty", "no-such-process", "live-parent", "this-one"])
def test_a_lock_file_no_live_process_holds_is_no_bar(tmp_path, content):
    """Whatever it says (a live unrelated process, this one, nonsense), a lock file that no
    process holds is taken over, and removed once the claim ends."""
    lock = tmp_path / ".out.lock"
    lock.write_text(content)
    with claimed(tmp_path / "out") as out:
        write_text(tmp_path / "written.txt", "x")
        assert lock.read_text() == str(os.getpid())
    assert out == tmp_path / "out"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["written.txt"]


def test_a_held_claim_is_refused_and_its_holder_named(tmp_path):
    holder = _holder(tmp_path / "out")
    try:
        with pytest.raises(OutputError, match=f"being written by another ipssim \\(process "
                                              f"{holder.pid}\\)"), claimed(tmp_path / "out"):
            pass
        assert (tmp_path / ".out.lock").exists()  # the refused one removed nothing
    finally:
        _release(holder)
    assert list(tmp_path.iterdir()) == []
    with claimed(tmp_path / "out"):  # free once its holder has gone
        pass


def test_a_claim_of_a_killed_process_is_no_bar(tmp_path):
    holder = _holder(tmp_path / "out")
    holder.kill()
    holder.wait(timeout=60)
    assert (tmp_path / ".out.lock").read_text() == str(holder.pid)  # left behind
    with claimed(tmp_path / "out"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_lock_removed_mid_run_stops_its_holder_and_no_one_removes_anothers(tmp_path):
    """Removing the lock file lets a second writer claim the place (nothing marks it any more),
    but the first stops at its next write instead of mixing its output with the second's, and
    on leaving removes nothing of the second's claim, which still bars a third."""
    out, lock = tmp_path / "out", tmp_path / ".out.lock"
    with claimed(out, reuse=True):
        out.mkdir()
        write_text(out / "before.csv", "a")
        lock.unlink()  # someone removes the lock mid-run
        second = _holder(out)
        try:
            with pytest.raises(OutputError, match=r"lock file .* was removed while this ipssim "
                                                   r"was writing"):
                write_text(out / "after.csv", "a")
            assert sorted(p.name for p in out.iterdir()) == ["before.csv"]
        except BaseException:
            _release(second)
            raise
    try:
        assert lock.read_text() == str(second.pid)  # the second's lock, left in place
        with pytest.raises(OutputError, match=f"process {second.pid}"), claimed(out, reuse=True):
            pass
    finally:
        _release(second)
    assert not lock.exists()


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_lock_path_that_is_not_a_file_is_one_line_and_left_alone(tmp_path, kind):
    lock, target = tmp_path / ".out.lock", tmp_path / "precious.txt"
    target.write_text("keep me")
    if kind == "symlink":
        lock.symlink_to(target)
    else:
        os.mkfifo(lock)
    with pytest.raises(OutputError, match=r"\.out\.lock is (a symbolic link|not a regular "
                                          r"file); remove it"), claimed(tmp_path / "out"):
        pass
    assert target.read_text() == "keep me" and os.path.lexists(lock)
