"""Safe to interrupt, one run at a time (issue 14.2).

Ctrl-C (SIGINT) during ``dspl-eval run`` stops the queue at once, ends the worker
processes and their kernels, removes the staging folder, leaves the published pack byte
for byte as it was, prints one line and exits 130. A second run on the same term folder
refuses while the first holds ``reports/<term>/.dspl-eval.lock``; a lock left by a process
that is no longer running is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dspl_eval import cli, runner
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.paths import lock_file

TERM = "2023-24-summer"
BIN = Path(sys.executable).parent
DSPL_EVAL = BIN / ("dspl-eval.exe" if os.name == "nt" else "dspl-eval")

try:
    import psutil
except ImportError:  # pragma: no cover - psutil comes with ipykernel
    psutil = None


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (psutil if installed, else /proc)."""
    if psutil is not None:
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _alive(pid: int) -> bool:
    if psutil is not None:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _command(pid: int) -> str:
    try:
        if psutil is not None:
            return " ".join(psutil.Process(pid).cmdline())
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except Exception:
        return ""


def _parent(pid: int) -> int:
    try:
        if psutil is not None:
            return psutil.Process(pid).ppid()
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except Exception:
        return 0


def _is_kernel(pid: int) -> bool:
    """A kernel: ``ipykernel_launcher``, or a fork of the kernel zygote (it keeps the
    zygote's command line, and its parent is the zygote)."""
    command = _command(pid)
    if "ipykernel_launcher" in command:
        return True
    return "dspl_eval.zygote" in command and "dspl_eval.zygote" in _command(_parent(pid))


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- the lock (fast) ----------------------------------------------------------------


def test_a_second_run_refuses_while_a_live_process_holds_the_lock(tmp_path, capsys):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = lock_file(tmp_path / "reports", TERM)
        lock.parent.mkdir(parents=True)
        lock.write_text(
            json.dumps({"pid": holder.pid, "started": "2024-01-05 09:30:00 +0000"}), "utf-8"
        )
        argv = ["run", "--term", TERM, "--data", str(tmp_path / "data")]
        code = cli.main([*argv, "--reports", str(tmp_path / "reports"), "--initiative", "ebsa"])
        err = capsys.readouterr().err
        assert code == 1
        (line,) = err.splitlines()
        assert f"pid {holder.pid}" in line and "started 2024-01-05 09:30:00" in line
        assert "another dspl-eval run" in line
        assert lock.is_file(), "the other run's lock is left alone"
        assert sorted(p.name for p in lock.parent.iterdir()) == [lock.name], "nothing done"
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_from_a_dead_process_is_removed(tmp_path, capsys):
    lock = lock_file(tmp_path / "reports", TERM)
    lock.parent.mkdir(parents=True)
    dead = _dead_pid()
    lock.write_text(json.dumps({"pid": dead, "started": "2024-01-05 09:30:00 +0000"}), "utf-8")
    with runner.RunLock(lock):
        holder = json.loads(lock.read_text("utf-8"))
        assert holder["pid"] == os.getpid() and holder["started"]
    assert not lock.exists(), "the lock is removed when the run ends"
    out = capsys.readouterr().out
    assert f"removed a stale lock left by a run that is no longer going on (pid {dead}" in out


def test_the_lock_is_exclusive_within_one_machine(tmp_path):
    lock = tmp_path / "term" / ".dspl-eval.lock"
    with runner.RunLock(lock):
        other = runner.RunLock(lock)
        other_pid = os.getpid()
        # the same pid counts as alive: a nested run in one process refuses too
        lock.write_text(json.dumps({"pid": other_pid + 0, "started": "x"}), "utf-8")
        with pytest.raises(runner.RunLocked, match=f"pid {other_pid}, started x"):
            other.acquire()
    assert not lock.exists() and not lock.parent.exists()


