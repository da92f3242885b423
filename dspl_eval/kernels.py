"""Warm kernels: each worker process starts one Jupyter kernel, imports the stack once,
then runs notebook after notebook in it.

Why. A report spends more time getting ready (starting a kernel, importing pandas, SciPy,
statsmodels, matplotlib and ``dspl_eval``) than computing. papermill starts and shuts
down a kernel for every notebook; reuse is only possible through a custom engine
(nteract/papermill issues 326, 583 and 616).

How: a custom papermill engine, not nbclient directly. :func:`run_notebook` calls
``papermill.execute_notebook`` as before, with ``engine_name="dspl_eval_warm"``. The
engine (:class:`WarmEngine`) is papermill's own ``NBClientEngine`` except that its
``PapermillNotebookClient`` is handed the already-running kernel's manager *and* client
(nbclient's ``NotebookClient`` would otherwise open a new client per notebook and, owning
no manager, never close it). Everything else is papermill's: the injected-parameters cell,
``nb.metadata.papermill``, per-cell ``metadata.papermill``, the error cell at the top of a
failed notebook, :class:`papermill.PapermillExecutionError` and the autosave. So the
executed notebook, the HTML export, ``runner.extract_summary`` and the audit see exactly
what they saw with a fresh kernel. Using nbclient directly would have meant re-writing
all of that (and keeping it in step with papermill).

Isolation between notebooks (:func:`_reset`, run inside the kernel before each one, as a
silent execution that stores no history):

- the user namespace is cleared with IPython's ``reset(new_session=True)`` (which also
  empties ``In``/``Out`` and sets the execution count back to 1, so the cells are numbered
  as in a fresh kernel);
- matplotlib: every pyplot figure is closed and ``rcParams`` (and the units registry) are
  put back to the state right after the imports; pandas options, numpy's print and error
  settings, warning filters (and the "already shown" registries, so a warning is shown
  again as in a fresh kernel), IPython display formatters and event callbacks,
  ``os.environ``, ``sys.path``, ``sys.argv`` and the working directory likewise; Python's
  and numpy's global random generators are reseeded from the OS, as a fresh kernel's are;
- ``dspl_eval``: every ``functools.cache``/``lru_cache`` defined in a loaded ``dspl_eval``
  module (or on a class in one) is cleared, and a module may define
  ``_reset_between_notebooks()``, which is called. Found when this was written: only
  ``export.html_exporter`` (configuration only) and ``audit._fixed_wording`` (source
  text only); neither depends on a term or an audience and neither is loaded in a kernel.
  No module-level dict or list in ``dspl_eval`` is filled at run time.

Where a kernel comes from: while the runner runs a batch it keeps a kernel zygote
(:mod:`dspl_eval.zygote`), which imported the report stack once; each worker's kernel is
then a fork of it, launched through the same ``KernelManager`` (the kernel command becomes
the zygote's launcher, which falls back to ``ipykernel_launcher``). Outside the runner
(and with ``DSPL_EVAL_ZYGOTE=off``) a kernel is started as its own process.

Bounded reuse: a kernel runs at most :func:`max_runs` notebooks (``DSPL_EVAL_KERNEL_RUNS``,
default :data:`DEFAULT_RUNS`) and is replaced after any failure (a notebook error, a
timeout, a dead kernel, a reset that did not work), so a failing notebook never poisons
the next one. It is also replaced, not reset, after a notebook imported pyplot or seaborn
for the first time (:data:`HOOKING_MODULES`: pyplot hooks into IPython when first
imported, which a reset cannot undo and a fresh kernel would do again); the warm-up never
imports them.

What the warm-up imports (:func:`warm_modules`): every module the notebooks import at the
top level of a code cell, and the few that ``dspl_eval`` imports lazily inside functions
(:data:`WARM_MODULES`: ``scipy.optimize``, statsmodels' GEE and survival modules). Modules
stay imported across notebooks (that is the point), so their import-time side effects
happen once, before the first notebook: the only ones found are warning filters that
numpy, ``scipy.stats`` and ``statsmodels.stats.proportion`` add, and those three are
imported by ``dspl_eval.reporting`` in the first cell of every report anyway.

``DSPL_EVAL_KERNELS=fresh`` runs each notebook with stock papermill in a fresh kernel, as
before (the benchmark and the proof test compare the two). Interactive use is unchanged:
a notebook still runs top to bottom in a fresh kernel in JupyterLab.

Ctrl-C: the runner ends the worker processes and every kernel below them
(``runner._end_children``); a kernel whose worker vanished also ends by itself
(ipykernel's parent poller). A worker's kernel is shut down when the worker exits
(``multiprocessing.util.Finalize``), the main process's by :func:`shutdown`.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "DEFAULT_RUNS",
    "ENGINE_NAME",
    "WarmKernel",
    "kernel_runs",
    "max_runs",
    "mode",
    "run_notebook",
    "shutdown",
]

MODE_ENV = "DSPL_EVAL_KERNELS"  # "warm" (default) or "fresh"
RUNS_ENV = "DSPL_EVAL_KERNEL_RUNS"  # notebooks per kernel before it is replaced
DEFAULT_RUNS = 20
ENGINE_NAME = "dspl_eval_warm"
RESET_TIMEOUT = 120  # seconds for the warm-up imports or a reset
_ABORTED_RETRIES = 20  # 50 ms apart: ipykernel stops aborting on its next loop turn

#: imported once per kernel besides what the notebooks themselves import (at top level
#: of a code cell): the modules ``dspl_eval`` imports lazily inside functions
WARM_MODULES = (
    "numpy",
    "pandas",
    "matplotlib",
    "scipy.stats",
    "scipy.optimize",
    "statsmodels.stats.multitest",
    "statsmodels.stats.proportion",
    "statsmodels.genmod.generalized_estimating_equations",
    "statsmodels.duration.survfunc",
    "pyarrow.parquet",
    "pandas.core.arrays.arrow.extension_types",
    "dspl_eval.reporting",
    "dspl_eval.plots",
)


def mode() -> str:
    """``"warm"`` (the default) or ``"fresh"`` (``DSPL_EVAL_KERNELS``)."""
    value = os.environ.get(MODE_ENV, "warm").strip().lower() or "warm"
    if value not in ("warm", "fresh"):
        from dspl_eval.errors import ConfigError

        raise ConfigError(f"{MODE_ENV}={value!r}: expected warm or fresh")
    return value


def max_runs() -> int:
    """Notebooks one kernel runs before it is replaced (``DSPL_EVAL_KERNEL_RUNS``)."""
    value = os.environ.get(RUNS_ENV, "").strip()
    if not value:
        return DEFAULT_RUNS
    try:
        runs = int(value)
    except ValueError:
        runs = 0
    if runs < 1:
        from dspl_eval.errors import ConfigError

        raise ConfigError(f"{RUNS_ENV}={value!r}: expected a whole number of at least 1")
    return runs


class KernelNotReady(RuntimeError):
    """The warm-up or the reset between notebooks failed in the kernel."""


# --- the engine -------------------------------------------------------------------------


def _engine_class():
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, run against a kernel that is already alive (and
        left alive): ``warm_kernel`` is the :class:`WarmKernel`."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            warm_kernel=None,
            **kwargs,
        ):
            if warm_kernel is None:  # used without a kernel: behave as papermill's engine
                return super().execute_managed_notebook(
                    nb_man,
                    kernel_name,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                    start_timeout=start_timeout,
                    execution_timeout=execution_timeout,
                    **kwargs,
                )
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            _save_at_the_end_only(nb_man)
            client = PapermillNotebookClient(nb_man, km=warm_kernel.km, **final)
            client.kc = warm_kernel.kc  # NotebookClient.__init__ sets it to None
            return client.execute()

    return WarmEngine


def _save_at_the_end_only(nb_man) -> None:
    """papermill writes the whole executed notebook at the start and end of every cell
    (about 0.5 s a report, more with charts); nobody reads it before the run ends, so
    the warm engine writes it once, when papermill completes the notebook (always: on
    success, on an error in a cell and when the kernel dies, papermill's ``finally``)."""
    save, complete = nb_man.save, nb_man.notebook_complete

    def notebook_complete(**kwargs):
        nb_man.save = save
        return complete(**kwargs)

    nb_man.save = lambda **kwargs: None
    nb_man.notebook_complete = notebook_complete


_registered = False


def _register_engine() -> None:
    global _registered
    if not _registered:
        from papermill.engines import papermill_engines

        papermill_engines.register(ENGINE_NAME, _engine_class())
        _registered = True


# --- one kernel -----------------------------------------------------------------------


class WarmKernel:
    """One running kernel: started and warmed up by :meth:`start`, reset before each
    notebook by :meth:`reset`, notebooks run by :meth:`execute`.

    The kernel's own standard error (C-level warnings, ipykernel's log) goes to an
    anonymous file; what it wrote while a notebook ran is copied to this process's
    standard error at the end of the run (the runner points that at the job's kernel log).
    """

    def __init__(self, cwd: str | Path, kernel_name: str = "python3") -> None:
        self.cwd = str(cwd)
        self.kernel_name = kernel_name
        self.km = None
        self.kc = None
        self.runs = 0
        self.pid: int | None = None
        self._process = None  # psutil.Process: kill() refuses a pid reused since
        self._log = None
        self._log_pos = 0

    # lifecycle
    def start(self, start_timeout: float, warm: tuple[str, ...] = ()) -> WarmKernel:
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._log = tempfile.TemporaryFile(prefix="dspl-eval-kernel-")  # noqa: SIM115
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        try:
            _from_zygote(self.km)
            run_sync(self.km.start_kernel)(
                extra_arguments=["--HistoryManager.hist_file=:memory:"],  # as nbclient does
                cwd=self.cwd,
                stderr=self._log.fileno(),
            )
            self.pid = _kernel_pid(self.km)
            self._process = _process(self.pid)
            self.kc = self.km.client()
            self.kc.start_channels()
            run_sync(_wait_for_ready)(self.kc, start_timeout)
            self.kc.allow_stdin = False
            code = f"import dspl_eval.kernels as _k\n_k._warm({json.dumps(list(warm))})"
            self._run(code)
        except BaseException:
            self.shutdown()
            raise
        return self

    def alive(self) -> bool:
        if self.km is None or self.kc is None:
            return False
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def reset(self, cwd: str | Path) -> None:
        """Put the kernel back to the state right after the warm-up (see the module)."""
        self._run(f"import dspl_eval.kernels as _k\n_k._reset({json.dumps(str(cwd))})")

    def execute(self, **papermill_arguments: object):
        """``papermill.execute_notebook`` in this kernel (same arguments and result)."""
        import papermill

        _register_engine()
        try:
            return papermill.execute_notebook(
                **papermill_arguments, engine_name=ENGINE_NAME, warm_kernel=self
            )
        finally:
            self.runs += 1
            self._copy_log()

    def shutdown(self) -> None:
        """End the kernel at once (it holds nothing to save) and tidy its files."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
        if self.km is not None:
            with contextlib.suppress(Exception):
                if self.km.has_kernel:
                    run_sync(self.km.shutdown_kernel)(now=True)
            with contextlib.suppress(Exception):
                run_sync(self.km.cleanup_resources)()
        _kill(self._process)  # in case the manager could not (broken event loop after Ctrl-C)
        if self._log is not None:
            with contextlib.suppress(Exception):
                self._log.close()
        self.km = self.kc = self._log = self._process = None

    # helpers
    def _run(self, code: str) -> None:
        from jupyter_core.utils import run_sync

        # ipykernel aborts requests that arrive just after an error (stop_on_error), so
        # an "aborted" reply means "too soon", not "broken": ask again, a few times.
        for attempt in range(_ABORTED_RETRIES + 1):
            reply = run_sync(self.kc.execute_interactive)(
                code, silent=True, store_history=False, timeout=RESET_TIMEOUT
            )
            content = reply.get("content", {})
            if content.get("status") != "aborted" or attempt == _ABORTED_RETRIES:
                break
            time.sleep(0.05)
        if content.get("status") != "ok":
            raise KernelNotReady(
                f"{content.get('ename', 'error')}: {content.get('evalue', '')}".strip()
            )

    def _copy_log(self) -> None:
        if self._log is None:
            return
        try:
            fd = self._log.fileno()
            size = os.fstat(fd).st_size
            if size > self._log_pos:
                data = os.pread(fd, size - self._log_pos, self._log_pos)
                self._log_pos += len(data)
                sys.stderr.flush()
                os.write(2, data)
        except OSError:
            pass


async def _wait_for_ready(kc, timeout: float) -> None:
    """jupyter_client's ``wait_for_ready`` (a kernel_info reply on shell, then a message on
    IOPub, so that no output of the first execution is lost to a late subscription), but
    its last step, dropping the start-up status messages, stops after 10 ms without one,
    not 200 ms: the messages it leaves have another parent and every reader skips them."""
    import time
    from queue import Empty

    from jupyter_core.utils import ensure_async

    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            msg = await ensure_async(kc.shell_channel.get_msg(timeout=1))
        except Empty:
            pass
        else:
            if msg["msg_type"] == "kernel_info_reply":
                try:
                    await ensure_async(kc.iopub_channel.get_msg(timeout=0.2))
                except Empty:
                    pass
                else:
                    handle = getattr(kc, "_handle_kernel_info_reply", None)  # as upstream does
                    if handle is not None:
                        handle(msg)
                    break
        if not await ensure_async(kc.is_alive()):
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
    while True:
        try:
            await ensure_async(kc.iopub_channel.get_msg(timeout=0.01))
        except Empty:
            break


def _from_zygote(km) -> None:
    """Launch through the zygote when one runs (:mod:`dspl_eval.zygote`): the kernel
    spec's ``python -m ipykernel_launcher`` becomes its launcher script (which falls back
    to ``ipykernel_launcher`` itself); any other kernel command is left alone."""
    from dspl_eval import zygote

    path = zygote.socket_path()
    spec = km.kernel_spec
    argv = list(getattr(spec, "argv", None) or [])
    if not path or argv[1:3] != ["-m", "ipykernel_launcher"]:
        return
    spec.argv = [argv[0], str(zygote.LAUNCHER), path, *argv[3:]]


def _kernel_pid(km) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(
        getattr(provisioner, "process", None), "pid", None
    )
    return pid if isinstance(pid, int) else None


def _process(pid: int | None):
    try:
        import psutil

        return psutil.Process(pid) if pid else None
    except Exception:
        return None


def _kill(process) -> None:
    """Kill the kernel process if it is still running (psutil checks that the pid was not
    reused by another process since), and reap it."""
    if process is None:
        return
    with contextlib.suppress(Exception):
        if process.is_running():
            process.kill()
        process.wait(timeout=3)


# --- this process's kernel -------------------------------------------------------------

_kernel: WarmKernel | None = None
_finalizer = None


def kernel_runs() -> int | None:
    """How many notebooks this process's warm kernel has run (``None``: none running)."""
    return _kernel.runs if _kernel is not None else None


