"""The termly batch: check the term, ingest if needed, run every initiative notebook,
export, index, summary, audit, then publish the pack.

Split by job, as papermill is: ``plan`` (validate every run first: notebook exists,
parameters declared), ``execute`` (papermill in worker processes, one per core, since
papermill is not thread-safe), ``export`` (nbconvert ``HTMLExporter`` in-process with our
offline template), then ``index.html``, ``summary.xlsx`` and the privacy audit.

Where things go (see :mod:`dspl_eval.paths`)::

    reports/<term>/commissioner/    the send pack only: index.html, <key>.html, summary.xlsx, PDFs
    reports/<term>/analyst/         the analyst pack (same files, unsuppressed)
    reports/<term>/work/<edition>/  executed notebooks, kernel and error logs (never sent)

A pack is built in ``reports/<term>/.staging-<edition>-<pid>/`` and published by renaming
the folder: a commissioner pack only after the privacy audit passed, an analyst pack once
built. When the audit fails nothing is published (the last pack stays as it was) and the
staging folder is kept as ``reports/<term>/unpublished-<edition>/`` to inspect.

Ctrl-C (SIGINT) stops the queue at once: the worker processes and their kernels are
ended, the staging folder is removed, the published pack is left as it was, and
:class:`RunInterrupted` carries the one line the command prints (it exits 130). One run
at a time per term folder: ``reports/<term>/.dspl-eval.lock`` holds the pid and start time
of the run writing it; a second run refuses (:class:`RunLocked`), and a lock left by a
process that is no longer running is removed.

A failing notebook never loses the others: its executed copy and its error log are kept in
``work/``, no HTML is published for it, the index says in plain words what went wrong and
what to do, and the command exits 1. "Ready to send" is said only when every requested
report built, every return was read (or the term had no problems at all), every requested
PDF was written and the audit passed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import inspect
import json
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from dspl_eval import quick_imports  # noqa: F401  (first: see its docstring)

# isort: split
import nbformat
import papermill

from dspl_eval import __version__
from dspl_eval.disclosure import check_threshold
from dspl_eval.errors import ConfigError, DisclosureError, DsplEvalError
from dspl_eval.ingest import _atomic_write, ingest_term, needs_ingest
from dspl_eval.initiatives import INITIATIVES, get
from dspl_eval.paths import (
    NOTEBOOKS_DIR,
    check_edition,
    check_term,
    edition_dir,
    interrupted_message,
    lock_file,
    processed_dir,
    reports_dir,
    staging_dir,
    unpublished_dir,
    work_dir,
)
from dspl_eval.settings import Settings
from dspl_eval.summary import SUMMARY_MIME
from dspl_eval.term_check import TermProblem, check_ingested, check_layout

START_TIMEOUT = 120  # seconds for a kernel to start
EXECUTION_TIMEOUT = 900  # seconds for one cell
METADATA_KEY = "dspl_eval"  # nb.metadata["dspl_eval"]: edition, term, threshold, ...

#: what to do about a failed report, on the index (no paths, no raw error text)
FAILED_TODO = (
    "The analyst can find the details in the run log kept with the working files (not in "
    "this pack), put the cause right and run the term again."
)


@dataclass(frozen=True)
class Job:
    """One notebook run: where it comes from, where it goes, with which parameters.

    ``metadata`` is what the executed notebook carries at ``nb.metadata["dspl_eval"]``
    (edition, term, threshold, initiative, data_fingerprint) and its page's meta tags.
    """

    initiative: str
    notebook: Path
    executed: Path
    html: Path
    parameters: dict[str, object]
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def kernel_log(self) -> Path:
        return self.executed.with_suffix(".kernel.log")

    @property
    def error_log(self) -> Path:
        return self.executed.with_suffix(".error.log")


@dataclass
class JobResult:
    """What happened to one job. ``summary`` is what the notebook published for the index.

    ``error`` is the technical message (terminal and log only); ``reason`` says the same
    in plain words for a page, with no path and no raw error text.
    """

    initiative: str
    ok: bool
    seconds: float
    html: Path | None = None
    error: str | None = None
    summary: dict = field(default_factory=dict)
    reason: str | None = None
    log: Path | None = None
    cells_seconds: float | None = None  # the notebook's own run (papermill), for scheduling


@dataclass
class TermOutcome:
    """What ``run_term`` did. ``index`` is the published index page (or the unpublished
    one, or ``None`` when nothing was built); ``ready`` is True only for a commissioner
    pack that may be sent."""

    term: str
    results: list[JobResult]
    index: Path | None
    summary_xlsx: Path | None
    audit_passed: bool | None
    audit_findings: list[str]
    edition: str = "commissioner"
    threshold: int = 5
    problems: list[TermProblem] = field(default_factory=list)
    pdf_failures: list[str] = field(default_factory=list)
    pack: Path | None = None  # the published pack folder, if this run published one
    unpublished: Path | None = None  # the kept staging folder, if the audit failed

    @property
    def complete(self) -> bool:
        """Every report built, the term had no problems, every requested PDF written."""
        return (
            bool(self.results)
            and all(r.ok for r in self.results)
            and not self.problems
            and not self.pdf_failures
        )

    @property
    def ready(self) -> bool:
        return self.edition == "commissioner" and self.complete and self.audit_passed is True

    @property
    def exit_code(self) -> int:
        if not self.complete or self.audit_passed is False or self.pack is None:
            return 1
        return 0


def _say(message: str) -> None:
    print(message, flush=True)


def plan(
    term: str,
    data: Path,
    reports: Path,
    initiatives: list[str] | None,
    audience: str,
    threshold: int | None = None,
    notebooks: Path | None = None,
    pack: Path | None = None,
    *,
    settings: Settings | None = None,
) -> list[Job]:
    """Check every run before any starts: known initiative, notebook present, parameters
    declared in its ``parameters`` cell (an unknown name would only warn in papermill).

    Executed notebooks go to ``reports/<term>/work/<edition>/``; pages to ``pack``
    (default: the edition's published folder; ``run_term`` passes its staging folder).

    ``settings`` (default: ``<data>/dspl-eval.toml`` if present, see
    :mod:`dspl_eval.settings`) go to every notebook as the parameter ``settings``
    (:meth:`Settings.to_parameters`); ``threshold``, when given, overrides theirs. A
    notebook whose parameters cell does not declare ``settings`` is refused when the
    settings hold anything but defaults (beyond the threshold, which travels as
    ``suppression_threshold``): the file's values would not reach that report.
    """
    if audience not in ("commissioner", "analyst"):
        raise ConfigError(f"audience {audience!r}: expected commissioner or analyst")
    settings = _settings_for(data, threshold, settings)
    threshold = check_threshold(settings.threshold)
    work = work_dir(reports, term, audience)
    pack = Path(pack) if pack is not None else edition_dir(reports, term, audience)
    notebooks = Path(notebooks or NOTEBOOKS_DIR)
    jobs = []
    for key in initiatives or list(INITIATIVES):
        get(key)
        notebook = notebooks / f"{key}.ipynb"
        if not notebook.is_file() and not initiatives:
            # a definition whose report is still being written: its returns are ingested
            # and validated, and the batch says so instead of refusing every report
            _say(f"{key}: no report yet (no notebook {notebook.name}); not run")
            continue
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

        if "settings" in declared:
            parameters["settings"] = settings.to_parameters()
        elif set(settings.non_default) - {"suppression_threshold"}:
            raise ConfigError(
                f"{notebook.name}: its parameters cell does not declare settings, so the "
                f"values set in the settings file ({', '.join(settings.non_default)}) would "
                "not reach it: add `settings: dict = {}` to its parameters cell"
            )
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise ConfigError(
                f"{notebook.name}: its parameters cell does not declare {', '.join(unknown)} "
                f"(declared: {', '.join(declared) or 'nothing'})"
            )
        if "ledger_path" in declared and _gate_has("ledger"):  # for the year's gate
            parameters["ledger_path"] = str((work / f"{key}.ledger.json").resolve())
        if audience == "commissioner" and "known_sets_path" in declared:
            # written now and again once the term is ingested (_refresh_known_sets)
            known, _ = _other_terms_sets(data, reports, term, key, work)
            parameters["known_sets_path"] = str(known.resolve())
        metadata = {
            "edition": audience,
            "term": term,
            "threshold": threshold,
            "initiative": key,
            "data_fingerprint": "",
        }
        jobs.append(
            Job(key, notebook, work / f"{key}.ipynb", pack / f"{key}.html", parameters, metadata)
        )
    return jobs


def _settings_for(data: Path, threshold: int | None, settings: Settings | None) -> Settings:
    """``settings``, else those of ``<data>/dspl-eval.toml`` (or the defaults), with
    ``threshold`` (a flag's or a caller's, when given) in place of theirs."""
    from dspl_eval.settings import load

    if settings is None:
        return load(data, {"threshold": threshold})
    if threshold is not None and threshold != settings.threshold:
        return settings.replace("--threshold flag", threshold=check_threshold(threshold))
    return settings


def data_fingerprint(data: Path, term: str) -> str:
    """SHA-256 (hex) of ``processed/<term>/validation.json``; "" when there is none."""
    path = processed_dir(data, term) / "validation.json"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def execute(job: Job) -> JobResult:
    """Run one notebook with papermill and export it to HTML (runs in a worker process).

    The notebook runs in this process's warm kernel (:mod:`dspl_eval.kernels`: a custom
    papermill engine on a kernel started and warmed up once per worker, reset between
    notebooks, replaced after a failure or every ``DSPL_EVAL_KERNEL_RUNS`` notebooks), or
    in a fresh kernel with ``DSPL_EVAL_KERNELS=fresh``; the executed notebook is the same.
    """
    from dspl_eval import kernels

    started = time.perf_counter()
    _warm_export_meanwhile()
    job.executed.parent.mkdir(parents=True, exist_ok=True)
    job.error_log.unlink(missing_ok=True)
    error = reason = detail = None
    executed = None
    try:
        with _stderr_to(job.kernel_log):  # the kernel's chatter goes to a log, not the terminal
            executed = kernels.run_notebook(
                job.notebook,
                job.executed,
                parameters=job.parameters,
                cwd=job.notebook.parent,
                start_timeout=START_TIMEOUT,
                execution_timeout=EXECUTION_TIMEOUT,
            )
    except papermill.PapermillExecutionError as failure:
        cell = _source_cell(job.executed, failure.cell_index)
        error = f"{job.notebook.name}, cell {cell}: {failure.ename}: {_first_line(failure.evalue)}"
        reason = (
            f"The report stopped with an error while it was being worked out (at step {cell} "
            "of its notebook), so it was not published."
        )
        detail = "\n".join(failure.traceback or [])
    except Exception as failure:  # kernel died, timeout, bad notebook JSON ...
        error = f"{job.notebook.name}: {type(failure).__name__}: {_first_line(str(failure))}"
        reason = _plain_reason(failure)
        detail = traceback.format_exc()
    stamped = _stamp(job, executed if not error else None)
    if error:
        return _failed(job, started, error, reason, detail)
    try:
        notebook = stamped if stamped is not None else nbformat.read(job.executed, as_version=4)
        summary = extract_summary(notebook)
        html = export_html(notebook)
        job.html.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(job.html, lambda p: Path(p).write_text(html, encoding="utf-8"))
    except Exception as failure:
        message = f"{job.notebook.name}: export failed: {type(failure).__name__}: {failure}"
        if isinstance(failure, DisclosureError):
            reason = (
                "The report was worked out but would have loaded content from the internet, "
                "so it was not published."
            )
        else:
            reason = (
                "The report was worked out but could not be turned into a web page, so it "
                "was not published."
            )
        return _failed(job, started, message, reason, traceback.format_exc())
    duration = notebook.metadata.get("papermill", {}).get("duration")
    return JobResult(
        job.initiative,
        True,
        time.perf_counter() - started,
        job.html,
        summary=summary,
        log=job.kernel_log,
        cells_seconds=float(duration) if isinstance(duration, int | float) else None,
    )


def _failed(
    job: Job, started: float, error: str, reason: str | None, detail: str | None
) -> JobResult:
    job.html.unlink(missing_ok=True)
    try:
        text = f"{error}\n\n{_strip_ansi(detail or '')}\n"
        job.error_log.write_text(text, encoding="utf-8")
        log = job.error_log
    except OSError:
        log = None
    return JobResult(
        job.initiative,
        False,
        time.perf_counter() - started,
        error=error,
        reason=reason or "The report could not be run, so it was not published.",
        log=log,
    )


def _plain_reason(failure: BaseException) -> str:
    name = type(failure).__name__
    if "Timeout" in name:
        return (
            "The report took too long to work out (one step ran for more than "
            f"{EXECUTION_TIMEOUT // 60} minutes), so it was not published."
        )
    if "DeadKernel" in name:
        return (
            "The calculation stopped unexpectedly (it may have run out of memory), so the "
            "report was not published."
        )
    return "The report could not be run, so it was not published."


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _stamp(job: Job, notebook: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode | None:
    """Record the run's edition, term, threshold, initiative and data fingerprint in the
    executed notebook's metadata (the export writes them as the page's meta tags), and
    return it as the file now holds it (parsed from the text written, so key order and
    all are exactly what a later read gives). ``notebook``: the executed notebook as
    papermill returned it (the one it wrote), so that the file is not read back; else it
    is read from ``job.executed``."""
    if notebook is None:
        if not job.executed.is_file():
            return None
        try:
            notebook = nbformat.read(job.executed, as_version=4)
        except Exception:  # an unreadable executed notebook: its failure is reported anyway
            return None
    notebook.metadata[METADATA_KEY] = dict(job.metadata)
    text = nbformat.writes(notebook)
    ending = "" if text.endswith("\n") else "\n"  # as nbformat.write ends the file
    _atomic_write(job.executed, lambda p: Path(p).write_text(text + ending, encoding="utf-8"))
    return nbformat.reads(text, as_version=4)


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


def _warm_export_meanwhile() -> None:
    """Once per process, in a thread: turn a tiny notebook into a page while the first
    report's kernel starts (this process only waits for it meanwhile). The first page
    otherwise pays for importing nbconvert and compiling its templates and the notebook
    schema (about 0.4 s). Nothing of it is kept but those caches."""
    if _EXPORT_WARMED:
        return

    def warm() -> None:
        with contextlib.suppress(Exception):
            tiny = nbformat.v4.new_notebook(
                cells=[nbformat.v4.new_markdown_cell("# warm-up"), nbformat.v4.new_code_cell("")]
            )
            nbformat.validate(tiny)
            export_html(tiny)

    thread = threading.Thread(target=warm, name="dspl-eval-export-warm-up", daemon=True)
    _EXPORT_WARMED.append(thread)
    _PREPARING.append(thread)  # joined before this process forks workers
    thread.start()


_EXPORT_WARMED: list[threading.Thread] = []


def export_html(notebook: nbformat.NotebookNode) -> str:
    """HTML for readers: our offline template, no code, the summary payload left out."""
    from dspl_eval.export import notebook_to_html

    visible = nbformat.NotebookNode(notebook)  # a new list of cells, not a deep copy:
    visible.cells = [  # nbconvert copies the notebook it exports itself
        nbformat.NotebookNode(
            cell, outputs=[o for o in cell.outputs if SUMMARY_MIME not in o.get("data", {})]
        )
        if "outputs" in cell
        else cell
        for cell in notebook.cells
    ]
    return notebook_to_html(visible)


def run_term(
    term: str,
    data: Path = Path("data"),
    reports: Path = Path("reports"),
    initiatives: list[str] | None = None,
    jobs: int | None = None,
    audience: str = "commissioner",
    pdf: bool = False,
    threshold: int | None = None,
    notebooks: Path | None = None,
    settings: Settings | None = None,
) -> TermOutcome:
    """Build and publish ``reports/<term>/<audience>/``: one HTML page per initiative,
    index.html and summary.xlsx (and PDFs with ``pdf``), for the ``audience`` edition.

    ``settings``: default ``<data>/dspl-eval.toml`` (or the defaults); ``threshold``, when
    given, overrides their suppression threshold."""
    check_term(term)
    edition = check_edition(audience)
    data, reports = Path(data), Path(reports)
    settings = _settings_for(data, threshold, settings)
    threshold = check_threshold(settings.threshold)
    staging = staging_dir(reports, term, edition, os.getpid())
    # the zygote starts importing now, while this process plans (planning writes the
    # known sets: inside the lock)
    with RunLock(lock_file(reports, term)), _zygote():
        planned = plan(
            term, data, reports, initiatives, edition, threshold, notebooks, staging,
            settings=settings,
        )  # fmt: skip
        try:
            return _run_locked(
                term, data, reports, edition, threshold, planned, jobs, pdf, settings=settings
            )
        except KeyboardInterrupt as interrupt:
            with _sigint_ignored():  # a second Ctrl-C must not stop the tidying up
                _end_children()
                shutil.rmtree(staging, ignore_errors=True)
            if isinstance(interrupt, RunInterrupted):
                raise
            raise RunInterrupted(interrupted_message(reports, term, edition), term=term) from None


def _run_locked(
    term: str,
    data: Path,
    reports: Path,
    edition: str,
    threshold: int,
    planned: list[Job],
    jobs: int | None,
    pdf: bool,
    *,
    settings: Settings | None = None,
) -> TermOutcome:
    term_root = reports_dir(reports, term)
    staging = staging_dir(reports, term, edition, os.getpid())
    requested = [job.initiative for job in planned]

    problems = check_layout(data, term, requested)
    _say_problems(term, problems)
    if any(p.fatal for p in problems):
        _say(f"{term}: NOT READY — nothing was run; the published pack (if any) is unchanged")
        return TermOutcome(term, [], None, None, None, [], edition, threshold, problems)
    if needs_ingest(data, term):
        _say(f"{term}: ingesting returns (processed data missing or older than raw files)")
        ingest_term(data, term)
    read_problems = check_ingested(data, term, requested)
    if edition == "commissioner":
        read_problems += _refresh_known_sets(data, reports, term, planned)
    _say_problems(term, read_problems)
    problems += read_problems

    fingerprint = data_fingerprint(data, term)
    planned = [
        dataclasses.replace(job, metadata={**job.metadata, "data_fingerprint": fingerprint})
        for job in planned
    ]
    meta = {
        "edition": edition,
        "term": term,
        "threshold": threshold,
        "initiative": "index",
        "data_fingerprint": fingerprint,
    }
    _tidy(term_root, edition)
    _warn_old_layout(term_root)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        return _build_and_publish(
            term, data, reports, edition, threshold, planned, jobs, pdf, problems, meta, staging,
            partnership=settings.partnership if settings is not None else "", settings=settings,
        )  # fmt: skip
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # only left if something went wrong


def _build_and_publish(
    term: str,
    data: Path,
    reports: Path,
    edition: str,
    threshold: int,
    planned: list[Job],
    jobs: int | None,
    pdf: bool,
    problems: list[TermProblem],
    meta: dict[str, object],
    staging: Path,
    *,
    partnership: str = "",
    settings: Settings | None = None,
) -> TermOutcome:
    from dspl_eval.index import write_index, write_summary_xlsx

    workers = max(1, min(jobs or os.cpu_count() or 1, len(planned)))
    _say(
        f"{term}: running {', '.join(j.initiative for j in planned)} for the {edition} edition "
        f"(suppression threshold {threshold}; {workers} worker{'s' if workers > 1 else ''})"
    )
    meanwhile = (lambda: _prepare_audit(data, term)) if edition == "commissioner" else None
    results = _execute_all(planned, workers, meanwhile)
    processed = processed_dir(data, term)
    summary_xlsx = write_summary_xlsx(
        staging / "summary.xlsx", term, results, edition, threshold=threshold, meta=meta,
        processed=processed, partnership=partnership,
    )  # fmt: skip
    pdf_failures = _write_pdfs([r.html for r in results if r.ok and r.html]) if pdf else []
    outcome = TermOutcome(
        term, results, None, summary_xlsx, None, [], edition, threshold, problems, pdf_failures
    )

    def index() -> Path:
        return write_index(
            staging / "index.html",
            term,
            results,
            processed,
            edition,
            outcome.audit_passed,
            outcome.audit_findings,
            threshold=threshold,
            meta=meta,
            reasons=_public_reasons(outcome),
            ready=outcome.ready,
            partnership=partnership,
        )

    index()
    if edition == "commissioner":  # audit everything, the index included, then say so on it
        outcome.audit_passed, outcome.audit_findings = _audit(staging, data, term, threshold)
        index()
    if pdf:
        failed = _write_pdfs([staging / "index.html"])
        if failed:
            outcome.pdf_failures += failed
            (staging / "index.pdf").unlink(missing_ok=True)
            index()  # no longer "Ready to send"
    if edition == "analyst":  # the returns tracker and each school's feedback, in the pack
        _analyst_extras(term, data, staging, settings)
    target = edition_dir(reports, term, edition)
    kept = unpublished_dir(reports, term, edition)
    return _finish_pack(term, outcome, edition, staging, target, kept)


def _finish_pack(
    name: str, outcome: TermOutcome, edition: str, staging: Path, target: Path, kept: Path
) -> TermOutcome:
    """Publish the staged pack of term or year ``name`` into ``target`` (atomic rename),
    or, for a commissioner pack that failed the audit, keep it in ``kept`` and publish
    nothing; say which on one line."""
    if edition == "commissioner" and not outcome.audit_passed:
        shutil.rmtree(kept, ignore_errors=True)
        os.replace(staging, kept)
        outcome.unpublished = kept
        outcome.index = kept / "index.html"
        outcome.summary_xlsx = kept / "summary.xlsx"
        before = (
            f"the last published pack in {target} is unchanged"
            if target.is_dir()
            else "there is no published pack"
        )
        _say(
            f"{name}: NOT PUBLISHED — the privacy audit found {len(outcome.audit_findings)} "
            f"problem(s); {before}. The pack is kept for inspection in {kept}:"
        )
        for finding in outcome.audit_findings:
            _say(f"  {finding}")
        return _relocated(outcome, staging, kept)
    with _interrupt_deferred() as deferred:
        _publish(staging, target)
    if deferred.pending:  # Ctrl-C while the folders were being renamed: the pack is out
        raise RunInterrupted(
            f"interrupted: the new pack had just been published to {target}", term=name
        )
    shutil.rmtree(kept, ignore_errors=True)  # an older unpublished pack is out of date now
    outcome.pack = target
    outcome.index = target / "index.html"
    outcome.summary_xlsx = target / "summary.xlsx"
    outcome = _relocated(outcome, staging, target)
    if outcome.ready:
        _say(f"{name}: Ready to send — {target} (open {outcome.index})")
    elif edition == "analyst":
        state = "" if outcome.complete else " (INCOMPLETE: see the problems above)"
        _say(f"{name}: analyst edition written to {target}{state} — not for circulation")
    else:
        _say(f"{name}: NOT READY to send — published to {target}, but:")
        for line in _terminal_reasons(outcome):
            _say(f"  {line}")
    return outcome


def _relocated(outcome: TermOutcome, old: Path, new: Path) -> TermOutcome:
    """Point the results' page paths at the folder the pack was moved to."""
    for result in outcome.results:
        if result.html is not None and result.html.parent == old:
            result.html = new / result.html.name
    return outcome


