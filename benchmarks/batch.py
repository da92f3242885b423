"""Benchmark the termly batch (issue 16): the naive loop, the batch with fresh kernels,
the batch with warm kernels, the warm batch on 100x more children, and the demo year.

- naive: the loop an analyst would write by hand, one notebook after another, the
  ``papermill`` command line and then ``jupyter nbconvert --to html --no-input``;
- fresh: ``dspl_eval.runner.run_term`` with ``DSPL_EVAL_KERNELS=fresh`` (stock papermill:
  a kernel started, and the stack imported, for every notebook);
- warm: ``run_term`` as shipped (one warm kernel per worker, :mod:`dspl_eval.kernels`);
- warm xN: the same on returns for N times more children (reports aggregate before they
  plot, so this should cost little more);
- year: the whole demo as ``dspl-eval demo`` builds it (every demo term; then the year
  pack with ``runner.run_year`` when that exists), warm kernels.

Each runs in a child process of its own, one after another on the same demo data. For
each: wall time (measured inside the child, around the work only), CPU time of the whole
process tree (user + system of the child and every process below it, from
``getrusage(RUSAGE_CHILDREN)``: kernels and workers are waited for, so they count) and
peak memory (the largest sum of RSS over the child's process tree, sampled with psutil
every 50 ms). Then the ratios against the goals, and where the warm batch spends its time
(cells of the notebooks vs the rest), from the executed notebooks' papermill timings.

Usage: ``python benchmarks/batch.py [--scale 100] [--jobs N] [--data DIR] [--no-year]``.
``--data`` runs on an existing, ingested data root (copied first; e.g. a frozen demo).
Outputs go to ``benchmarks/out/batch/`` (git-ignored). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "batch"
TERM = "2023-24-autumn"
BIN = Path(sys.executable).parent
GIB = 1024**3
GOALS = {"batch_vs_naive": 0.20, "warm_vs_fresh": 0.6, "peak_gib": 2.0, "scale": 1.5}


# --- the variants (each runs in a child process: ``--one KIND``) ------------------------


def _naive(data: Path, out: Path, term: str) -> None:
    from dspl_eval.initiatives import INITIATIVES
    from dspl_eval.paths import NOTEBOOKS_DIR

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for key in INITIATIVES:
        executed = out / f"{key}.ipynb"
        _check(
            subprocess.run(
                [
                    *(str(BIN / "papermill"), str(NOTEBOOKS_DIR / f"{key}.ipynb"), str(executed)),
                    *("-p", "term", term, "-p", "data_dir", str(data.resolve())),
                    *("-k", "python3", "--cwd", str(NOTEBOOKS_DIR), "--no-progress-bar"),
                ],
                capture_output=True,
                text=True,
            )
        )
        _check(
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                capture_output=True,
                text=True,
            )
        )


def _check(done: subprocess.CompletedProcess) -> None:
    if done.returncode:
        raise SystemExit(f"{' '.join(done.args[:2])} failed:\n{done.stderr[-2000:]}")


def _batch(data: Path, out: Path, term: str, jobs: int | None) -> None:
    from dspl_eval.runner import run_term

    shutil.rmtree(out, ignore_errors=True)
    with contextlib.redirect_stdout(io.StringIO()):
        outcome = run_term(term, data, out, jobs=jobs)
    failed = [r.error for r in outcome.results if not r.ok]
    if failed or not outcome.results:
        raise SystemExit(f"batch failed: {failed}")


def _year(data: Path, out: Path, jobs: int | None) -> None:
    from dspl_eval import runner
    from dspl_eval.synth import DEMO_TERMS

    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    command = [str(BIN / "dspl-eval"), "demo", "--data", str(data), "--reports", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True)
    print(f"dspl-eval demo: exit {done.returncode}", file=sys.stderr)
    if hasattr(runner, "run_year") and "year" not in done.stdout.lower():
        year = DEMO_TERMS[0][:7]
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                outcome = runner.run_year(year, data, out, jobs=jobs)
            print(f"run_year({year}): exit {outcome.exit_code}", file=sys.stderr)
        except Exception as error:  # issue 15 still being built
            print(f"run_year({year}) failed: {type(error).__name__}: {error}", file=sys.stderr)


def _one(kind: str, data: Path, out: Path, jobs: int | None) -> None:
    started = time.perf_counter()
    if kind == "naive":
        _naive(data, out, TERM)
    elif kind in ("fresh", "warm"):
        os.environ["DSPL_EVAL_KERNELS"] = kind
        _batch(data, out, TERM, jobs)
    elif kind == "year":
        _year(data, out, jobs)
    else:
        raise SystemExit(f"unknown variant {kind}")
    print(json.dumps({"wall": time.perf_counter() - started}))


# --- measuring a child ------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def measure(kind: str, data: Path, out: Path, jobs: int | None) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, __file__, "--one", kind, "--data", str(data), "--out", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(child.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    done.set()
    sampler.join()
    outside = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if child.returncode:
        raise SystemExit(f"{kind} failed ({child.returncode}):\n{stderr[-3000:]}")
    wall = json.loads(stdout.strip().splitlines()[-1])["wall"]
    notes = [line for line in stderr.splitlines() if line.startswith(("dspl-eval", "run_year"))]
    result = {"wall": wall, "outside": outside, "cpu": cpu, "peak": peak, "notes": notes}
    print(f"  {kind} on {data.name}: {_row(kind, result)} {'; '.join(notes)}", file=sys.stderr)
    return result


# --- data ------------------------------------------------------------------------------


def _prepare(scale: int) -> Path:
    from dspl_eval.ingest import ingest_term
    from dspl_eval.initiatives import INITIATIVES
    from dspl_eval.synth import write_demo

    data = OUT / f"data-x{scale}"
    made = data / "made-for.json"  # remade when the initiatives change
    wanted = json.dumps({"initiatives": sorted(INITIATIVES), "term": TERM, "scale": scale})
    if not made.is_file() or made.read_text("utf-8") != wanted:
        shutil.rmtree(data, ignore_errors=True)
        write_demo(data, seed=1, scale=scale, terms=(TERM,))
        ingest_term(data, TERM)
        made.write_text(wanted, "utf-8")
    return data


def _copied(source: Path) -> Path:
    data = OUT / "data-given"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(source, data)  # copy2: modification times kept, so no re-ingest
    return data


def _time_split(reports: Path) -> tuple[float, dict[str, float]]:
    """Seconds spent inside the notebooks' cells, in total and by notebook (papermill's
    per-cell timings in the executed notebooks of a batch)."""
    import nbformat

    per = {}
    for path in sorted(reports.glob(f"{TERM}/work/commissioner/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        per[path.stem] = sum(
            float(c.metadata.get("papermill", {}).get("duration") or 0) for c in nb.cells
        )
    return sum(per.values()), per


def _row(label: str, m: dict) -> str:
    return f"| {label} | {m['wall']:.1f} s | {m['cpu']:.1f} s | {m['peak'] / GIB:.2f} GiB |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: one per core)")
    parser.add_argument("--data", type=Path, default=None, help="an ingested data root to use")
    parser.add_argument("--no-year", action="store_true", help="skip the demo year")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one, args.data, args.out, args.jobs)
        return

    global TERM
    small = _copied(args.data) if args.data else _prepare(1)
    if args.data:
        terms = sorted(p.name for p in (small / "processed").iterdir() if p.is_dir())
        TERM = terms[0]
    large = _prepare(args.scale) if args.scale > 1 and not args.data else None
    cores = os.cpu_count()
    measured = {
        "naive": measure("naive", small, OUT / "naive", None),
        "fresh": measure("fresh", small, OUT / "fresh", args.jobs),
        "warm": measure("warm", small, OUT / "warm", args.jobs),
    }
    cells, per = _time_split(OUT / "warm")
    if large is not None:
        measured["large"] = measure("warm", large, OUT / "warm-large", args.jobs)
    if not args.no_year:
        measured["year"] = measure("year", OUT / "data-year", OUT / "year", args.jobs)

    load = os.getloadavg()
    print(f"# {TERM}, {cores} cores, load average {load[0]:.1f} (1 min) at the end\n")
    print("| run | wall | CPU (process tree) | peak RSS (process tree) |")
    print("|---|---|---|---|")
    print(_row("naive loop (papermill CLI + nbconvert CLI, one at a time)", measured["naive"]))
    print(_row("batch, fresh kernels (stock papermill)", measured["fresh"]))
    print(_row("batch, warm kernels", measured["warm"]))
    if "large" in measured:
        print(_row(f"batch, warm kernels, x{args.scale} children", measured["large"]))
    if "year" in measured:
        notes = "; ".join(measured["year"]["notes"])
        print(_row(f"demo year ({notes or 'dspl-eval demo'})", measured["year"]))
    naive, fresh, warm = measured["naive"], measured["fresh"], measured["warm"]
    print()
    print("| goal | measured | target |")
    print("|---|---|---|")
    print(
        f"| term batch vs naive loop (wall) | {warm['wall'] / naive['wall']:.2f} "
        f"| ≤ {GOALS['batch_vs_naive']:.2f} |"
    )
    print(
        f"| warm vs fresh kernels (wall) | {warm['wall'] / fresh['wall']:.2f} "
        f"| ≤ {GOALS['warm_vs_fresh']:.1f} |"
    )
    print(f"| warm vs fresh kernels (CPU) | {warm['cpu'] / fresh['cpu']:.2f} | (no goal) |")
    peak = max(m["peak"] for k, m in measured.items() if k in ("fresh", "warm", "large"))
    print(f"| batch peak memory | {peak / GIB:.2f} GiB | ≤ {GOALS['peak_gib']:.0f} GiB |")
    if "large" in measured:
        print(
            f"| x{args.scale} children vs x1 (warm, wall) | "
            f"{measured['large']['wall'] / warm['wall']:.2f} | ≤ {GOALS['scale']} |"
        )
    print()
    print(
        f"warm batch: {cells:.1f} s inside notebook cells (summed over notebooks: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in per.items())
        + f"); the batch's CPU was {warm['cpu']:.1f} s in all"
    )


if __name__ == "__main__":
    main()
