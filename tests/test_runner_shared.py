"""Batches inside ``runner.shared_workers()`` reuse one pool of worker processes (and so
their warm kernels); outside it each batch has its own, ended when it finishes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dspl_eval import runner


@dataclass(frozen=True)
class FakeJob:
    initiative: str
    notebook: Path = Path("no-such-notebook.ipynb")
    parameters: dict = field(default_factory=dict)


def where_it_ran(job: FakeJob) -> runner.JobResult:
    """A job that only says which process ran it (in place of a notebook)."""
    return runner.JobResult(job.initiative, True, 0.0, summary={"pid": os.getpid()})


def fails_hard(job: FakeJob) -> runner.JobResult:
    os._exit(3)  # the worker process dies


@pytest.fixture
def fake_execute(monkeypatch):
    monkeypatch.setattr(runner, "execute", where_it_ran)
    monkeypatch.setattr(runner, "_say", lambda *a, **k: None)


def pids(results: list[runner.JobResult]) -> set[int]:
    return {r.summary["pid"] for r in results}


def batch(n: int = 4) -> list[FakeJob]:
    return [FakeJob(f"job{i}") for i in range(n)]


def test_batches_in_a_shared_block_reuse_the_workers(fake_execute):
    with runner.shared_workers():
        first = pids(runner._execute_all(batch(), 2))
        pool = runner._SHARED_POOLS[2]
        workers = set(pool._processes)  # the pool's worker processes (pid → process)
        second = pids(runner._execute_all(batch(), 2))
        assert os.getpid() not in first
        assert runner._SHARED_POOLS[2] is pool
        assert first | second <= workers == set(pool._processes)  # no new processes
    assert not runner._SHARED_POOLS  # ended with the block


def test_batches_outside_a_shared_block_get_new_workers(fake_execute):
    first = pids(runner._execute_all(batch(), 2))
    second = pids(runner._execute_all(batch(), 2))
    assert not first & second
    assert not runner._SHARED_POOLS


def test_a_dead_worker_does_not_break_the_next_shared_batch(fake_execute, monkeypatch):
    with runner.shared_workers():
        monkeypatch.setattr(runner, "execute", fails_hard)
        failed = runner._execute_all(batch(2), 2)
        assert not any(r.ok for r in failed)
        assert all("worker failed" in (r.error or "") for r in failed)
        monkeypatch.setattr(runner, "execute", where_it_ran)
        again = runner._execute_all(batch(), 2)
        assert all(r.ok for r in again)


def notebook_with(path: Path, code_cells: int) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# a report"}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": "1", "outputs": [], "execution_count": None}
    ] * code_cells
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def test_the_longest_reports_start_first_and_results_keep_the_planned_order(
    fake_execute, monkeypatch, tmp_path
):
    """Longest processing time first: a long report left to the end keeps one worker busy
    while the others wait. Before a report has run here, its number of code cells is the
    guess; once it has, how long its cells took."""
    monkeypatch.setattr(runner, "_SECONDS", {})
    planned = [
        FakeJob("short", notebook_with(tmp_path / "short.ipynb", 3)),
        FakeJob("long", notebook_with(tmp_path / "long.ipynb", 20)),
        FakeJob("middle", notebook_with(tmp_path / "middle.ipynb", 10)),
        FakeJob("missing"),  # no notebook: no guess, last
    ]
    order = [j.initiative for j in runner._longest_first(planned)]
    assert order == ["long", "middle", "short", "missing"]
    runner._SECONDS[runner._duration_key(planned[0])] = 60.0  # "short" took a minute last time
    assert runner._longest_first(planned)[0].initiative == "short"
    results = runner._execute_all(planned, 2)
    assert [r.initiative for r in results] == ["short", "long", "middle", "missing"]
