"""A kernel zygote: one process imports the report stack once, then forks a Jupyter
kernel for every warm kernel that asks for one (:mod:`dspl_eval.kernels`).

Why. Each warm kernel started as its own Python process spent about 2 s of CPU before
its first notebook: ipykernel, then pandas, SciPy, statsmodels, matplotlib and
``dspl_eval`` (:data:`kernels.WARM_MODULES`). With two workers on two cores that was paid
twice, at the same moment, while the runner itself was starting. A fork of a process that
has imported them costs milliseconds, and the pages it shares stay shared.

How. :class:`Zygote` (owned by the runner, for one batch or a :func:`runner.shared_workers`
block) starts ``python -m dspl_eval.zygote SOCKET MODULES``, which imports the modules,
freezes them out of the garbage collector's sight and then listens on a Unix socket. The
runner puts the socket in ``DSPL_EVAL_ZYGOTE``; a :class:`kernels.WarmKernel` started
while it is set launches ``_zygote_launcher.py`` instead of ``ipykernel_launcher``, through
the same ``KernelManager`` (so connection files, channels, interrupt and shutdown are
jupyter_client's as before). The launcher sends its arguments, working folder,
environment and standard streams to the zygote, which forks; the child sets them as its
own and runs ``IPKernelApp`` exactly as ``ipykernel_launcher`` would. The launcher stays
as the kernel's stand-in: it passes on SIGINT (interrupt) and SIGTERM, and exits with the
kernel's status when the zygote reports it; a kernel whose launcher is gone (killed)
ends itself within a quarter of a second. When the zygote is not ready, not reachable or
fails, the launcher becomes ``ipykernel_launcher`` itself (``exec``): never worse than
before. ``DSPL_EVAL_ZYGOTE=off`` turns it off.

What a fork shares with its zygote and a fresh kernel would not: the imported modules'
state from before the kernel started (the zygote sets ``MPLBACKEND`` as ipykernel does
before importing matplotlib, and removes the working folder from ``sys.path`` as
``ipykernel_launcher`` does), and the random generators' state, which every reset
reseeds from the OS before each notebook (:func:`kernels._reset`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = "DSPL_EVAL_ZYGOTE"  # the socket of the running zygote ("off": never start one)
LAUNCHER = Path(__file__).with_name("_zygote_launcher.py")
_MESSAGE = 1 << 20  # bytes of one request at most (arguments, folder, environment)


def enabled() -> bool:
    """Whether the runner may start a zygote: on Linux only (it forks a process that has
    imported the scientific stack, which macOS's system libraries do not allow for and
    Windows cannot do; elsewhere kernels start as their own processes, as before), and
    unless ``DSPL_EVAL_ZYGOTE`` is ``off``."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "send_fds"):
        return False
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "no")


def socket_path() -> str | None:
    """The socket of the zygote this process's kernels should ask, if any."""
    if not enabled():
        return None
    value = os.environ.get(ENV, "").strip()
    return value if value and value.lower() not in ("off", "0", "no") else None


class Zygote:
    """One zygote process (see the module docstring); :meth:`close` ends it and every
    kernel it forked that is still running."""

    def __init__(self, modules: tuple[str, ...]) -> None:
        self.folder = tempfile.mkdtemp(prefix="dspl-eval-zygote-")
        self.path = os.path.join(self.folder, "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dspl_eval.zygote", self.path, json.dumps(list(modules))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.folder,
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.process.poll() is None:
                self.process.terminate()  # its handler ends the kernels it forked
                try:
                    self.process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=3)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running(modules: tuple[str, ...]):
    """A zygote for the block, its socket in ``DSPL_EVAL_ZYGOTE`` (for the processes
    forked or started inside it); nothing when one is running already or it is off."""
    if not enabled() or socket_path():
        yield
        return
    zygote = Zygote(modules)
    os.environ[ENV] = zygote.path
    os.environ[ENV + "_PID"] = str(zygote.process.pid)  # the launcher stops waiting if it goes
    try:
        yield
    finally:
        os.environ.pop(ENV, None)
        os.environ.pop(ENV + "_PID", None)
        zygote.close()


