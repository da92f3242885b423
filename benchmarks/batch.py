"""Benchmark the termly batch against the loop an analyst would write by hand.

The naive loop runs, one notebook after another, the ``papermill`` command line and then
``jupyter nbconvert --to html``; the batch is ``dspl_eval.runner.run_term`` (worker
processes, one per core, in-process HTML export). Both run the same four notebooks on the
same demo term. Then the batch runs again on returns for 100x more children, to show that
reports aggregate before plotting (goal: at most 1.5x as long).

Usage: ``python benchmarks/batch.py [--scale 100] [--repeats 2]``. Prints a markdown table
for the README. Outputs go to ``benchmarks/out/`` (git-ignored). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dspl_eval.ingest import ingest_term
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.paths import NOTEBOOKS_DIR
from dspl_eval.runner import run_term
from dspl_eval.synth import write_demo

OUT = Path(__file__).resolve().parent / "out" / "batch"
TERM = "2023-24-autumn"
BIN = Path(sys.executable).parent


def _prepare(scale: int) -> Path:
    data = OUT / f"data-x{scale}"
    if not (data / "processed" / TERM / "validation.json").is_file():
        shutil.rmtree(data, ignore_errors=True)
        write_demo(data, seed=1, scale=scale, terms=(TERM,))
        ingest_term(data, TERM)
    return data


def naive_loop(data: Path) -> float:
    """papermill CLI, then jupyter nbconvert CLI, per notebook, sequentially."""
    out = OUT / "naive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    for key in INITIATIVES:
        executed = out / f"{key}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(NOTEBOOKS_DIR / f"{key}.ipynb"),
                str(executed),
                "-p",
                "term",
                TERM,
                "-p",
                "data_dir",
                str(data.resolve()),
                "-k",
                "python3",
                "--cwd",
                str(NOTEBOOKS_DIR),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def batch(data: Path, jobs: int | None = None) -> float:
    reports = OUT / "batch-reports"
    shutil.rmtree(reports, ignore_errors=True)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        outcome = run_term(TERM, data, reports, jobs=jobs)
    took = time.perf_counter() - started
    if outcome.exit_code:
        raise SystemExit(f"batch failed: {[r.error for r in outcome.results if not r.ok]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    small, large = _prepare(1), _prepare(args.scale)
    naive = min(naive_loop(small) for _ in range(args.repeats))
    fast = min(batch(small) for _ in range(args.repeats))
    big = min(batch(large) for _ in range(args.repeats))
    cores = os.cpu_count()
    print(
        f"| batch vs naive loop, 4 reports, {cores} cores | naive {naive:.1f} s | "
        f"batch {fast:.1f} s | ratio {fast / naive:.2f} (goal ≤ 0.3) |"
    )
    print(
        f"| batch at scale x{args.scale} vs x1 | x1 {fast:.1f} s | x{args.scale} {big:.1f} s "
        f"| ratio {big / fast:.2f} (goal ≤ 1.5) |"
    )


if __name__ == "__main__":
    main()
