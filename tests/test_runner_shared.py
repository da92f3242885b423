"""Batches inside ``runner.shared_workers()`` reuse one pool of worker processes (and so
their warm kernels); outside it each batch has its own, ended when it finishes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from dspl_eval import runner


@dataclass(frozen=True)
class FakeJob:
    initiative: str


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