# --- the zygote process -----------------------------------------------------------------


def _serve(path: str, modules: list[str]) -> None:
    """Import ``modules``, then fork a kernel for each request until told to stop or the
    process that started it is gone."""
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]  # as ipykernel_launcher does (the kernel adds it back)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import gc
    import importlib
    import selectors
    import warnings

    import ipykernel.kernelapp  # noqa: F401
    import psutil  # noqa: F401  (the children's watch on their launcher)

    before = list(warnings.filters)
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    _FILTERS[:] = [before, [f for f in warnings.filters if f not in before]]
    gc.collect()
    gc.freeze()
    parent = os.getppid()
    children: dict[int, socket.socket] = {}

    def stop(*_: object) -> None:
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:  # reaped: no zombie, and their CPU time is counted as ours
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = path + ".binding"
    server.bind(partial)
    os.rename(partial, path)  # the socket appears only when it is ready
    server.listen(16)
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    while True:
        if os.getppid() != parent:
            stop()
        for _ in selector.select(timeout=0.2):
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            try:
                pid = _fork(conn, [server, *children.values()])
            except Exception:  # a request it cannot serve: the launcher falls back
                pid = 0
            if pid:
                children[pid] = conn
            else:
                conn.close()
        while children:  # report the kernels that ended to their launchers
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            conn = children.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                conn.close()


def _fork(conn: socket.socket, others: list[socket.socket]) -> int:
    """Read one request from ``conn`` and fork its kernel; the child's pid (in the
    parent), after telling the launcher. The child closes ``others`` (the listening
    socket, the other launchers' connections: a launcher must see the zygote go)."""
    conn.settimeout(10)
    message, fds, _, _ = socket.recv_fds(conn, _MESSAGE, 3)
    try:
        request = json.loads(message.decode("utf-8"))
        if len(fds) != 3 or not isinstance(request, dict):
            raise ValueError("not a launcher's request")
    except ValueError:  # (JSON and Unicode errors are ValueErrors): close what came with it
        for fd in fds:
            os.close(fd)
        conn.close()
        return 0
    pid = os.fork()
    if pid == 0:  # the kernel
        try:
            for other in [*others, conn]:
                other.close()
            _become_kernel(request, fds)
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    conn.settimeout(None)
    conn.sendall(f"{pid}\n".encode())
    return pid


def _become_kernel(request: dict, fds: list[int]) -> None:
    os.setsid()  # a session of its own, as jupyter_client starts kernels: a Ctrl-C in the
    # terminal reaches the runner, which ends everything, not the kernel mid-cell
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    _watch(int(request["launcher"]))
    argv = [str(a) for a in request["argv"]]
    if os.environ.get("JPY_PARENT_PID"):  # read when ipykernel was imported, in the zygote
        argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
    sys.argv = [request.get("argv0") or "ipykernel_launcher", *argv]
    import warnings

    from ipykernel.kernelapp import IPKernelApp

    before, imported = _FILTERS or [list(warnings.filters), []]
    warnings.filters[:] = before  # the kernel's filters first, then the imports' on top,
    app = IPKernelApp.instance()  # as when a kernel starts and then imports them
    app.initialize(argv)
    warnings.filters[:] = imported + [f for f in warnings.filters if f not in imported]
    warnings._filters_mutated()
    app.start()
    os._exit(0)


_FILTERS: list[list] = []  # the warning filters before the imports, and those they added


def _watch(launcher: int) -> None:
    """End this kernel as soon as its launcher has gone (killed, or a zombie)."""
    import threading

    import psutil

    def watch() -> None:
        while True:
            try:
                if psutil.Process(launcher).status() == psutil.STATUS_ZOMBIE:
                    os._exit(1)
            except psutil.Error:
                os._exit(1)
            time.sleep(0.25)

    threading.Thread(target=watch, name="dspl-eval-launcher-watch", daemon=True).start()


if __name__ == "__main__":
    _serve(sys.argv[1], json.loads(sys.argv[2]))