def _public_reasons(outcome: TermOutcome) -> list[str]:
    """Why the pack is not ready, for a page: plain words, no paths, no raw errors."""
    reasons = [p.public for p in outcome.problems]
    failed = [INITIATIVES[r.initiative].title for r in outcome.results if not r.ok]
    if failed:
        reasons.append(f"Reports that failed and are not in this pack: {', '.join(failed)}.")
    if outcome.pdf_failures:
        reasons.append(
            f"{len(outcome.pdf_failures)} PDF(s) could not be written; the web pages are "
            "complete. The analyst can see why in the terminal output."
        )
    return reasons


def _terminal_reasons(outcome: TermOutcome) -> list[str]:
    """The not-ready summary: each cause once (its detail was printed as it happened)."""
    lines = []
    if outcome.problems:
        lines.append(f"{len(outcome.problems)} problem(s) with the term's returns (listed above)")
    failed = [r.initiative for r in outcome.results if not r.ok]
    if failed:
        lines.append(f"report(s) failed: {', '.join(failed)} (details above)")
    if outcome.pdf_failures:
        lines.append(f"{len(outcome.pdf_failures)} PDF(s) not written (above)")
    if outcome.audit_passed is False:
        lines.append(f"the privacy audit found {len(outcome.audit_findings)} problem(s)")
    return lines


