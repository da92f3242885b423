"""The one entry point: ``dspl-eval demo|ingest|run|template|validate|audit``.

Exit status: 0 success; 1 when an initiative failed, a file could not be read or a check
found problems (the others still finish); 2 for a usage error. Errors are printed as one
clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dspl_eval import __version__
from dspl_eval.errors import DsplEvalError
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.paths import DEFAULT_DATA, DEFAULT_REPORTS, DEMO_DATA, DEMO_REPORTS

AUDIENCES = ("commissioner", "analyst")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dspl-eval", description="Evaluation workbook for local SEND partnerships."
    )
    parser.add_argument("--version", action="version", version=f"dspl-eval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write synthetic returns, ingest and report them")
    demo.add_argument("--data", type=Path, default=DEMO_DATA)
    demo.add_argument("--reports", type=Path, default=DEMO_REPORTS)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--scale", type=int, default=1, help="multiply the number of children")
    demo.add_argument("--jobs", type=int, default=None)
    demo.add_argument("--no-run", action="store_true", help="write and ingest only")

    ingest = sub.add_parser("ingest", help="clean and pseudonymise one term's returns")
    ingest.add_argument("--term", required=True)
    ingest.add_argument("--data", type=Path, default=DEFAULT_DATA)

    run = sub.add_parser("run", help="run the initiative reports for a term")
    run.add_argument("--term", required=True)
    run.add_argument("--data", type=Path, default=DEFAULT_DATA)
    run.add_argument("--reports", type=Path, default=DEFAULT_REPORTS)
    run.add_argument("--initiative", nargs="+", choices=list(INITIATIVES), default=None)
    run.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    run.add_argument("--audience", choices=AUDIENCES, default="commissioner")
    run.add_argument("--pdf", action="store_true", help="also print each report to PDF")

    template = sub.add_parser("template", help="write a data-capture workbook for schools")
    template.add_argument("key", choices=list(INITIATIVES))
    template.add_argument("--out", type=Path, required=True)
    template.add_argument("--school", default=None)
    template.add_argument("--term", default=None)

    validate = sub.add_parser("validate", help="check a return before it is sent")
    validate.add_argument("file", type=Path)
    validate.add_argument("--initiative", required=True, choices=list(INITIATIVES))

    audit = sub.add_parser("audit", help="check reports for anything that could leak")
    audit.add_argument("report_dir", type=Path)
    audit.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data root whose raw/processed data to look for (default: "
        "data, or data/demo for demo reports)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except DsplEvalError as error:
        print(f"dspl-eval {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dspl-eval: interrupted", file=sys.stderr)
        return 130


def _ingest(args: argparse.Namespace) -> int:
    from dspl_eval.ingest import ingest_term

    result = ingest_term(args.data, args.term)
    print(f"{args.term}: pseudonymised with {result.key_source}")
    for f in result.files:
        if f.error:
            print(f"  {f.initiative:8} {f.file.name}: NOT READ — {f.error}")
        else:
            print(
                f"  {f.initiative:8} {f.file.name}: read {f.rows_read}, kept {f.rows_kept}, "
                f"quarantined {f.rows_quarantined} (sheet {f.sheet!r}, header row {f.header_row})"
            )
    if result.costs_error:
        print(f"  costs.csv: {result.costs_error}")
    print(f"written to {args.data / 'processed' / args.term}")
    return 1 if result.failed or result.costs_error else 0


def _validate(args: argparse.Namespace) -> int:
    from dspl_eval.ingest import validate_file

    lines, code = validate_file(args.file, args.initiative)
    print("\n".join(lines))
    return code


def _template(args: argparse.Namespace) -> int:
    from dspl_eval.template import write_template

    path = write_template(args.key, args.out, school=args.school, term=args.term)
    print(f"template written: {path}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from dspl_eval.runner import run_term

    outcome = run_term(
        args.term,
        data=args.data,
        reports=args.reports,
        initiatives=args.initiative,
        jobs=args.jobs,
        audience=args.audience,
        pdf=args.pdf,
    )
    return outcome.exit_code


def _demo(args: argparse.Namespace) -> int:
    from dspl_eval.runner import run_demo

    return run_demo(
        data=args.data,
        reports=args.reports,
        seed=args.seed,
        scale=args.scale,
        jobs=args.jobs,
        run_reports=not args.no_run,
    )


def _audit(args: argparse.Namespace) -> int:
    from dspl_eval.audit import main as audit_main

    return audit_main(args.report_dir, args.data)


_COMMANDS = {
    "demo": _demo,
    "ingest": _ingest,
    "run": _run,
    "template": _template,
    "validate": _validate,
    "audit": _audit,
}

if __name__ == "__main__":
    sys.exit(main())
