"""The kernel command when a zygote runs (:mod:`dspl_eval.zygote`): ask it for a forked
kernel and stand in for it; else become ``ipykernel_launcher``. Run as a script (it
imports nothing of ``dspl_eval``, so it starts in milliseconds).

Usage (by jupyter_client): ``python _zygote_launcher.py SOCKET -f CONNECTION_FILE ...``.
"""

import contextlib
import json
import os
import signal
import socket
import sys
import time

WAIT = 60.0  # seconds to wait for the zygote's socket to appear (it is importing)


def _fallback(args):
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args])


def main():
    path, args = sys.argv[1], sys.argv[2:]
    deadline = time.monotonic() + WAIT
    zygote = os.environ.get("DSPL_EVAL_ZYGOTE_PID")
    while not os.path.exists(path):
        gone = zygote and not os.path.exists(f"/proc/{zygote}")
        if gone or time.monotonic() > deadline:
            _fallback(args)
        time.sleep(0.02)
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        request = {
            "argv": args,
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "launcher": os.getpid(),
        }
        socket.send_fds(conn, [json.dumps(request).encode("utf-8")], [0, 1, 2])
        reader = conn.makefile("rb")
        line = reader.readline()
        kernel = int(line)
    except Exception:
        _fallback(args)
        return

    def forward(signum, _frame):
        with contextlib.suppress(OSError):
            os.kill(kernel, signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    while True:
        try:
            line = reader.readline()
            break
        except InterruptedError:
            continue
    try:
        code = int(line)
    except ValueError:  # the zygote went away: so does its kernel
        forward(signal.SIGKILL, None)
        code = 1
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
