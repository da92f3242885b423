"""Warm kernels (issue 16): one kernel per worker runs notebook after notebook, and each
notebook finds the kernel as a fresh one would be.

The probe notebook prints what a notebook can see of the kernel's state (its namespace,
matplotlib's rcParams, pandas and numpy options, warning filters, environment, path,
working directory, execution count). It must print the same in a fresh kernel (stock
papermill) and in a warm kernel right after a notebook that changed all of those. That
the polluter really changes them is checked too (the probe run without a reset differs),
so the comparison can fail.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import nbformat
import papermill
import pytest

from dspl_eval import kernels, zygote

PROBE = r"""
import hashlib, json, os, sys, warnings
import matplotlib, numpy as np, pandas as pd
from dspl_eval import reporting  # as the reports do: the stack, with its warning filters
digest = lambda value: hashlib.sha256(repr(value).encode()).hexdigest()[:16]
state = {
    "names": sorted(k for k in globals() if not k.startswith("_")),
    "label": label,
    "rc": digest(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items())),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "max_rows": pd.get_option("display.max_rows"),
    "precision": np.get_printoptions()["precision"],
    "np_err": np.geterr(),
    "filters": digest(warnings.filters),
    "env": os.environ.get("DSPL_POLLUTED"),
    "path": sys.path[-1],
    "cwd": os.getcwd(),
    "count": get_ipython().execution_count,
    "In": len(In),
    "pyplot": "matplotlib.pyplot" in sys.modules,
}
import psutil  # after the names: what a kernel forked by the zygote differs in
state["zygote"] = "dspl_eval.zygote" in " ".join(psutil.Process(os.getppid()).cmdline())
print(json.dumps(state, sort_keys=True))
"""

POLLUTER = r"""
import os, sys, warnings
import matplotlib, numpy as np, pandas as pd
polluted = 1
matplotlib.rcParams["lines.linewidth"] = 9
pd.set_option("display.max_rows", 3)
np.set_printoptions(precision=2)
np.seterr(all="ignore")
os.environ["DSPL_POLLUTED"] = "yes"
warnings.simplefilter("ignore")
sys.path.append("/nowhere")
os.chdir("/")
"""


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    cells = []
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nbformat.write(nb, path)
    return path


@pytest.fixture
def books(tmp_path: Path) -> Path:
    folder = tmp_path / "books"
    folder.mkdir()
    _notebook(folder / "probe.ipynb", PROBE, parameters='label = "default"')
    _notebook(folder / "polluter.ipynb", POLLUTER)
    _notebook(folder / "failing.ipynb", "x = 1", "raise ValueError('on purpose')", "y = 2")
    _notebook(folder / "pyplot.ipynb", "import matplotlib.pyplot as plt")
    return folder


@pytest.fixture(params=["started", "forked"])
def warm(request, monkeypatch, books):
    """Warm kernels started as their own process, and forked from a kernel zygote (as
    the runner starts them): every test of a warm kernel runs with both."""
    monkeypatch.setenv(kernels.MODE_ENV, "warm")
    monkeypatch.delenv(kernels.RUNS_ENV, raising=False)
    monkeypatch.delenv(zygote.ENV, raising=False)
    kernels.shutdown()
    with contextlib.ExitStack() as stack:
        if request.param == "forked":
            stack.enter_context(zygote.running(kernels.warm_modules(books)))
        yield request.param
        kernels.shutdown()


def _run(books: Path, name: str, out: Path, **parameters) -> nbformat.NotebookNode:
    kernels.run_notebook(
        books / f"{name}.ipynb",
        out,
        parameters=parameters,
        cwd=books,
        start_timeout=120,
        execution_timeout=120,
    )
    return nbformat.read(out, as_version=4)


def _state(nb: nbformat.NotebookNode) -> dict:
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    (text,) = [o["text"] for o in outputs if o.get("name") == "stdout"]
    return json.loads(text)


def _same_kernel(outputs: list | None) -> str:
    """The outputs as text, the probe's line on the kernel's parent made alike."""
    return json.dumps(outputs, sort_keys=True).replace('\\"zygote\\": true', '\\"zygote\\": false')


def _without(state: dict, key: str) -> dict:
    return {k: v for k, v in state.items() if k != key}


def _pid() -> int:
    return kernels._kernel.pid


@pytest.mark.slow  # starts kernels: 10-40 s each
def test_a_warm_kernel_after_a_polluting_notebook_looks_fresh(books, tmp_path, warm, monkeypatch):
    monkeypatch.setenv(kernels.MODE_ENV, "fresh")
    fresh = _run(books, "probe", tmp_path / "fresh.ipynb", label="x")
    monkeypatch.setenv(kernels.MODE_ENV, "warm")
    _run(books, "polluter", tmp_path / "p1.ipynb")
    pid = _pid()
    reused = _run(books, "probe", tmp_path / "warm.ipynb", label="x")
    assert _pid() == pid and kernels.kernel_runs() == 2, "the kernel was reused"
    assert _state(reused)["zygote"] is (warm == "forked"), "the kernel's parent"
    assert not _state(fresh)["zygote"]
    assert _without(_state(reused), "zygote") == _without(_state(fresh), "zygote")
    assert _state(fresh)["cwd"] == str(books)
    assert [c.execution_count for c in reused.cells] == [1, 2, 3], "numbered as in a fresh kernel"
    # the same notebook document as papermill writes: cells, tags, counts, outputs
    for a, b in zip(fresh.cells, reused.cells, strict=True):
        assert (a.source, a.metadata.get("tags"), a.get("execution_count")) == (
            b.source,
            b.metadata.get("tags"),
            b.get("execution_count"),
        )
        assert _same_kernel(a.get("outputs")) == _same_kernel(b.get("outputs"))
    assert fresh.metadata.papermill["parameters"] == reused.metadata.papermill["parameters"]
    assert set(fresh.metadata.papermill) == set(reused.metadata.papermill)
    assert fresh.metadata["language_info"] == reused.metadata["language_info"]

    # the comparison can fail: without the reset the probe sees the polluter's state
    kernel = kernels._kernel
    _run(books, "polluter", tmp_path / "p2.ipynb")
    out = tmp_path / "dirty.ipynb"
    kernel.execute(
        input_path=str(books / "probe.ipynb"),
        output_path=str(out),
        parameters={"label": "x"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(books),
    )
    dirty = _state(nbformat.read(out, as_version=4))
    for key in ("names", "rc", "linewidth", "max_rows", "precision", "np_err", "filters"):
        assert dirty[key] != _state(fresh)[key], key
    assert (dirty["env"], dirty["path"], dirty["cwd"]) == ("yes", "/nowhere", "/")
    assert dirty["count"] > _state(fresh)["count"]


@pytest.mark.slow  # starts kernels: 10-40 s each
def test_a_failing_notebook_is_reported_as_papermill_does_and_replaces_the_kernel(
    books, tmp_path, warm, monkeypatch
):
    _run(books, "probe", tmp_path / "a.ipynb")
    first = _pid()
    with pytest.raises(papermill.PapermillExecutionError) as warm_failure:
        _run(books, "failing", tmp_path / "warm-failed.ipynb")
    assert kernels.kernel_runs() is None, "no kernel is kept after a failure"
    assert not _alive(first)
    after = _run(books, "probe", tmp_path / "b.ipynb")
    assert _pid() != first
    assert _state(after)["names"] == _state(_read(tmp_path / "a.ipynb"))["names"]

    monkeypatch.setenv(kernels.MODE_ENV, "fresh")
    with pytest.raises(papermill.PapermillExecutionError) as fresh_failure:
        _run(books, "failing", tmp_path / "fresh-failed.ipynb")
    assert (warm_failure.value.cell_index, warm_failure.value.ename) == (
        fresh_failure.value.cell_index,
        fresh_failure.value.ename,
    )
    warm_nb = _read(tmp_path / "warm-failed.ipynb")
    fresh_nb = _read(tmp_path / "fresh-failed.ipynb")
    assert [c.source for c in warm_nb.cells] == [c.source for c in fresh_nb.cells]
    assert [c.get("execution_count") for c in warm_nb.cells] == [
        c.get("execution_count") for c in fresh_nb.cells
    ]
    assert warm_nb.metadata.papermill["exception"] is True


@pytest.mark.slow  # starts kernels: 10-40 s each
def test_a_kernel_is_replaced_after_max_runs(books, tmp_path, warm, monkeypatch):
    monkeypatch.setenv(kernels.RUNS_ENV, "2")
    _run(books, "probe", tmp_path / "1.ipynb")
    first = _pid()
    _run(books, "probe", tmp_path / "2.ipynb")
    assert kernels.kernel_runs() is None and not _alive(first), "recycled after 2 notebooks"
    _run(books, "probe", tmp_path / "3.ipynb")
    assert _pid() != first and kernels.kernel_runs() == 1


@pytest.mark.slow  # starts kernels: 10-40 s each
def test_a_notebook_that_imports_pyplot_gets_the_next_one_a_new_kernel(books, tmp_path, warm):
    # pyplot hooks into IPython on its first import: a reset could not undo that
    _run(books, "pyplot", tmp_path / "1.ipynb")
    first = _pid()
    probe = _run(books, "probe", tmp_path / "2.ipynb")
    assert _pid() != first and _state(probe)["pyplot"] is False


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv(kernels.MODE_ENV, "lukewarm")
    with pytest.raises(Exception, match="expected warm or fresh"):
        kernels.mode()
    monkeypatch.setenv(kernels.RUNS_ENV, "0")
    with pytest.raises(Exception, match="at least 1"):
        kernels.max_runs()
    monkeypatch.delenv(kernels.MODE_ENV)
    monkeypatch.delenv(kernels.RUNS_ENV)
    assert (kernels.mode(), kernels.max_runs()) == ("warm", kernels.DEFAULT_RUNS)


def test_the_warm_up_imports_what_the_report_notebooks_import():
    from dspl_eval.paths import NOTEBOOKS_DIR

    names = kernels.warm_modules(NOTEBOOKS_DIR)
    assert "dspl_eval.reporting" in names and "dspl_eval.outcomes.ebsa" in names
    assert "matplotlib.pyplot" not in names, "pyplot would hook into every kernel"


def test_caches_in_dspl_eval_are_cleared_between_notebooks():
    from dspl_eval import export

    export.html_exporter()
    assert export.html_exporter.cache_info().currsize == 1
    cleared = kernels._reset_dspl_eval()
    assert "dspl_eval.export.html_exporter" in cleared
    assert export.html_exporter.cache_info().currsize == 0


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