def shutdown() -> None:
    """End this process's warm kernel, if any (safe to call at any time, twice)."""
    global _kernel
    kernel, _kernel = _kernel, None
    if kernel is not None:
        kernel.shutdown()


def _ready(cwd: str, start_timeout: float, kernel_name: str) -> WarmKernel:
    """This process's kernel, reset for the next notebook; a new one if there is none, it
    died, or it cannot be reset."""
    global _kernel, _finalizer
    if _kernel is not None and _kernel.kernel_name == kernel_name and _kernel.alive():
        try:
            _kernel.reset(cwd)
            return _kernel
        except Exception:
            pass
    shutdown()
    kernel = WarmKernel(cwd, kernel_name).start(start_timeout, warm_modules(Path(cwd)))
    kernel.reset(cwd)
    _kernel = kernel
    if _finalizer is None:
        import multiprocessing.util

        # a pool worker ends through multiprocessing, which skips atexit but runs these
        _finalizer = multiprocessing.util.Finalize(None, shutdown, exitpriority=50)
        import atexit

        atexit.register(shutdown)
    return kernel


def run_notebook(
    notebook: str | Path,
    executed: str | Path,
    *,
    parameters: dict,
    cwd: str | Path,
    start_timeout: float,
    execution_timeout: float,
    kernel_name: str = "python3",
):
    """Execute ``notebook`` to ``executed`` exactly as ``papermill.execute_notebook`` does
    (same output, same exceptions), in this process's warm kernel (or a fresh kernel with
    ``DSPL_EVAL_KERNELS=fresh``). After any failure the kernel is replaced; after
    :func:`max_runs` notebooks too."""
    arguments = dict(
        input_path=str(notebook),
        output_path=str(executed),
        parameters=parameters,
        kernel_name=kernel_name,
        language="python",
        progress_bar=False,
        log_output=False,
        start_timeout=start_timeout,
        execution_timeout=execution_timeout,
        cwd=str(cwd),
    )
    if mode() == "fresh":
        import papermill

        return papermill.execute_notebook(**arguments)
    limit = max_runs()
    kernel = _ready(str(cwd), start_timeout, kernel_name)
    finished = False
    try:
        result = kernel.execute(**arguments)
        finished = True
        return result
    finally:
        if not finished or kernel.runs >= limit:
            shutdown()


