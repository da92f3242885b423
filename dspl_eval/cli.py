"""The one entry point: ``dspl-eval demo|ingest|run|template|validate|audit``.

Exit status: 0 success; 1 when an initiative failed, a file could not be read, the term
had problems, a PDF could not be written or a check found problems (the others still
finish); 2 for a usage error (an unknown option, a term not named YYYY-YY-autumn|spring|
summer, a threshold that is not a whole number ≥ 1). Errors are printed as one clear line,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dspl_eval import __version__
from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.paths import (
    DEFAULT_DATA,
    DEFAULT_REPORTS,
    DEMO_DATA,
    DEMO_REPORTS,
    EDITIONS,
    check_term,
)

AUDIENCES = EDITIONS
DEFAULT_THRESHOLD = 5


class UsageError(Exception):
    """A bad argument value: one line on standard error, exit status 2."""


def _whole_number(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{name} {text!r}: expected a whole number ≥ 1") from None
        if value < 1:
            raise UsageError(f"{name} {text!r}: expected a whole number ≥ 1")
        return value

    return parse


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
    demo.add_argument("--jobs", type=str, default=None)
    demo.add_argument(
        "--threshold",
        type=str,
        default=str(DEFAULT_THRESHOLD),
        help="suppression threshold: counts below it are suppressed (default 5)",
    )
    demo.add_argument("--no-run", action="store_true", help="write and ingest only")

    ingest = sub.add_parser("ingest", help="clean and pseudonymise one term's returns")
    ingest.add_argument("--term", required=True)
    ingest.add_argument("--data", type=Path, default=DEFAULT_DATA)

    run = sub.add_parser("run", help="run the initiative reports for a term")
    run.add_argument("--term", required=True)
    run.add_argument("--data", type=Path, default=DEFAULT_DATA)
    run.add_argument("--reports", type=Path, default=DEFAULT_REPORTS)
    run.add_argument("--initiative", nargs="+", choices=list(INITIATIVES), default=None)
    run.add_argument("--jobs", type=str, default=None, help="worker processes (default: cores)")
    run.add_argument(
        "--audience",
        choices=AUDIENCES,
        default="commissioner",
        help="which edition to build: reports/<term>/<audience>/ (default commissioner)",
    )
    run.add_argument("--pdf", action="store_true", help="also print each report to PDF")
    run.add_argument(
        "--threshold",
        type=str,
        default=str(DEFAULT_THRESHOLD),
        help="suppression threshold: counts below it are suppressed (default 5)",
    )

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


def _check_usage(args: argparse.Namespace) -> None:
    """Argument values argparse cannot check: the term's name, threshold and jobs. Done
    here (not with ``type=``) so each is one line, as every other error is."""
    if getattr(args, "term", None) is not None and args.command in ("ingest", "run"):
        try:
            check_term(args.term)
        except ConfigError as error:
            raise UsageError(str(error)) from None
    if hasattr(args, "threshold"):
        args.threshold = _whole_number("--threshold")(args.threshold)
    if getattr(args, "jobs", None) is not None:
        args.jobs = _whole_number("--jobs")(args.jobs)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check_usage(args)
    except UsageError as error:
        print(f"dspl-eval {args.command}: {error}", file=sys.stderr)
        return 2
    try:
        return _COMMANDS[args.command](args)
    except DsplEvalError as error:
        print(f"dspl-eval {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dspl-eval: interrupted", file=sys.stderr)
        return 130


def _ingest(args: argparse.Namespace) -> int:
    from dspl_eval.errors import InputFileError
    from dspl_eval.ingest import ingest_term
    from dspl_eval.term_check import check_layout

    problems = check_layout(args.data, args.term)
    fatal = [p for p in problems if p.kind == "no-term-folder"]
    if fatal:
        raise InputFileError(fatal[0].line)
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
    # files ingestion never saw: loose, in a misnamed or unknown folder (exit 1); and
    # initiatives with no returns this term (a note: a term need not have every one)
    not_read = [p for p in problems if p.kind in _NOT_READ]
    for problem in not_read:
        print(f"  problem: {problem.line}")
    for problem in problems:
        if problem.kind not in _NOT_READ:
            print(f"  note: {problem.line}")
    print(f"written to {args.data / 'processed' / args.term}")
    return 1 if result.failed or result.costs_error or not_read else 0


_NOT_READ = ("loose-file", "misnamed-folder", "unknown-folder", "no-returns")


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
        threshold=args.threshold,
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
        threshold=args.threshold,
    )


def _audit(args: argparse.Namespace) -> int:
    from dspl_eval.audit import main as audit_main
    from dspl_eval.paths import TERM_PATTERN

    report_dir = args.report_dir
    pack = report_dir / "commissioner"
    if TERM_PATTERN.match(report_dir.name) and pack.is_dir():  # reports/<term>: the send pack
        print(
            f"note: auditing the send pack {pack} (the analyst edition and the working "
            "files beside it are never sent)"
        )
        report_dir = pack
    return audit_main(report_dir, args.data)


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
