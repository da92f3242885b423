"""Benchmark the disclosure gate on the requests of real demo reports, at 1x, 10x, 100x.

Step 1 (``--record``, once per scale): write and ingest the demo returns for one term
with N times more children, run each packaged notebook in this process (its code cells
in order, with the papermill parameters set) and record every ``Gate.counts`` request —
the sets of people, in order. Recordings go to ``benchmarks/out/gate/`` (git-ignored).

Step 2 (default): replay each recording into a fresh gate and time it; with
``--reference OLD.py`` (an earlier ``dspl_eval/gate.py``, e.g. ``git show
96899df:dspl_eval/gate.py > /tmp/gate_before.py``) the old gate replays it too and the
decisions are compared. The request sequence is the one the recording gate produced;
an old gate that decides differently would have been asked slightly different things
later, so a difference is reported, not hidden.

Usage::

    python benchmarks/gate.py --record --scales 1 10 100
    python benchmarks/gate.py --scales 1 10 100 --reference /tmp/gate_before.py

Prints a markdown table (per report and per scale). Nothing here is asserted. Set
``OPENBLAS_NUM_THREADS=1`` to measure what a batch worker sees without threads fighting
over the cores (the gate's matrices are small).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import pickle
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

OUT = Path(__file__).resolve().parent / "out" / "gate"
TERM = "2023-24-autumn"


def _data(scale: int) -> Path:
    from dspl_eval.ingest import ingest_term
    from dspl_eval.synth import write_demo

    data = OUT / f"data-x{scale}"
    if not (data / "processed" / TERM / "validation.json").is_file():
        write_demo(data, seed=1, scale=scale, terms=(TERM,))
        ingest_term(data, TERM)
    return data


def record(scale: int, keys: list[str]) -> Path:
    """Run each notebook in-process on the scaled demo data; keep its gate requests."""
    from dspl_eval import gate
    from dspl_eval.paths import NOTEBOOKS_DIR

    data = _data(scale)
    recorded: dict[str, list] = {}
    original = gate.Gate.counts
    for key in keys:
        log: list = []

        def counts(self, cells, _log=log):
            cells = dict(cells)
            _log.append([(label, frozenset(m)) for label, m in cells.items()])
            return original(self, cells)

        gate.Gate.counts = counts
        namespace: dict = {}
        started = time.perf_counter()
        try:
            cells = json.loads((NOTEBOOKS_DIR / f"{key}.ipynb").read_text("utf-8"))["cells"]
            for cell in cells:
                if cell["cell_type"] != "code":
                    continue
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile("".join(cell["source"]), f"{key}.ipynb", "exec"), namespace)
                if "parameters" in (cell.get("metadata", {}).get("tags") or []):
                    namespace.update(
                        term=TERM,
                        data_dir=str(data),
                        audience="commissioner",
                        suppression_threshold=5,
                    )
            status = "ok"
        except Exception as error:  # a notebook being rewritten: keep what it asked so far
            status = f"stopped: {type(error).__name__}: {error}"[:120]
        finally:
            gate.Gate.counts = original
        recorded[key] = log
        print(
            f"x{scale} {key}: {len(log)} requests, {time.perf_counter() - started:.1f} s, {status}",
            flush=True,
        )
    path = OUT / f"requests-x{scale}.pkl"
    path.write_bytes(pickle.dumps(recorded))
    return path


def replay(gate_class, log: list, threshold: int = 5) -> tuple[float, list]:
    gate = gate_class(threshold)
    started = time.perf_counter()
    seen = []
    for request in log:
        issued = gate.counts(dict(request))
        seen.append(tuple((repr(k), v.hidden, v.reason) for k, v in issued.items()))
    return time.perf_counter() - started, seen


def _load(path: Path):
    spec = importlib.util.spec_from_file_location("gate_reference", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_reference"] = module
    spec.loader.exec_module(module)
    return module


def _shape(log: list) -> tuple[int, int, int]:
    """(distinct sets, people, atoms) of a recording."""
    import numpy as np

    sets = list(dict.fromkeys(s for request in log for _, s in request if s))
    everyone = frozenset().union(*sets) if sets else frozenset()
    index = {p: i for i, p in enumerate(everyone)}
    matrix = np.zeros((len(sets), len(everyone)), dtype=bool)
    for i, s in enumerate(sets):
        matrix[i, [index[p] for p in s]] = True
    atoms = len(np.unique(matrix.T, axis=0)) if len(everyone) else 0
    return len(sets), len(everyone), atoms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--keys", nargs="+", default=["ebsa", "elsa", "nqt", "nurture"])
    parser.add_argument("--record", action="store_true", help="record the requests first")
    parser.add_argument("--reference", type=Path, help="an older gate.py to compare with")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.record:
        for scale in args.scales:
            record(scale, args.keys)
    from dspl_eval.gate import Gate

    reference = _load(args.reference) if args.reference else None
    print("\n| scale | report | requests | sets | people | atoms | gate (s) |", end="")
    print(" reference (s) | decisions |" if reference else "")
    print("|---|---|---|---|---|---|---|" + ("---|---|" if reference else ""))
    for scale in args.scales:
        path = OUT / f"requests-x{scale}.pkl"
        if not path.is_file():
            print(f"| x{scale} | (no recording: run with --record) |")
            continue
        recorded = pickle.loads(path.read_bytes())
        total = total_ref = 0.0
        for key in args.keys:
            if key not in recorded:
                continue
            log = recorded[key]
            took, ours = replay(Gate, log)
            total += took
            n_sets, n_people, n_atoms = _shape(log)
            row = f"| x{scale} | {key} | {len(log)} | {n_sets} | {n_people} | {n_atoms} |"
            row += f" {took:.2f} |"
            if reference:
                took_ref, theirs = replay(reference.Gate, log)
                total_ref += took_ref
                differ = sum(a != b for a, b in zip(ours, theirs, strict=True))
                row += f" {took_ref:.2f} | {'same' if not differ else f'{differ} differ'} |"
            print(row, flush=True)
        row = f"| x{scale} | **all four** | | | | | **{total:.2f}** |"
        print(row + (f" **{total_ref:.2f}** | |" if reference else ""), flush=True)


if __name__ == "__main__":
    main()
