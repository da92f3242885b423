"""Shared fixtures. ``demo_run`` builds the whole demo once per test session (per xdist
worker): synthetic returns for the three 2023-24 terms, ingested, and every report run
for commissioners (plus the summer term for analysts, into a reports folder of its own).
Tests that use it are marked ``slow`` and grouped on one xdist worker with
``xdist_group("demo")``.

Layout (``dspl_eval.paths``): ``reports/<term>/commissioner/`` is the send pack,
``reports/<term>/work/commissioner/`` the executed notebooks and logs; ``demo_run.pack``
and ``demo_run.work`` give them for a term."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from dspl_eval.paths import edition_dir, work_dir
from dspl_eval.runner import TermOutcome, run_term
from dspl_eval.synth import DEMO_TERMS, DemoManifest, write_demo


@dataclass
class DemoRun:
    data: Path
    reports: Path
    analyst_reports: Path
    manifest: DemoManifest
    outcomes: dict[str, TermOutcome]
    analyst: TermOutcome

    def pack(self, term: str, edition: str = "commissioner") -> Path:
        """The published pack of ``term`` (what would be sent, for commissioners)."""
        reports = self.reports if edition == "commissioner" else self.analyst_reports
        return edition_dir(reports, term, edition)

    def work(self, term: str, edition: str = "commissioner") -> Path:
        """Executed notebooks and kernel logs of ``term`` (never sent)."""
        reports = self.reports if edition == "commissioner" else self.analyst_reports
        return work_dir(reports, term, edition)


def _code_hash() -> str:
    """SHA-256 (first 12 hex digits) of every file of the ``dspl_eval`` package."""
    import dspl_eval

    digest = hashlib.sha256()
    root = Path(dspl_eval.__file__).parent
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Built once per test session, shared by every pytest-xdist worker: the first worker
    to get here builds it under a file lock and pickles the result; the others read it.
    The folder sits beside the session's temporary folder, so it outlives the session:
    it is named by a hash of the package and its notebooks, so a later session with
    other code builds its own instead of reading a run that code did not make."""
    shared = tmp_path_factory.getbasetemp().parent / f"demo-shared-{_code_hash()}"
    shared.mkdir(parents=True, exist_ok=True)
    saved = shared / "demo_run.pickle"
    with FileLock(str(shared / "demo_run.lock")):
        if saved.is_file():
            return pickle.loads(saved.read_bytes())
        data, reports, analyst_reports = shared / "data", shared / "reports", shared / "analyst"
        manifest = write_demo(data, seed=1)
        outcomes = {term: run_term(term, data, reports, jobs=2) for term in DEMO_TERMS}
        analyst = run_term(DEMO_TERMS[-1], data, analyst_reports, jobs=2, audience="analyst")
        run = DemoRun(data, reports, analyst_reports, manifest, outcomes, analyst)
        saved.write_bytes(pickle.dumps(run))
        return run
