"""The termly batch: ingest if needed, run every initiative notebook, export, index, audit.

Split by job, as papermill is: ``plan`` (validate every run first: notebook exists,
parameters declared), ``execute`` (papermill in worker processes, one per core, since
papermill is not thread-safe), ``export`` (nbconvert ``HTMLExporter`` in-process with our
offline template), then ``index.html``, ``summary.xlsx`` and the privacy audit. A failing
notebook never loses the others: its executed copy is kept for audit, no HTML is published
for it, the index says why, and the command exits 1.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill

from dspl_eval import __version__
from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.ingest import _atomic_write, ingest_term, needs_ingest
from dspl_eval.initiatives import INITIATIVES, get
from dspl_eval.paths import NOTEBOOKS_DIR, check_term, processed_dir, reports_dir
from dspl_eval.summary import SUMMARY_MIME

START_TIMEOUT = 120  # seconds for a kernel to start
EXECUTION_TIMEOUT = 900  # seconds for one cell


@dataclass(frozen=True)
class Job:
    """One notebook run: where it comes from, where it goes, with which parameters."""

    initiative: str
    notebook: Path
    executed: Path
    html: Path
    parameters: dict[str, object]


@dataclass
class JobResult:
    """What happened to one job. ``summary`` is what the notebook published for the index."""

    initiative: str
    ok: bool
    seconds: float
    html: Path | None = None
    error: str | None = None
    summary: dict = field(default_factory=dict)


@dataclass
class TermOutcome:
    term: str
    results: list[JobResult]
    index: Path
    summary_xlsx: Path
    audit_passed: bool | None
    audit_findings: list[str]

    @property
    def exit_code(self) -> int:
        failed = any(not r.ok for r in self.results)
        return 1 if failed or self.audit_passed is False else 0


def _say(message: str) -> None:
    print(message, flush=True)


def plan(
    term: str,
    data: Path,
    reports: Path,
    initiatives: list[str] | None,
    audience: str,
    threshold: int = 5,
    notebooks: Path | None = None,
) -> list[Job]:
    """Check every run before any starts: known initiative, notebook present, parameters
    declared in its ``parameters`` cell (an unknown name would only warn in papermill)."""
    if audience not in ("commissioner", "analyst"):
        raise ConfigError(f"audience {audience!r}: expected commissioner or analyst")
    out = reports_dir(reports, term)
    notebooks = Path(notebooks or NOTEBOOKS_DIR)
    jobs = []
    for key in initiatives or list(INITIATIVES):
        get(key)
        notebook = notebooks / f"{key}.ipynb"
        if not notebook.is_file():
            raise ConfigError(f"no notebook for {key}: {notebook} does not exist")
        parameters = {
            "term": term,
            "data_dir": str(Path(data).resolve()),
            "audience": audience,
            "suppression_threshold": threshold,
        }
        try:
            declared = papermill.inspect_notebook(str(notebook))
        except Exception as error:  # unreadable JSON, no kernel name ...
            raise ConfigError(
                f"{notebook.name} cannot be inspected: {_first_line(str(error))}"
            ) from None

        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise ConfigError(
                f"{notebook.name}: its parameters cell does not declare {', '.join(unknown)} "
                f"(declared: {', '.join(declared) or 'nothing'})"
            )
        jobs.append(
            Job(key, notebook, out / "notebooks" / f"{key}.ipynb", out / f"{key}.html", parameters)
        )
    return jobs


def execute(job: Job) -> JobResult:
    """Run one notebook with papermill and export it to HTML (runs in a worker process)."""
    started = time.perf_counter()
    job.executed.parent.mkdir(parents=True, exist_ok=True)
    error = None
    log = job.executed.with_suffix(".kernel.log")
    try:
        with _stderr_to(log):  # the kernel's own chatter goes to a log, not the terminal
            papermill.execute_notebook(
                str(job.notebook),
                str(job.executed),
                parameters=job.parameters,
                kernel_name="python3",
                language="python",
                progress_bar=False,
                log_output=False,
                start_timeout=START_TIMEOUT,
                execution_timeout=EXECUTION_TIMEOUT,
                cwd=str(job.notebook.parent),
            )
    except papermill.PapermillExecutionError as failure:
        error = (
            f"{job.notebook.name}, cell {_source_cell(job.executed, failure.cell_index)}: "
            f"{failure.ename}: {_first_line(failure.evalue)}"
        )
    except Exception as failure:  # kernel died, timeout, bad notebook JSON ...
        error = f"{job.notebook.name}: {type(failure).__name__}: {_first_line(str(failure))}"
    if error:
        job.html.unlink(missing_ok=True)  # never leave last term's report looking current
        return JobResult(job.initiative, False, time.perf_counter() - started, error=error)
    try:
        notebook = nbformat.read(job.executed, as_version=4)
        summary = extract_summary(notebook)
        html = export_html(notebook)
        _atomic_write(job.html, lambda p: Path(p).write_text(html, encoding="utf-8"))
    except Exception as failure:
        job.html.unlink(missing_ok=True)
        message = f"{job.notebook.name}: export failed: {type(failure).__name__}: {failure}"
        return JobResult(job.initiative, False, time.perf_counter() - started, error=message)
    return JobResult(job.initiative, True, time.perf_counter() - started, job.html, summary=summary)


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send this process's standard error (file descriptor 2, inherited by the kernel it
    starts) to ``path`` for the duration, then put it back."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as handle:
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _source_cell(executed: Path, index: int) -> int:
    """The failing cell's position (1-based) in the notebook as written, not counting the
    cell papermill injects with the parameters."""
    try:
        cells = nbformat.read(executed, as_version=4).cells[:index]
    except Exception:
        return index + 1
    injected = sum("injected-parameters" in c.metadata.get("tags", []) for c in cells)
    return index + 1 - injected


def _first_line(text: str) -> str:
    lines = [line for line in str(text).splitlines() if line.strip()]
    return (lines[0] if lines else "").strip()[:300]


def extract_summary(notebook: nbformat.NotebookNode) -> dict:
    """The summary a notebook published with :func:`dspl_eval.summary.publish` (last wins)."""
    found: dict = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if SUMMARY_MIME in data:
                found = data[SUMMARY_MIME]
    return found


def export_html(notebook: nbformat.NotebookNode) -> str:
    """HTML for readers: our offline template, no code, the summary payload left out."""
    from dspl_eval.export import notebook_to_html

    visible = copy.deepcopy(notebook)
    for cell in visible.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if SUMMARY_MIME not in o.get("data", {})]
    return notebook_to_html(visible)


def run_term(
    term: str,
    data: Path = Path("data"),
    reports: Path = Path("reports"),
    initiatives: list[str] | None = None,
    jobs: int | None = None,
    audience: str = "commissioner",
    pdf: bool = False,
    threshold: int = 5,
    notebooks: Path | None = None,
) -> TermOutcome:
    """Produce ``reports/<term>/``: one HTML per initiative, index.html and summary.xlsx."""
    check_term(term)
    data, reports = Path(data), Path(reports)
    planned = plan(term, data, reports, initiatives, audience, threshold, notebooks)
    if needs_ingest(data, term):
        _say(f"{term}: ingesting returns (processed data missing or older than raw files)")
        ingested = ingest_term(data, term)
        for failed in ingested.failed:
            _say(f"  not read: {failed.error}")
    workers = max(1, min(jobs or os.cpu_count() or 1, len(planned)))
    _say(
        f"{term}: running {', '.join(j.initiative for j in planned)} "
        f"({workers} worker{'s' if workers > 1 else ''})"
    )
    results = _execute_all(planned, workers)
    out = reports_dir(reports, term)
    from dspl_eval.index import write_index, write_summary_xlsx

    summary_xlsx = write_summary_xlsx(out / "summary.xlsx", term, results, audience)
    audit_passed, findings = None, []
    index = write_index(
        out / "index.html",
        term,
        results,
        processed_dir(data, term),
        audience,
        audit_passed,
        findings,
    )
    if audience == "commissioner":  # audit everything, the index included, then say so on it
        audit_passed, findings = _audit(out, data)
        write_index(
            index, term, results, processed_dir(data, term), audience, audit_passed, findings
        )
    if pdf:
        _write_pdfs([r.html for r in results if r.html] + [index])
    if audit_passed is False:
        _say(f"{term}: NOT READY — the privacy audit found {len(findings)} problem(s):")
        for finding in findings:
            _say(f"  {finding}")
    return TermOutcome(term, results, index, summary_xlsx, audit_passed, findings)


def _execute_all(planned: list[Job], workers: int) -> list[JobResult]:
    """Run the jobs, ``workers`` at a time, saying which is running, done or failed."""
    results: dict[str, JobResult] = {}
    waiting = [job.initiative for job in planned]

    def started(count: int) -> None:
        for key in waiting[:count]:
            _say(f"  {key}: running")
        del waiting[:count]

    if workers == 1:
        for job in planned:
            started(1)
            results[job.initiative] = _report_progress(execute(job))
        return [results[j.initiative] for j in planned]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute, job): job for job in planned}
        started(workers)
        if waiting:
            _say(f"  queued: {', '.join(waiting)}")
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as failure:  # a worker process died
                result = JobResult(job.initiative, False, 0.0, error=f"worker failed: {failure}")
            results[job.initiative] = _report_progress(result)
            started(1)
    return [results[j.initiative] for j in planned]


def _report_progress(result: JobResult) -> JobResult:
    if result.ok:
        _say(f"  {result.initiative}: done in {result.seconds:.1f} s → {result.html}")
    else:
        _say(f"  {result.initiative}: FAILED in {result.seconds:.1f} s — {result.error}")
    return result


def _audit(out: Path, data: Path) -> tuple[bool, list[str]]:
    from dspl_eval.audit import audit_reports

    outcome = audit_reports(out, data)
    findings = [str(f) for f in outcome.findings]
    return not findings, findings


def _write_pdfs(pages: list[Path]) -> None:
    from dspl_eval.export import write_pdf

    for page in pages:
        try:
            write_pdf(page, page.with_suffix(".pdf"))
            _say(f"  pdf: {page.with_suffix('.pdf')}")
        except DsplEvalError as error:
            _say(f"  pdf not written for {page.name}: {error}")


def run_demo(
    data: Path = Path("data/demo"),
    reports: Path = Path("reports/demo"),
    seed: int = 1,
    scale: int = 1,
    jobs: int | None = None,
    run_reports: bool = True,
) -> int:
    """Write the synthetic returns, ingest and run every demo term; print the newest index."""
    from dspl_eval.synth import DEMO_TERMS, write_demo

    started = time.perf_counter()
    write_demo(Path(data), seed=seed, scale=scale)
    _say(f"demo returns written to {data}/raw (synthetic; pseudonymised with the DEMO key)")
    code = 0
    newest = None
    for term in DEMO_TERMS:
        ingested = ingest_term(Path(data), term)
        read = sum(f.rows_read for f in ingested.files)
        kept = sum(f.rows_kept for f in ingested.files)
        _say(
            f"{term}: ingested {len(ingested.files)} files, {read} rows read, {kept} kept, "
            f"{read - kept} quarantined"
        )
        if ingested.failed:
            code = 1
        if run_reports:
            outcome = run_term(term, Path(data), Path(reports), jobs=jobs)
            code = max(code, outcome.exit_code)
            newest = outcome.index
    took = time.perf_counter() - started
    if newest is not None:
        _say(f"done in {took:.0f} s. Open the newest report index: {newest.resolve()}")
    else:
        _say(f"done in {took:.0f} s. Processed data: {Path(data).resolve() / 'processed'}")
    return code


def run_stamp() -> dict[str, str]:
    """What the 'about this report' section records about the run itself."""
    return {
        "dspl_eval_version": __version__,
        "python": sys.version.split()[0],
        "run_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