def test_a_half_written_lock_is_not_taken_over_at_once(tmp_path):
    lock = tmp_path / ".dspl-eval.lock"
    lock.write_text("", "utf-8")
    with pytest.raises(runner.RunLocked):
        runner.RunLock(lock).acquire()
    old = time.time() - 60
    os.utime(lock, (old, old))
    with runner.RunLock(lock):
        assert json.loads(lock.read_text("utf-8"))["pid"] == os.getpid()


# --- Ctrl-C on a real run (slow) ------------------------------------------------------


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    """Ingested demo data and a "published" pack (made by hand: any bytes will do)."""
    root = tmp_path_factory.mktemp("interrupt")
    done = subprocess.run(
        [str(DSPL_EVAL), "demo", "--no-run", "--data", "data", "--reports", "reports"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    pack = root / "reports" / TERM / "commissioner"
    pack.mkdir(parents=True)
    (pack / "index.html").write_text("<!doctype html><title>last term's pack</title>", "utf-8")
    (pack / "ebsa.html").write_text("<!doctype html><title>EBSA</title>", "utf-8")
    (pack / "summary.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    return root


def _start_run(folder: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(DSPL_EVAL), "run", "--term", TERM, "--data", "data", "--reports", "reports", *extra],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_kernels(process: subprocess.Popen, count: int, timeout: float = 120) -> list[int]:
    """Wait until ``count`` kernels are running under ``process``; its whole tree then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        tree = _descendants(process.pid)
        if sum(_is_kernel(pid) for pid in tree) >= count:
            return tree
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"no {count} kernels started within {timeout} s")


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_ctrl_c_ends_everything_and_leaves_the_pack_untouched(demo_folder):
    term_root = demo_folder / "reports" / TERM
    pack = term_root / "commissioner"
    before = snapshot(pack)
    first = _start_run(demo_folder, "--jobs", "2")
    tree = _wait_for_kernels(first, 2)

    # one run at a time: a second run on the same folder refuses, naming the first
    second = subprocess.run(
        [str(DSPL_EVAL), "run", "--term", TERM, "--data", "data", "--reports", "reports"],
        cwd=demo_folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 1
    assert f"another dspl-eval run (pid {first.pid}, started " in second.stderr
    assert "Traceback" not in second.stderr

    interrupted = time.monotonic()
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=10)
    took = time.monotonic() - interrupted
    assert first.returncode == 130, (out, err)
    assert took < 10
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime((pack / "index.html").stat().st_mtime))
    assert err.splitlines() == [
        f"interrupted: nothing of {TERM}'s commissioner edition was published; its last pack, "
        f"from {when}, is unchanged"
    ], err
    time.sleep(0.5)
    left = [pid for pid in tree if _alive(pid)]
    assert not left, f"processes left running: {left}"
    assert snapshot(pack) == before, "the published pack changed"
    assert not [p.name for p in term_root.iterdir() if p.name.startswith(".")], "staging or lock"
    # the queue stopped at once: reports were still queued, and not every report finished
    # (warm kernels may finish one or two between the kernels starting and the Ctrl-C)
    assert "queued" in out and out.count("done in") < len(INITIATIVES), out


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_a_second_ctrl_c_does_not_hang(demo_folder, tmp_path):
    reports = tmp_path / "reports"  # no pack published yet here
    run = subprocess.Popen(
        [
            *(str(DSPL_EVAL), "run", "--term", TERM, "--data", str(demo_folder / "data")),
            *("--reports", str(reports), "--jobs", "2", "--initiative", "ebsa", "elsa", "nqt"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree = _wait_for_kernels(run, 1)
    started = time.monotonic()
    run.send_signal(signal.SIGINT)
    time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=10)
    assert time.monotonic() - started < 10
    assert run.returncode == 130
    assert err.splitlines() == [
        f"interrupted: nothing of {TERM}'s commissioner edition was published; it had no pack yet"
    ]
    time.sleep(0.5)
    assert not [pid for pid in tree if _alive(pid)]
    assert not (reports / TERM / "commissioner").exists()
    assert not [p for p in (reports / TERM).iterdir() if p.name.startswith(".")]