def warm_modules(notebooks: Path) -> tuple[str, ...]:
    """What a kernel imports once: :data:`WARM_MODULES` and every module imported at the
    top level of a code cell of a notebook in ``notebooks`` (but pyplot and seaborn, which
    hook into IPython when imported: see :data:`HOOKING_MODULES`)."""
    names = list(WARM_MODULES)
    for path in sorted(Path(notebooks).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text("utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            try:
                tree = ast.parse(source)
            except SyntaxError:  # magics: skip the cell
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
                    names += [f"{node.module}.{alias.name}" for alias in node.names]
    return tuple(
        name
        for name in dict.fromkeys(names)
        if not any(name == m or name.startswith(f"{m}.") for m in HOOKING_MODULES)
    )


# --- run inside the kernel --------------------------------------------------------------

_baseline: dict | None = None

#: modules whose first import hooks into IPython (pyplot activates the inline backend:
#: a post-execute hook, figure formatters); a kernel in which a notebook imported one
#: for the first time is replaced rather than reset, since a fresh kernel would hook again
HOOKING_MODULES = ("matplotlib.pyplot", "seaborn")


def _warm(modules: list[str]) -> None:
    """(In the kernel.) Import ``modules``, remember the state to go back to, and freeze
    what the imports made (:func:`gc.freeze`)."""
    import gc
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # e.g. ``from m import function``: not a module
            continue
    gate = sys.modules.get("dspl_eval.gate")
    if gate is not None:  # the gate's BLAS controller scans the loaded libraries once
        gate._blas_controller()
    _take_baseline()
    # what the imports made lives as long as the kernel: out of the collector's sight, a
    # full collection (each reset's, IPython's, and those a notebook's cells trigger)
    # walks only what notebooks made (about 80 ms → a few ms each)
    gc.collect()
    gc.freeze()


def _take_baseline() -> None:
    global _baseline
    import random
    import warnings

    state: dict = {
        "hooked": {name for name in HOOKING_MODULES if name in sys.modules},
        "environ": dict(os.environ),
        "path": list(sys.path),
        "argv": list(sys.argv),
        "warnings": list(warnings.filters),
        "showwarning": warnings.showwarning,
        "random": random.getstate(),
    }
    if "numpy" in sys.modules:
        import numpy

        state["np_err"] = numpy.geterr()
        state["np_print"] = numpy.get_printoptions()
    if "pandas" in sys.modules:
        state["pandas"] = _pandas_options()
    if "matplotlib" in sys.modules:
        import matplotlib
        import matplotlib.units

        state["rc"] = _rc_params()
        state["units"] = dict(matplotlib.units.registry)
    shell = _shell()
    if shell is not None:
        state["formatters"] = {
            name: (dict(f.type_printers), dict(f.deferred_printers), f.enabled)
            for name, f in shell.display_formatter.formatters.items()
        }
        state["events"] = {name: list(cbs) for name, cbs in shell.events.callbacks.items()}
    _baseline = state


def _reset(cwd: str) -> None:
    """(In the kernel.) Clear what the last notebook left (see the module docstring)."""
    import gc
    import random
    import warnings

    if _baseline is None:
        _take_baseline()
    state = _baseline
    hooked = {name for name in HOOKING_MODULES if name in sys.modules} - state["hooked"]
    if hooked:
        raise RuntimeError(f"{', '.join(sorted(hooked))} imported: a new kernel is needed")
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)  # user namespace, In/Out, execution count 1
        for name, (types, deferred, enabled) in state.get("formatters", {}).items():
            formatter = shell.display_formatter.formatters.get(name)
            if formatter is not None:
                formatter.type_printers = dict(types)
                formatter.deferred_printers = dict(deferred)
                formatter.enabled = enabled
        for name, callbacks in state.get("events", {}).items():
            shell.events.callbacks[name] = list(callbacks)
    if "rc" in state:
        import matplotlib
        import matplotlib.units

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            now = _rc_params()
            matplotlib.rcParams.update({k: v for k, v in state["rc"].items() if now.get(k) != v})
        matplotlib.units.registry.clear()
        matplotlib.units.registry.update(state["units"])
    if "pandas" in state:
        _restore_pandas(state["pandas"])
    if "np_err" in state:
        import numpy

        numpy.seterr(**state["np_err"])
        numpy.set_printoptions(**state["np_print"])
        numpy.random.seed()  # a fresh kernel's global generator is seeded from the OS
    random.seed()
    warnings.filters[:] = state["warnings"]
    warnings.showwarning = state["showwarning"]
    warnings._filters_mutated()  # forget which warnings were shown: shown again, as fresh
    for key in set(os.environ) - set(state["environ"]):
        del os.environ[key]
    for key, value in state["environ"].items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    sys.path[:] = state["path"]
    sys.argv[:] = state["argv"]
    os.chdir(cwd)
    _reset_dspl_eval()
    gc.collect()


def _reset_dspl_eval() -> list[str]:
    """(In the kernel.) Clear every functools cache in the loaded ``dspl_eval`` modules
    and call their ``_reset_between_notebooks()`` hooks; the names cleared."""
    cleared = []
    for name, module in sorted(sys.modules.items()):
        if module is None or not (name == "dspl_eval" or name.startswith("dspl_eval.")):
            continue
        if name == __name__:
            continue
        hook = getattr(module, "_reset_between_notebooks", None)
        if callable(hook):
            hook()
            cleared.append(f"{name}._reset_between_notebooks()")
        for attr, value in list(vars(module).items()):
            targets = [(attr, value)]
            if isinstance(value, type) and value.__module__ == name:
                targets += [(f"{attr}.{k}", v) for k, v in vars(value).items()]
            for label, target in targets:
                target = getattr(target, "__func__", target)  # static/class methods
                if getattr(target, "__module__", None) != name:
                    continue
                clear = getattr(target, "cache_clear", None)
                if callable(clear):
                    clear()
                    cleared.append(f"{name}.{label}")
    return cleared


def _rc_params() -> dict:
    """matplotlib's rcParams but ``backend`` (reading an unresolved backend would import
    pyplot and pick one)."""
    import matplotlib

    rc = matplotlib.rcParams
    get = getattr(rc, "_get", rc.__getitem__)
    return {key: get(key) for key in rc if key != "backend"}


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


def _pandas_options() -> dict:
    import pandas

    try:
        keys = list(pandas._config.config._registered_options)
    except AttributeError:  # pragma: no cover - a pandas without the registry
        return {}
    options = {}
    for key in keys:
        with contextlib.suppress(Exception):
            options[key] = pandas.get_option(key)
    return options


def _restore_pandas(options: dict) -> None:
    import warnings

    import pandas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in options.items():
            with contextlib.suppress(Exception):
                if pandas.get_option(key) != value:
                    pandas.set_option(key, value)
