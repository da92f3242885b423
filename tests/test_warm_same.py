"""Warm kernels change nothing a reader or the index sees (issue 16.2).

One demo term is run three times through the runner's own ``_execute_all``:

1. fresh kernels (stock papermill, ``DSPL_EVAL_KERNELS=fresh``), two workers, the usual
   order;
2. warm kernels, ONE worker (so every report runs in the same kernel unless it was
   replaced), the reports in another order, with a notebook that changes everything it
   can (namespace, rcParams, pandas and numpy options, warning filters, environment,
   working directory) and succeeds, and one that changes them and then fails, in the
   middle;
3. warm kernels, two workers, yet another order, a kernel replaced after every two
   notebooks.

Every page must be the same: every table, every chart image (PNG bytes, alt text and
``data-dspl-chart``), in fact the whole HTML, but for the run date (to the minute) in the
"About this report" table; every
summary payload (what the index and ``summary.xlsx`` are built from) must be equal; the
executed notebooks must have the same cells, outputs and execution counts. matplotlib's
PNGs carry no timestamp (``plots.to_png`` drops the Software key; PNG has no date
chunk unless asked), which is checked on the images too.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from dspl_eval import kernels, runner
from dspl_eval.ingest import ingest_term
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.synth import write_demo

pytestmark = pytest.mark.slow

TERM = "2023-24-summer"

POLLUTE = r"""
import os, sys, warnings
import matplotlib, numpy as np, pandas as pd
from dspl_eval import reporting as rp
rp = None  # a name a report also uses
matplotlib.rcParams.update({"lines.linewidth": 9, "font.size": 30, "figure.dpi": 20})
matplotlib.rcParams["axes.prop_cycle"] = matplotlib.cycler(color=["red"])
pd.set_option("display.max_rows", 2)
pd.set_option("display.precision", 1)
np.set_printoptions(precision=1)
os.environ["DSPL_POLLUTED"] = "yes"
warnings.simplefilter("error")
sys.path.insert(0, "/nowhere")
os.chdir("/")
"""

TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL | re.IGNORECASE)
IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?")


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _extra_job(folder: Path, name: str, sources: list[str], reports: Path) -> runner.Job:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = KERNELSPEC
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    work = reports / "work"
    return runner.Job(name, path, work / path.name, reports / "pages" / f"{name}.html", {}, {})


@pytest.fixture(scope="module")
def term_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("warm-same") / "data"
    write_demo(data, seed=1, terms=(TERM,))
    ingest_term(data, TERM)
    return data


def _run(data: Path, root: Path, order: list[str], workers: int, extra=()) -> dict:
    """Run the term's reports (plus ``extra`` jobs at their positions) into ``root``, then
    read what they made and empty ``root`` (every run uses the same paths, so the
    parameters injected into the notebooks are the same): by initiative, the result, its
    page and its executed notebook."""
    shutil.rmtree(root, ignore_errors=True)
    planned = runner.plan(TERM, data, root, order, "commissioner", pack=root / "pages")
    fingerprint = runner.data_fingerprint(data, TERM)
    planned = [
        runner.dataclasses.replace(j, metadata={**j.metadata, "data_fingerprint": fingerprint})
        for j in planned
    ]
    for position, job in extra:
        planned.insert(position, job)
    made = {}
    for result in runner._execute_all(planned, workers):
        job = next(j for j in planned if j.initiative == result.initiative)
        page = result.html.read_text("utf-8") if result.ok else None
        executed = nbformat.read(job.executed, as_version=4) if job.executed.is_file() else None
        made[result.initiative] = (result, page, executed)
    shutil.rmtree(root)
    return made


def _pieces(page: str) -> dict:
    """A page's tables, chart images and whole text; the run date (to the minute, in the
    "About this report" table) is the one thing allowed to differ between two runs."""
    return {
        "tables": [STAMP.sub("<minute>", t) for t in TABLE.findall(page)],
        "images": IMAGE.findall(page),
        "page": STAMP.sub("<minute>", page),
    }


def test_fresh_and_warm_kernels_give_the_same_reports(term_data, tmp_path, monkeypatch):
    keys = sorted(INITIATIVES)
    assert len(keys) >= 4
    monkeypatch.delenv(kernels.RUNS_ENV, raising=False)

    monkeypatch.setenv(kernels.MODE_ENV, "fresh")
    root = tmp_path / "reports"  # the same for every run: same injected parameters
    fresh = _run(term_data, root, keys, workers=2)
    built = [k for k in keys if fresh[k][0].ok]
    # a report broken in a fresh kernel must fail the same way in a warm one (below); the
    # comparison needs most of them to build
    assert len(built) >= max(3, len(keys) - 1), [r.error for r, _, _ in fresh.values() if not r.ok]

    monkeypatch.setenv(kernels.MODE_ENV, "warm")
    extras = tmp_path / "extras"
    extras.mkdir()
    polluter = _extra_job(extras, "polluter", [POLLUTE], root)
    failing = _extra_job(extras, "failing", [POLLUTE, "raise RuntimeError('on purpose')"], root)
    order = list(reversed(keys))
    warm_one = _run(term_data, root, order, workers=1, extra=[(1, polluter), (3, failing)])
    assert warm_one["polluter"][0].ok and not warm_one["failing"][0].ok
    assert "on purpose" in warm_one["failing"][0].error
    assert kernels.kernel_runs() is None, "the main process's kernel was shut down"

    monkeypatch.setenv(kernels.RUNS_ENV, "2")
    shuffled = keys[1::2] + keys[0::2]
    warm_two = _run(term_data, root, shuffled, workers=2)

    for label, warm in (("one warm kernel", warm_one), ("two warm workers", warm_two)):
        for key in keys:
            (a, page_a, na), (b, page_b, nb) = fresh[key], warm[key]
            if not a.ok:
                assert not b.ok and _where(a.error) == _where(b.error), (label, key, b.error)
                continue
            assert b.ok, (label, key, b.error)
            assert a.summary == b.summary, (label, key, "summary payload")
            pa, pb = _pieces(page_a), _pieces(page_b)
            for what in ("tables", "images", "page"):
                _same(pa[what], pb[what], f"{label}, {key}: {what}")
            assert len(na.cells) == len(nb.cells)
            for ca, cb in zip(na.cells, nb.cells, strict=True):
                assert ca.source == cb.source
                assert ca.get("execution_count") == cb.get("execution_count"), (label, key)
                assert _outputs(ca) == _outputs(cb), (label, key, ca.source[:80])
            assert na.metadata.papermill["parameters"] == nb.metadata.papermill["parameters"]
            assert na.metadata["dspl_eval"] == nb.metadata["dspl_eval"]

    # the pages have charts and tables to compare, and the charts no timestamps
    charts = [i for k in built for i in _pieces(fresh[k][1])["images"]]
    assert charts and all(_pieces(fresh[k][1])["tables"] for k in built)
    for tag in charts:
        png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', tag).group(1))
        assert b"tIME" not in png and b"Creation Time" not in png and b"Software" not in png


def _same(a: list | str, b: list | str, what: str) -> None:
    """Equal, or fail showing the first difference (not pytest's truncated repr)."""
    if a == b:
        return
    import difflib

    if isinstance(a, str):
        a, b = [a], [b]
    if len(a) != len(b):
        pytest.fail(f"{what}: {len(a)} fresh vs {len(b)} warm")
    first = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
    lines = difflib.unified_diff(
        a[first].replace("><", ">\n<").splitlines(),
        b[first].replace("><", ">\n<").splitlines(),
        "fresh",
        "warm",
        lineterm="",
    )
    pytest.fail(f"{what} #{first} differs:\n" + "\n".join(list(lines)[:40]))


def _where(error: str) -> str:
    """The notebook, cell and error of a failure (not the log's path)."""
    return error.split(" (details:")[0]


def _outputs(cell) -> str:
    """A cell's outputs (stderr included), but for the run date."""
    return STAMP.sub("<minute>", json.dumps(cell.get("outputs", []), sort_keys=True))