def _say_problems(term: str, problems: list[TermProblem]) -> None:
    for problem in problems:
        _say(f"  {'NOT READY' if problem.fatal else 'problem'}: {problem.line}")


def _publish(staging: Path, target: Path) -> None:
    """Replace the pack ``target`` with ``staging`` by renaming folders: the old pack is
    moved aside first, the new one renamed into place, then the old one deleted."""
    aside = target.with_name(f".old-{target.name}-{os.getpid()}")
    shutil.rmtree(aside, ignore_errors=True)
    if target.exists():
        try:
            os.replace(target, aside)
        except PermissionError as error:  # Windows: a file in the pack is open (Excel)
            raise DsplEvalError(
                f"cannot replace the pack in {target.name}: a file in it is open in another "
                f"program ({error.filename or 'e.g. summary.xlsx in Excel'}); close it and "
                "run again (nothing was published: the pack there is unchanged)"
            ) from None
    try:
        os.replace(staging, target)
    except BaseException:
        if aside.exists() and not target.exists():
            os.replace(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (never signals it: on Windows ``os.kill`` would
    end it)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        if os.name == "nt":
            return True  # cannot tell: keep what it left
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


class RunLocked(DsplEvalError):
    """Another run holds the term folder's lock."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C: the run stopped and tidied up; ``str()`` is the one line to print."""

    def __init__(self, message: str, term: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.term = term

    def __str__(self) -> str:
        return self.message


class RunLock:
    """``reports/<term>/.dspl-eval.lock``: created exclusively, holding the pid, host and
    start time of the run; removed when the run ends. A lock whose process is no longer
    running (on this machine) is stale and is removed; any other lock refuses the run."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.held = False
        self.created = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _holder(self) -> dict:
        try:
            return json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        self.created = not self.path.parent.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z"),
        }
        for _attempt in range(3):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._remove_if_stale():
                    continue
                holder = self._holder()
                raise RunLocked(
                    f"another dspl-eval run (pid {holder.get('pid', '?')}, started "
                    f"{holder.get('started', 'just now')}"
                    + (
                        f" on {holder['host']}"
                        if holder.get("host", record["host"]) != record["host"]
                        else ""
                    )
                    + f") is writing {self.path.parent}; wait for it to finish and run "
                    f"again (if no such run is going on, delete {self.path})"
                ) from None
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(record, out)
            self.held = True
            return
        raise RunLocked(f"could not take the lock {self.path}; run again")

    def _remove_if_stale(self) -> bool:
        holder = self._holder()
        if not holder:  # being written this instant, or garbage: stale only when old
            try:
                age = time.time() - self.path.stat().st_mtime
            except OSError:
                return True  # it has just gone
            if age < 10:
                return False
        else:
            pid = holder.get("pid")
            if holder.get("host") not in (None, socket.gethostname()):
                return False  # another machine's run (shared drive): cannot tell
            if not isinstance(pid, int) or pid == os.getpid() or _pid_alive(pid):
                return False  # this very process (another run in it) counts as running
        _say(
            f"  note: removed a stale lock left by a run that is no longer going on "
            f"(pid {holder.get('pid', '?')}, started {holder.get('started', '?')})"
        )
        self.path.unlink(missing_ok=True)
        return True

    def release(self) -> None:
        if self.held and self._holder().get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
            if self.created:  # a run that did nothing leaves no empty folder behind
                with contextlib.suppress(OSError):
                    self.path.parent.rmdir()
        self.held = False


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C for the duration (only possible in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Deferred:
    pending = False


@contextlib.contextmanager
def _interrupt_deferred():
    """Hold a Ctrl-C back until the block is done (``.pending`` says one came)."""
    deferred = _Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield deferred
        return

    def note(signum, frame):
        deferred.pending = True

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield deferred
    finally:
        signal.signal(signal.SIGINT, previous)


def _end_children(timeout: float = 3.0) -> None:
    """End every process this one started — worker processes and the kernels they (or
    this process) started, which jupyter_client puts in sessions of their own — taking the
    whole tree first, so that a kernel whose worker died first is not missed."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return
    try:
        tree = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    doomed = []
    for child in tree:
        try:
            if any("resource_tracker" in part for part in child.cmdline()):
                continue  # multiprocessing's helper: ends by itself, quietly
            child.kill()
            doomed.append(child)
        except psutil.Error:
            continue
    psutil.wait_procs(doomed, timeout=timeout)


@contextlib.contextmanager
def _kernels_end_on_interrupt():
    """While a notebook runs in this process, Ctrl-C ends its kernel first (then raises
    KeyboardInterrupt), so the notebook client's tidying up does not wait for it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _end_children()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the main process, which ends them; what they
    inherit from it is frozen out of the garbage collector's sight (:func:`gc.freeze`:
    their collections walk only what they make, and the inherited pages stay shared)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()


def _tidy(term_root: Path, edition: str) -> None:
    """Remove staging and set-aside folders left by runs of this edition that died."""
    if not term_root.is_dir():
        return
    for prefix in (f".staging-{edition}-", f".old-{edition}-"):
        for folder in term_root.glob(f"{prefix}*"):
            pid = folder.name[len(prefix) :]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def _warn_old_layout(term_root: Path) -> None:
    """Pages an older dspl-eval wrote straight into reports/<term>/ are in no pack."""
    if not term_root.is_dir():
        return
    old = sorted(
        p.name
        for p in term_root.iterdir()
        if (p.is_file() and p.suffix in (".html", ".xlsx", ".pdf"))
        or (p.is_dir() and p.name == "notebooks")
    )
    if old:
        _say(
            f"  note: {term_root} still holds {', '.join(old)} from an older dspl-eval: they "
            "are not part of any pack and are never updated; delete them"
        )


#: worker pools kept for the batches run inside :func:`shared_workers` (workers → pool)
_SHARED_POOLS: dict[int, ProcessPoolExecutor] = {}
_sharing = False


@contextlib.contextmanager
def shared_workers():
    """Inside this block every batch reuses the same worker processes, and so their warm
    kernels (:mod:`dspl_eval.kernels`), instead of starting its own: the demo runs a dozen
    batches (terms × editions, then the year), and each would otherwise start and warm a
    kernel per worker again (about 5 s of CPU each). Kernels are still replaced after
    ``DSPL_EVAL_KERNEL_RUNS`` notebooks or a failure; a pool whose worker died is dropped.
    Everything ends when the block does."""
    global _sharing
    from dspl_eval import kernels

    outer, _sharing = _sharing, True
    try:
        with _zygote():
            yield
    finally:
        _sharing = outer
        if not outer:
            with _sigint_ignored():
                pools = list(_SHARED_POOLS.values())
                _SHARED_POOLS.clear()
                for pool in pools:
                    pool.shutdown(wait=True, cancel_futures=True)
                kernels.shutdown()


def _zygote() -> contextlib.AbstractContextManager:
    """One kernel zygote for the block when kernels are warm (:mod:`dspl_eval.zygote`:
    the report stack is imported once, and each worker's kernel is a fork of it)."""
    from dspl_eval import kernels, zygote

    if kernels.mode() != "warm":
        return contextlib.nullcontext()
    return zygote.running(kernels.warm_modules(NOTEBOOKS_DIR))


def _pool(workers: int) -> ProcessPoolExecutor:
    pool = _SHARED_POOLS.get(workers) if _sharing else None
    if pool is None or getattr(pool, "_broken", False):
        for thread in _PREPARING:  # never fork while a thread of ours may be importing
            thread.join()
        _PREPARING.clear()
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
        if _sharing:
            _SHARED_POOLS[workers] = pool
    return pool


def _execute_all(
    planned: list[Job], workers: int, meanwhile: Callable[[], None] | None = None
) -> list[JobResult]:
    """Run the jobs, ``workers`` at a time, saying which is running, done or failed.

    Each worker process keeps one warm kernel for the notebooks it runs
    (:mod:`dspl_eval.kernels`); it ends with the worker (the pool is shut down at the end,
    or at the end of :func:`shared_workers`) or, with one worker, when the jobs are done.
    On Ctrl-C every process below this one, kernels included, is ended at once.
    ``meanwhile`` is called once the jobs have started (after the worker processes are
    forked: it may start threads).
    """
    with _zygote():
        return _execute_all_now(planned, workers, meanwhile)


def _execute_all_now(
    planned: list[Job], workers: int, meanwhile: Callable[[], None] | None
) -> list[JobResult]:
    from dspl_eval import kernels

    results: dict[str, JobResult] = {}
    order = _longest_first(planned) if workers > 1 else planned
    waiting = [job.initiative for job in order]

    def started(count: int) -> None:
        for key in waiting[:count]:
            _say(f"  {key}: running")
        del waiting[:count]

    if workers == 1:
        if meanwhile is not None:
            meanwhile()
        try:
            with _kernels_end_on_interrupt():
                for job in planned:
                    started(1)
                    results[job.initiative] = _report_progress(execute(job))
        finally:
            if not _sharing:
                with _sigint_ignored():
                    kernels.shutdown()
        return [results[j.initiative] for j in planned]
    pool = _pool(workers)
    try:
        futures = {pool.submit(execute, job): job for job in order}
        if meanwhile is not None:
            meanwhile()
        started(workers)
        if waiting:
            _say(f"  queued: {', '.join(waiting)}")
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as failure:  # a worker process died
                result = JobResult(
                    job.initiative,
                    False,
                    0.0,
                    error=f"worker failed: {failure}",
                    reason="The calculation stopped unexpectedly, so the report was not published.",
                )
            results[job.initiative] = _report_progress(result)
            if result.cells_seconds is not None:
                _SECONDS[_duration_key(job)] = result.cells_seconds
            started(1)
    except BaseException:  # Ctrl-C: no queued job starts, the running ones are ended
        with _sigint_ignored():
            _SHARED_POOLS.pop(workers, None)
            pool.shutdown(wait=False, cancel_futures=True)
            _end_children()
        raise
    if not _sharing:
        pool.shutdown(wait=True)
    elif getattr(pool, "_broken", False):  # a worker died: the next batch gets a new pool
        _SHARED_POOLS.pop(workers, None)
        pool.shutdown(wait=False)
    return [results[j.initiative] for j in planned]


#: how long each report's cells took when it last ran in this process (seconds), by
#: notebook and edition: the demo runs the same reports term after term
_SECONDS: dict[tuple[Path, str], float] = {}
_SECONDS_PER_CELL = 0.1  # the guess before a report has run (about right for the demo)


def _duration_key(job: Job) -> tuple[Path, str]:
    return job.notebook, str(job.parameters.get("audience", ""))


def _longest_first(planned: list[Job]) -> list[Job]:
    """The jobs, the longest expected first (by its last run here, else by its number of
    code cells), so that no worker is left with a long report at the end while the others
    wait (longest processing time first: within 4/3 of the best split)."""

    def expected(job: Job) -> float:
        known = _SECONDS.get(_duration_key(job))
        return known if known is not None else _SECONDS_PER_CELL * _code_cells(job.notebook)

    return sorted(planned, key=expected, reverse=True)


def _code_cells(notebook: Path) -> int:
    try:
        cells = json.loads(notebook.read_text("utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return 0
    return sum(isinstance(c, dict) and c.get("cell_type") == "code" for c in cells)


def _report_progress(result: JobResult) -> JobResult:
    if result.ok:
        _say(f"  {result.initiative}: done in {result.seconds:.1f} s")
    else:
        where = f" (details: {result.log})" if result.log else ""
        _say(f"  {result.initiative}: FAILED in {result.seconds:.1f} s — {result.error}{where}")
    return result


def _prepare_audit(data: Path, term: str) -> None:
    """Read what the audit needs that does not depend on the pages (the fixed wording of
    the package and notebooks, the term's ids and names, the modules it and the index
    import) in a thread of this process
    while the workers run the notebooks: this process only waits for them meanwhile. The
    audit itself runs later, on the finished pack, as before; if this fails or is not
    finished, the audit reads them itself."""

    def read() -> None:
        with contextlib.suppress(Exception):
            import scipy.stats  # noqa: F401  (the audit's exact McNemar p)

            from dspl_eval import audit, index  # noqa: F401  (index: the pack's pages)

            audit.fixed_wording()
            audit.term_identities(data, term)

    thread = threading.Thread(target=read, name="dspl-eval-audit-prepare", daemon=True)
    _PREPARING.append(thread)
    thread.start()


_PREPARING: list[threading.Thread] = []  # joined before a pool forks new workers


def _audit(folder: Path, data: Path, term: str, threshold: int) -> tuple[bool, list[str]]:
    """The privacy audit of the pack (``dspl_eval.audit``), then, if it found nothing, the
    runner's own send-pack check (:func:`pack_findings`). Passes only with no findings."""
    from dspl_eval.audit import audit_reports

    accepted = inspect.signature(audit_reports).parameters
    options: dict[str, object] = {}
    if "terms" in accepted:  # the staging folder's name is not the term's
        options["terms"] = (term,)
    if "threshold" in accepted:
        options["threshold"] = threshold
    try:
        outcome = audit_reports(folder, data, **options)
    except Exception as error:  # fail closed: what was not checked is not sent
        return False, [f"the privacy audit could not run: {type(error).__name__}: {error}"]
    findings = [str(f) for f in outcome.findings]
    if not findings and getattr(outcome, "passed", True) is False:
        notes = "; ".join(str(n) for n in getattr(outcome, "notes", [])) or "no reason given"
        findings.append(f"the audit did not pass: {notes}")
    if not findings:  # a backstop: the audit checks these too, so say them only once
        findings = pack_findings(folder, data, term)
    return not findings, findings


def pack_findings(folder: Path, data: Path, term: str) -> list[str]:
    """What a send pack must never show: the raw returns' file names (schools name their
    files), their SHA-256 and server paths. One finding per file and thing found."""
    from dspl_eval.term_check import return_labels

    try:
        document = json.loads((processed_dir(data, term) / "validation.json").read_text("utf-8"))
    except (OSError, ValueError):
        document = {}
    files = document.get("files") or []
    needles: list[tuple[str, str]] = []
    for key in INITIATIVES:
        for name, label in return_labels(files, key).items():
            what = f"the file name of {key} {label}"
            needles.append((name, what))
            stem = Path(name).stem
            if len(stem) >= 10 and re.search(r"[\s_\-\d]", stem):
                needles.append((stem, what))
    needles += [(str(f["sha256"]), "a return's SHA-256") for f in files if f.get("sha256")]
    for root in {Path(data).resolve(), folder.resolve().parent.parent, Path.home()}:
        if len(str(root)) > 1:
            needles.append((str(root), "a server path"))
    if not needles:
        return []
    meaning: dict[str, set[str]] = {}
    for needle, what in needles:
        meaning.setdefault(needle.lower(), set()).add(what)
    findings = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = _pack_text(path)
        if text is None:
            continue
        text = text.lower()  # plain substring tests: a regular expression of every needle
        # took 90 ms a pack
        found = sorted({w for needle, whats in meaning.items() if needle in text for w in whats})
        findings += [f"{path.relative_to(folder)}: shows {what}" for what in found]
    return findings


_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]*")


def _pack_text(path: Path) -> str | None:
    if path.suffix.lower() in (".html", ".htm", ".txt", ".csv", ".json", ".md", ".log"):
        text = path.read_text("utf-8", errors="replace")
        return _DATA_URI.sub("", text)  # embedded images are not text a reader sees
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        cells = [str(book.properties.keywords or ""), str(book.properties.title or "")]
        for sheet in book.worksheets:
            cells += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
        return "\n".join(cells)
    return None


def _write_pdfs(pages: list[Path]) -> list[str]:
    """Print each page to a PDF beside it; the messages of those that failed."""
    from dspl_eval.export import write_pdf

    failures = []
    for page in pages:
        try:
            write_pdf(page, page.with_suffix(".pdf"))
            _say(f"  pdf: {page.with_suffix('.pdf').name}")
        except DsplEvalError as error:
            failures.append(f"pdf not written for {page.name}: {error}")
            _say(f"  {failures[-1]}")
    return failures


# ----------------------------------------------------------------------------- the year


def run_year(
    year: str,
    data: Path = Path("data"),
    reports: Path = Path("reports"),
    initiatives: list[str] | None = None,
    jobs: int | None = None,
    audience: str = "commissioner",
    pdf: bool = False,
    threshold: int | None = None,
    notebooks: Path | None = None,
    settings: Settings | None = None,
) -> TermOutcome:
    """Build and publish ``reports/<year>/<audience>/`` (e.g. ``reports/2023-24/``): the
    same notebooks run on the year's data (:func:`dspl_eval.year.build`: each person once,
    from the earliest baseline to the latest follow-up), with the same staging, audit and
    publishing as :func:`run_term`, and a page of trends across the terms.

    The commissioner edition's gates start from every set of people the term packs
    published (their ledgers, in year ids), so no year figure can be subtracted from a
    term figure to reveal a small group. A term pack without a ledger, or notebooks that
    do not take the known sets, make the year pack NOT READY (said on its index).
    """
    from dspl_eval import year as years

    years.check_year(year)
    edition = check_edition(audience)
    data, reports = Path(data), Path(reports)
    settings = _settings_for(data, threshold, settings)
    threshold = check_threshold(settings.threshold)
    root = Path(reports) / year
    staging = root / f".staging-{edition}-{os.getpid()}"
    for key in initiatives or ():
        get(key)
    if initiatives:
        requested = list(initiatives)
    else:  # every initiative with data in some term of the year
        terms = years.terms_of(year)
        requested = [
            key
            for key in INITIATIVES
            if any((processed_dir(data, t) / f"{key}.parquet").is_file() for t in terms)
        ] or list(INITIATIVES)
    with RunLock(root / ".dspl-eval.lock"):
        try:
            return _run_year_locked(
                year, data, reports, requested, edition, threshold, jobs, pdf, notebooks, settings
            )
        except KeyboardInterrupt as interrupt:
            with _sigint_ignored():
                _end_children()
                shutil.rmtree(staging, ignore_errors=True)
            if isinstance(interrupt, RunInterrupted):
                raise
            raise RunInterrupted(
                f"interrupted: nothing was published for {year}", term=year
            ) from None


def _plan_year(
    year: str,
    data: Path,
    work: Path,
    staging: Path,
    requested: list[str],
    edition: str,
    threshold: int,
    notebooks: Path | None,
    fingerprint: str,
    settings: Settings | None = None,
) -> list[Job]:
    """The year's jobs, checked as :func:`plan` checks a term's (notebook present,
    parameters declared). ``ledger_path`` and ``known_sets_path`` are passed to notebooks
    that declare them."""
    notebooks = Path(notebooks or NOTEBOOKS_DIR)
    planned = []
    for key in requested:
        notebook = notebooks / f"{key}.ipynb"
        if not notebook.is_file():
            raise ConfigError(f"no notebook for {key}: {notebook} does not exist")
        try:
            declared = papermill.inspect_notebook(str(notebook))
        except Exception as error:
            raise ConfigError(
                f"{notebook.name} cannot be inspected: {_first_line(str(error))}"
            ) from None
        parameters: dict[str, object] = {
            "term": year,
            "data_dir": str(Path(data).resolve()),
            "audience": edition,
            "suppression_threshold": threshold,
        }
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise ConfigError(
                f"{notebook.name}: its parameters cell does not declare {', '.join(unknown)} "
                f"(declared: {', '.join(declared) or 'nothing'})"
            )
        optional = {
            "ledger_path": str((work / f"{key}.ledger.json").resolve()),
            "known_sets_path": str((work / f"{key}.known.json").resolve()),
        }
        if "settings" in declared and settings is not None:
            parameters["settings"] = settings.to_parameters()
        if edition != "commissioner":  # the analyst edition's gate issues everything
            optional.pop("known_sets_path")
        needs = {"ledger_path": "ledger", "known_sets_path": "known"}
        parameters.update(
            {k: v for k, v in optional.items() if k in declared and _gate_has(needs[k])}
        )
        metadata = {
            "edition": edition,
            "term": year,
            "threshold": threshold,
            "initiative": key,
            "data_fingerprint": fingerprint,
        }
        planned.append(
            Job(key, notebook, work / f"{key}.ipynb", staging / f"{key}.html", parameters, metadata)
        )
    return planned


def _other_terms_sets(
    data: Path, reports: Path, term: str, key: str, work: Path
) -> tuple[Path, list[str]]:
    """Write what the year's other term packs published for ``key`` (in this term's gate
    ids, :func:`dspl_eval.year.term_known_sets`) to ``work/<key>.known.json`` for the
    report's gate to start from (an empty list in the first term). Returns the file and
    the other terms whose published sets could not be matched (``Known.missing``)."""
    from dspl_eval import year as years

    known = years.term_known_sets(data, reports, term, key)
    return years.write_sets(work / f"{key}.known.json", known.sets), known.missing


def _refresh_known_sets(
    data: Path, reports: Path, term: str, planned: list[Job]
) -> list[TermProblem]:
    """Each commissioner report's known sets again, now that the term is ingested (the
    plan's were made before, when a first run had no rows of this term to match them
    to), and a problem for each other term of the year whose pack cannot be checked
    against this one: a figure here could then be subtracted from one of its figures."""
    problems = []
    for job in planned:
        if "known_sets_path" not in job.parameters:
            continue
        key = job.initiative
        work = Path(str(job.parameters["known_sets_path"])).parent
        _, missing = _other_terms_sets(data, reports, term, key, work)
        title = INITIATIVES[key].title
        for other in missing:
            problems.append(
                TermProblem(
                    "no-ledger",
                    f"{other}: what the {key} report published is not on record, or can "
                    f"no longer be matched to its returns (its processed data is gone or "
                    f"was ingested again after the pack was built), so {term}'s figures "
                    f"cannot be checked against it; run {other} again, then {term}",
                    f"{title}: this term's figures could not be checked against the {other} "
                    "report's figures; that term must be run again first.",
                    key,
                )
            )
    return problems


def _gate_has(method: str) -> bool:
    """Whether the disclosure gate has ``method`` (``ledger``, ``known``): notebooks are
    only asked to write or read sets of people when it does."""
    from dspl_eval.gate import Gate

    return callable(getattr(Gate, method, None))


def _year_problems(data: Path, built, requested: list[str]) -> list[TermProblem]:
    """What keeps a year pack from being complete: terms not ingested, and the terms'
    returns that could not be read (each named as the term check names it)."""
    problems = []
    for term in built.missing:
        problems.append(
            TermProblem(
                "term-missing",
                f"{term}: not ingested, so the year {built.year} is incomplete (run "
                f"`dspl-eval ingest --term {term}` when its returns are in)",
                f"The {term.rsplit('-', 1)[1]} term is not in this year's figures yet.",
            )
        )
    for term in built.terms:
        problems += check_ingested(data, term, requested)
    return problems


def _run_year_locked(
    year: str,
    data: Path,
    reports: Path,
    requested: list[str],
    edition: str,
    threshold: int,
    jobs: int | None,
    pdf: bool,
    notebooks: Path | None,
    settings: Settings | None = None,
) -> TermOutcome:
    from dspl_eval import year as years

    root = Path(reports) / year
    staging = root / f".staging-{edition}-{os.getpid()}"
    work = root / "work" / edition
    built = years.build(data, year, requested)
    for note in built.notes:
        _say(f"  note: {note}")
    problems = _year_problems(data, built, requested)
    _say_problems(year, problems)
    fingerprint = years.fingerprint(data, year)
    planned = _plan_year(
        year, data, work, staging, requested, edition, threshold, notebooks, fingerprint, settings
    )
    work.mkdir(parents=True, exist_ok=True)
    if edition == "commissioner":
        problems += _write_known_sets(data, reports, year, built.terms, planned, work)
    meta = {
        "edition": edition,
        "term": year,
        "threshold": threshold,
        "initiative": "index",
        "data_fingerprint": fingerprint,
    }
    _tidy(root, edition)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        return _build_and_publish_year(
            year, built, data, reports, edition, threshold, planned, jobs, pdf, problems, meta,
            staging,
        )  # fmt: skip
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_known_sets(
    data: Path, reports: Path, year: str, terms: list[str], planned: list[Job], work: Path
) -> list[TermProblem]:
    """Each year report's known sets (the term packs' published sets, in year ids), and
    the problems that leave a year figure unchecked against a term figure."""
    from dspl_eval import year as years

    problems = []
    for job in planned:
        key = job.initiative
        known = years.known_sets(data, reports, terms, key, "commissioner")
        years.write_sets(work / f"{key}.known.json", known.sets)
        title = INITIATIVES[key].title
        if "known_sets_path" not in job.parameters:
            problems.append(
                TermProblem(
                    "year-unchecked",
                    f"{job.notebook.name} does not take known_sets_path: its year figures "
                    "are not checked against the term packs' figures",
                    f"{title}: the year's figures were not checked against the term reports' "
                    "figures, so they could let a small group be worked out by subtraction.",
                    key,
                )
            )
        for term in known.missing:
            problems.append(
                TermProblem(
                    "no-ledger",
                    f"{term}: what the {key} report published is not on record, or can no "
                    f"longer be matched to its returns "
                    f"({years.ledger_path(reports, term, 'commissioner', key)}); run the term "
                    "again, then the year",
                    f"{title}: the year's figures could not be checked against the {term} "
                    "report's figures; the term must be run again first.",
                    key,
                )
            )
    return problems


def _build_and_publish_year(
    year: str,
    built,
    data: Path,
    reports: Path,
    edition: str,
    threshold: int,
    planned: list[Job],
    jobs: int | None,
    pdf: bool,
    problems: list[TermProblem],
    meta: dict[str, object],
    staging: Path,
) -> TermOutcome:
    """As :func:`_build_and_publish`, for the year's folders, with the trends page."""
    from dspl_eval.index import write_index, write_summary_xlsx

    workers = max(1, min(jobs or os.cpu_count() or 1, len(planned)))
    _say(
        f"{year}: running {', '.join(j.initiative for j in planned)} on the year's data for "
        f"the {edition} edition (suppression threshold {threshold}; {workers} worker"
        f"{'s' if workers > 1 else ''})"
    )
    results = _execute_all(planned, workers)
    processed = built.folder
    summary_xlsx = write_summary_xlsx(
        staging / "summary.xlsx", year, results, edition, threshold=threshold, meta=meta,
        processed=processed,
    )  # fmt: skip
    problems = problems + _year_extras(year, built, data, reports, edition, threshold, staging)
    pdf_failures = _write_pdfs([r.html for r in results if r.ok and r.html]) if pdf else []
    outcome = TermOutcome(
        year, results, None, summary_xlsx, None, [], edition, threshold, problems, pdf_failures
    )

    def index() -> Path:
        return write_index(
            staging / "index.html", year, results, processed, edition, outcome.audit_passed,
            outcome.audit_findings, threshold=threshold, meta=meta,
            reasons=_public_reasons(outcome), ready=outcome.ready,
        )  # fmt: skip

    index()
    if edition == "commissioner":
        outcome.audit_passed, outcome.audit_findings = _audit_year(
            staging, data, year, built.terms, threshold
        )
        index()
    if pdf:
        failed = _write_pdfs([staging / "index.html"])
        if failed:
            outcome.pdf_failures += failed
            (staging / "index.pdf").unlink(missing_ok=True)
            index()
    root = Path(reports) / year
    target = root / edition
    kept = root / f"unpublished-{edition}"
    return _finish_pack(year, outcome, edition, staging, target, kept)


def _year_extras(
    year: str, built, data: Path, reports: Path, edition: str, threshold: int, staging: Path
) -> list[TermProblem]:
    """The year pack's pages across terms (trends; the returns tracker in the analyst
    edition). A page that cannot be built is a problem, never a crash."""
    from dspl_eval import tracker, trends

    problems = []
    if edition == "analyst":
        try:
            tracker.write_page(
                staging / "tracker.html", data, built.terms, edition, threshold, year,
                years_fingerprint(data, year),
            )  # fmt: skip
        except Exception as error:
            problems.append(
                TermProblem(
                    "tracker",
                    f"{year}: returns tracker not written: {error}",
                    "The returns tracker could not be built.",
                )
            )
    try:
        trends.write_page(staging / "trends.html", year, data, reports, edition, threshold)
    except Exception as error:  # the reports stand without it; say so
        _say(f"  trends page not written: {type(error).__name__}: {_first_line(str(error))}")
        problems.append(
            TermProblem(
                "trends",
                f"{year}: trends page not written: {error}",
                "The page of trends across terms could not be built.",
            )
        )
    return problems


def _analyst_extras(term: str, data: Path, pack: Path, settings: Settings | None) -> None:
    """Into an analyst pack of a term (its staging folder): the returns tracker
    (``tracker.html``) and one feedback workbook per school (``feedback/<school>/``)."""
    from dspl_eval import feedback, tracker

    threshold = settings.threshold if settings is not None else 5
    tracker.write_page(
        pack / "tracker.html", data, [term], "analyst", threshold, term,
        data_fingerprint(data, term), settings,
    )  # fmt: skip
    written = feedback.write_term(pack / "feedback", data, term, threshold, settings)
    _say(f"{term}: returns tracker and {len(written)} feedback workbook(s) for the analyst pack")


def years_fingerprint(data: Path, year: str) -> str:
    """SHA-256 of ``processed/<year>/validation.json`` ("" when there is none)."""
    from dspl_eval.year import fingerprint

    return fingerprint(data, year)


def _audit_year(
    folder: Path, data: Path, year: str, terms: list[str], threshold: int
) -> tuple[bool, list[str]]:
    """The privacy audit of a year pack, then the send-pack check against the raw file
    names of every term of the year (fail closed)."""
    from dspl_eval.audit import audit_reports

    try:
        outcome = audit_reports(folder, data, terms=(year,), threshold=threshold)
    except Exception as error:
        return False, [f"the privacy audit could not run: {type(error).__name__}: {error}"]
    findings = [str(f) for f in outcome.findings]
    if not findings and not outcome.passed:
        findings.append(f"the audit did not pass: {'; '.join(map(str, outcome.notes))}")
    if not findings:
        for term in terms:
            findings += pack_findings(folder, data, term)
    return not findings, findings


def run_demo(
    data: Path = Path("data/demo"),
    reports: Path = Path("reports/demo"),
    seed: int = 1,
    scale: int = 1,
    jobs: int | None = None,
    run_reports: bool = True,
    threshold: int | None = None,
    settings: Settings | None = None,
) -> int:
    """Write the synthetic returns, ingest and run every demo term; print the newest index.
    ``settings`` default to ``<data>/dspl-eval.toml`` (``threshold`` overrides theirs)."""
    from dspl_eval.synth import write_demo

    settings = _settings_for(Path(data), threshold, settings)
    started = time.perf_counter()
    write_demo(Path(data), seed=seed, scale=scale)
    _say(f"demo returns written to {data}/raw (synthetic; pseudonymised with the DEMO key)")
    with shared_workers():  # one set of warm kernels for every batch of the demo
        return _run_demo(data, reports, jobs, run_reports, settings, started)


def _run_demo(
    data: Path,
    reports: Path,
    jobs: int | None,
    run_reports: bool,
    settings: Settings,
    started: float,
) -> int:
    from dspl_eval.synth import DEMO_TERMS

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
            outcome = run_term(term, Path(data), Path(reports), jobs=jobs, settings=settings)
            code = max(code, outcome.exit_code)
            newest = outcome.index or newest
            analyst = run_term(
                term, Path(data), Path(reports), jobs=jobs, audience="analyst", settings=settings
            )
            code = max(code, analyst.exit_code)
    if run_reports:
        from dspl_eval import frontpage
        from dspl_eval.year import year_of

        year = year_of(DEMO_TERMS[-1])
        for edition in ("commissioner", "analyst"):
            outcome = run_year(
                year, Path(data), Path(reports), jobs=jobs, audience=edition, settings=settings
            )
            code = max(code, outcome.exit_code)
        front, findings = frontpage.write(Path(data), Path(reports), settings.threshold)
        if front is None:
            code = 1
            _say(f"front page NOT PUBLISHED — the privacy audit found {len(findings)} problem(s):")
            for finding in findings:
                _say(f"  {finding}")
        else:
            _say(f"front page across terms: {front.resolve()}")
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
