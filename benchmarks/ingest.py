"""Benchmark: ingesting a 100,000-row EBSA return against a bare ``pandas.read_excel``.

The goal (issue 2) is that cleaning + validation cost no more than the parse itself:
``ingest_file`` ≤ 2 × ``pandas.read_excel(path, engine="calamine")`` on the same file.

The return is generated once into ``benchmarks/out/`` (git-ignored) with openpyxl's
write-only mode and looks like a real one: two title rows above the header, names, dates of
birth and addresses, dates in five styles (dd/mm/yyyy text, d/m/yy text, ISO text, real
Excel dates, ``3 Oct 2023``), percentages as ``58%`` text and bare numbers, yes/no words,
year groups as ``Y6``/``Year 6``/``6``/``R``, SEN codes and words, UPNs with valid check
letters (``stdnum.gb.upn.calc_check_digit``), a few bad values and a Total row. Since
issue 12 it also holds what Excel users make: attendance typed into cells formatted as
percentages (the cell holds 0.583, Excel shows 58.3%) and a few Excel error cells
(``#DIV/0!``), which ingestion reads from the sheet's XML beside calamine.

Usage::

    .venv/bin/python benchmarks/ingest.py            # 100,000 rows, best of 3
    .venv/bin/python benchmarks/ingest.py --rows 20000 --repeat 1 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from stdnum.gb import upn as stdnum_upn

from dspl_eval.identity import Key
from dspl_eval.ingest import ingest_file
from dspl_eval.initiatives import get

OUT = Path(__file__).resolve().parent / "out"
HEADER = [
    "UPN",
    "First name",
    "Surname",
    "DOB",
    "Address",
    "School Name",
    "Year",
    "SEN",
    "Gender",
    "Referral date",
    "Referred by",
    "Start date",
    "End date",
    "Sessions possible (before)",
    "Sessions attended (before)",
    "Attendance % (before)",
    "ATTENDANCE_POST",
    "PASS feelings about school (pre)",
    "PASS feelings about school (post)",
    "Notes",
]
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jack"]
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Khan"]
SCHOOLS = [
    f"{n} {k}"
    for n in ("Oakfield", "Barnwell", "Hillside", "Riverside")
    for k in ("Primary", "Academy", "Community School", "High School")
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _upns(rows: int) -> list[str]:
    """Distinct valid UPNs: LA 801, varying DfE number, year and serial."""
    out = []
    for i in range(rows):
        body = f"801{2000 + i // 100_000 % 8000:04d}{i // 1000 % 100:02d}{i % 1000:03d}"
        out.append(stdnum_upn.calc_check_digit(body) + body)
    return out


def _date_cell(date: dt.date, style: int) -> object:
    match style:
        case 0:
            return date.strftime("%d/%m/%Y")
        case 1:
            return f"{date.day}/{date.month}/{date.strftime('%y')}"
        case 2:
            return date.isoformat()
        case 3:
            return dt.datetime(date.year, date.month, date.day)
        case _:
            return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def generate(path: Path, rows: int, seed: int = 2023) -> Path:
    """Write the messy return (takes about a minute for 100,000 rows)."""
    rng = np.random.default_rng(seed)
    upns = _upns(rows)
    book = openpyxl.Workbook(write_only=True)
    notes = book.create_sheet("Instructions")
    notes.append(["Fill in one row per child. Do not change the headings."])
    sheet = book.create_sheet("Return")
    sheet.append(["EBSA support pilot — termly return (synthetic benchmark data)"])
    sheet.append(["Local authority: Barnwell", None, None, "Term: autumn 2023"])
    sheet.append([])
    sheet.append(HEADER)
    start_day = dt.date(2023, 9, 4)
    styles = rng.integers(0, 5, size=(rows, 3))
    referral = rng.integers(0, 60, rows)
    wait = rng.integers(0, 30, rows)
    length = rng.integers(20, 120, rows)
    possible = rng.integers(60, 140, rows)
    before = np.clip(rng.normal(58, 18, rows), 0, 100)
    after = np.clip(before + rng.normal(25, 15, rows), 0, 100)
    pass_pre = rng.integers(1, 100, rows)
    pass_post = np.clip(pass_pre + rng.integers(-10, 40, rows), 1, 100)
    year_styles = ("{}", "Y{}", "Year {}", "Yr {}")
    for i in range(rows):
        ref = start_day + dt.timedelta(days=int(referral[i]))
        start = ref + dt.timedelta(days=int(wait[i]))
        end = start + dt.timedelta(days=int(length[i]))
        year = int(rng.integers(0, 12))
        year_cell = "R" if year == 0 else year_styles[i % 4].format(year)
        sessions = i % 3 == 0
        attended = round(int(possible[i]) * float(before[i]) / 100)
        if i % 2:
            before_cell = f"{before[i]:.0f}%"
            after_cell = f"{after[i]:.0f}%" if i % 7 else "n/a"
        else:  # typed as 58.3% into a cell formatted as a percentage: it holds 0.583
            before_cell = WriteOnlyCell(sheet, value=round(float(before[i]) / 100, 3))
            before_cell.number_format = "0.0%"
            after_cell = round(float(after[i]), 1)
        if i % 1013 == 7:
            after_cell = WriteOnlyCell(sheet, value="#DIV/0!")  # an Excel error value
        row = [
            upns[i],
            FIRST[i % len(FIRST)],
            LAST[i % len(LAST)],
            f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2008 + i % 8}",
            f"{1 + i % 200} High Street, Barnwell",
            SCHOOLS[i % len(SCHOOLS)],
            year_cell,
            ("N", "K", "E", "SEN support", "none")[i % 5],
            ("F", "M", "Female", "Male", "")[i % 5],
            _date_cell(ref, styles[i, 0]),
            ("School", "parent", "Parent/Carer", "other")[i % 4],
            _date_cell(start, styles[i, 1]),
            _date_cell(end, styles[i, 2]) if i % 5 else None,
            int(possible[i]) if sessions else None,
            attended if sessions else None,
            None if sessions else before_cell,
            after_cell,
            f"{pass_pre[i]}",
            int(pass_post[i]) if i % 4 else "",
            "" if i % 11 else "referred again in spring",
        ]
        if i % 997 == 13:  # a few genuinely bad values
            row[9] = "31/02/2024"
        if i % 1009 == 17:
            row[0] = ("A" if upns[i][0] != "A" else "B") + upns[i][1:]
        sheet.append(row)
        if i % 5000 == 4999:
            sheet.append([])  # blank rows here and there
    sheet.append([None, None, None, None, None, "Total", None, None, None, None, None, None])
    book.save(path)
    return path


def best_of(repeat: int, run, clock=time.perf_counter) -> float:
    """The fastest of ``repeat`` runs by ``clock`` (wall time by default)."""
    times = []
    for _ in range(repeat):
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one ingest_file run")
    args = parser.parse_args(argv)

    OUT.mkdir(exist_ok=True)
    path = OUT / f"ebsa_{args.rows}_v2.xlsx"  # v2: percentage formats and error cells
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        generate(path, args.rows)
    initiative = get("ebsa")
    key = Key(b"benchmark key, not secret: synthetic", "benchmark")

    check = ingest_file(path, initiative, key)
    if check.error:
        print(check.error, file=sys.stderr)
        return 1
    bare = best_of(args.repeat, lambda: pd.read_excel(path, engine="calamine", sheet_name="Return"))
    full = best_of(args.repeat, lambda: ingest_file(path, initiative, key))
    ratio = full / bare
    # CPU time of this process: on a shared, busy machine wall time mostly measures the
    # neighbours; both runs are single-threaded, so CPU time compares the work done
    bare_cpu = best_of(
        args.repeat,
        lambda: pd.read_excel(path, engine="calamine", sheet_name="Return"),
        time.process_time,
    )
    full_cpu = best_of(args.repeat, lambda: ingest_file(path, initiative, key), time.process_time)
    size = path.stat().st_size / 1e6
    print(
        f"{path.name} ({size:.1f} MB): read {check.rows_read:,}, kept {check.rows_kept:,}, "
        f"quarantined {check.rows_quarantined:,}"
    )
    print(f"pandas.read_excel(engine='calamine'): {bare:.2f} s (best of {args.repeat})")
    print(f"ingest_file:                          {full:.2f} s (best of {args.repeat})")
    print(f"ratio: {ratio:.2f} (goal ≤ 2) — {'met' if ratio <= 2 else 'NOT met'}")
    print(
        f"CPU time: read_excel {bare_cpu:.2f} s, ingest_file {full_cpu:.2f} s, "
        f"ratio {full_cpu / bare_cpu:.2f}"
    )
    print()
    print("| return | `read_excel` (calamine) | `ingest_file` | ratio wall / CPU |")
    print("|---|---|---|---|")
    print(
        f"| {check.rows_read:,}-row EBSA xlsx ({size:.1f} MB) | {bare:.2f} s | {full:.2f} s "
        f"| {ratio:.2f} / {full_cpu / bare_cpu:.2f} |"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        ingest_file(path, initiative, key)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
        print(stream.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
