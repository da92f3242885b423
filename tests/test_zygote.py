"""The kernel zygote (:mod:`dspl_eval.zygote`): kernels forked from it are interrupted,
shut down and ended like kernels started on their own, and without a reachable zygote
the launcher becomes ``ipykernel_launcher`` itself. (That a forked kernel runs notebooks
exactly as a fresh one does is tested with every warm-kernel test in test_kernels.py.)"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest
from jupyter_core.utils import run_sync

from dspl_eval import kernels, zygote

pytestmark = pytest.mark.slow  # starts kernels


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.delenv(zygote.ENV, raising=False)
    monkeypatch.delenv(zygote.ENV + "_PID", raising=False)
    return tmp_path


def _kernel_below(launcher: int) -> psutil.Process | None:
    """The kernel this block's zygote forked (the one running: only one is started)."""
    children = psutil.Process(int(os.environ[zygote.ENV + "_PID"])).children()
    return children[0] if len(children) == 1 and children[0].pid != launcher else None


def _gone(process: psutil.Process, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_a_forked_kernel_is_interrupted_and_ends_with_its_launcher(folder):
    with zygote.running(("numpy",)):
        kernel = kernels.WarmKernel(folder).start(60, ("numpy",))
        try:
            forked = _kernel_below(kernel.pid)
            assert forked is not None, "the kernel is a fork of the zygote"
            assert os.getcwd() != str(folder)
            kernel._run(f"import os\nassert os.getcwd() == {str(folder)!r}")  # its folder

            # an interrupt (SIGINT to the launcher's group) reaches the forked kernel
            started = time.monotonic()
            msg_id = kernel.kc.execute("import time\ntime.sleep(60)")
            time.sleep(0.5)
            run_sync(kernel.km.interrupt_kernel)()
            reply = run_sync(kernel.kc._async_get_shell_msg)(timeout=20)
            assert reply["parent_header"]["msg_id"] == msg_id
            assert reply["content"]["ename"] == "KeyboardInterrupt"
            assert time.monotonic() - started < 20
            kernel._run("x = 1")  # and it is still alive

            # the launcher killed outright: the kernel ends by itself
            os.kill(kernel.pid, signal.SIGKILL)
            assert _gone(forked), "a kernel whose launcher is gone ends"
        finally:
            kernel.shutdown()


def test_without_a_reachable_zygote_the_launcher_becomes_ipykernel(folder, monkeypatch):
    dead = psutil.Popen(["true"])
    dead.wait()
    monkeypatch.setenv(zygote.ENV, str(folder / "no-such-socket"))
    monkeypatch.setenv(zygote.ENV + "_PID", str(dead.pid))
    kernel = kernels.WarmKernel(folder).start(60, ())
    try:
        command = " ".join(psutil.Process(kernel.pid).cmdline())
        assert "ipykernel_launcher" in command and "_zygote_launcher" not in command
        kernel._run("y = 2")
    finally:
        kernel.shutdown()


def test_closing_the_zygote_ends_the_kernels_it_forked(folder):
    with zygote.running(("numpy",)):
        kernel = kernels.WarmKernel(folder).start(60, ("numpy",))
        forked = _kernel_below(kernel.pid)
        assert forked is not None
    try:
        assert _gone(forked), "no kernel outlives the zygote's block"
        assert not os.environ.get(zygote.ENV)
    finally:
        kernel.shutdown()


def test_a_request_the_zygote_cannot_serve_is_closed_and_it_keeps_serving(folder):
    import socket

    with zygote.running(("numpy",)):
        path = os.environ[zygote.ENV]
        deadline = time.monotonic() + 60
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        junk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        junk.connect(path)
        junk.sendall(b"not a request")  # no standard streams passed with it
        junk.settimeout(10)
        assert junk.recv(100) == b"", "closed: a launcher would fall back"
        junk.close()
        kernel = kernels.WarmKernel(folder).start(60, ("numpy",))
        try:
            assert _kernel_below(kernel.pid) is not None, "the next kernel is still forked"
        finally:
            kernel.shutdown()


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_off_linux_no_zygote_is_started_and_kernels_start_as_before(folder, monkeypatch, platform):
    monkeypatch.setattr(zygote.sys, "platform", platform)
    assert not zygote.enabled()
    with zygote.running(("numpy",)):
        assert zygote.ENV not in os.environ, "no zygote started"
        monkeypatch.setenv(zygote.ENV, "/tmp/some-socket")  # even if one is named
        assert zygote.socket_path() is None


def test_a_reset_right_after_an_error_is_asked_again_not_taken_for_a_broken_kernel(folder):
    """ipykernel aborts requests that reach it before it has finished failing a cell
    ("stop_on_error"); CI once failed on that race after an interrupt. Sending the reset
    while the failing cell is still queued makes the race certain: the reset is aborted,
    asked again, and runs."""
    kernel = kernels.WarmKernel(folder).start(60, ())
    try:
        kernel.kc.execute("import time; time.sleep(0.3); raise ValueError('a cell failed')")
        kernel._run("x = 1")
        kernel._run("assert x == 1")
    finally:
        kernel.shutdown()
