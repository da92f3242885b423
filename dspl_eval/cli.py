"""The one entry point: ``dspl-eval init|demo|ingest|run|template|validate|audit|lab``.

Exit status (the CLI contract in DESIGN.md): 0 success; 1 when an initiative failed, a
file could not be read, the term had problems, a PDF could not be written, a check found
problems or the set-up is incomplete (no key, another run holds the folder; the others
still finish); 2 for a usage or settings error (an unknown option or choice, a term not
named YYYY-YY-autumn|spring|summer, a threshold that is not a whole number ≥ 2, a
template ``--out`` not ending in .xlsx, a bad value in the settings file
``<data>/dspl-eval.toml``); 130 when interrupted (Ctrl-C). Errors are printed as one clear
line, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import re
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
MIN_THRESHOLD = 2  # dspl_eval.settings.MIN_THRESHOLD: 1 would suppress nothing


class UsageError(Exception):
    """A bad argument value: one line on standard error, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse's own errors (unknown option, invalid choice, missing argument) as one
    line, like every other error, with exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _whole_number(name: str, minimum: int = 1):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{name} {text!r}: expected a whole number ≥ {minimum}") from None
        if value < minimum:
            raise UsageError(f"{name} {text!r}: expected a whole number ≥ {minimum}")
        return value

    return parse


def _user_path(text: str) -> Path:
    """A path argument with ``~`` expanded here: Windows' cmd and PowerShell pass
    ``--data ~/send-data`` on as it is, where a POSIX shell would have expanded it."""
    return Path(text).expanduser()


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


TERM_HELP = (
    "the term, named YYYY-YY-autumn|spring|summer (e.g. --term 2024-25-autumn: the autumn "
    "term of the 2024-25 school year)"
)
DATA_HELP = (
    "the data root holding raw/<term>/ and processed/<term>/ (default: %(default)s, relative "
    "to the current folder; e.g. --data D:\\SEND\\data or --data ~/send-data)"
)
REPORTS_HELP = (
    "where the report packs go: <reports>/<term>/commissioner/ and analyst/ (default: "
    "%(default)s; e.g. --reports ~/send-reports)"
)
JOBS_HELP = (
    "how many reports to work out at once, one worker process each (default: one per CPU "
    "core; e.g. --jobs 2 on a busy laptop)"
)
THRESHOLD_HELP = (
    "the suppression threshold: counts of people from 1 to N-1 are shown as c, N ≥ 2 "
    f"(default: suppression_threshold in the settings file, else {DEFAULT_THRESHOLD}; e.g. "
    "--threshold 10 for a stricter rule)"
)
SETTINGS_HELP = (
    "the settings file: partnership name, thresholds, reliabilities, schools, cost lines "
    "(default: dspl-eval.toml in the data folder, if there is one; dspl-eval init writes an "
    "example; e.g. --settings D:\\SEND\\dspl-eval.toml)"
)


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="dspl-eval",
        description="Evaluation workbook for local SEND partnerships: termly returns in, "
        "impact reports out.",
        epilog=_examples(
            "dspl-eval init                                  # data folders and the key",
            "dspl-eval demo                                  # try it on synthetic data",
            "dspl-eval ingest --term 2024-25-autumn",
            "dspl-eval run --term 2024-25-autumn",
            "dspl-eval audit reports/2024-25-autumn",
            "dspl-eval <command> --help                      # each command's options",
        ),
        formatter_class=formatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"dspl-eval {__version__}",
        help="print the version and stop (e.g. dspl-eval --version)",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="command", parser_class=_Parser
    )

    def command(name: str, summary: str, *examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=_examples(*examples),
            formatter_class=formatter,
        )

    init = command(
        "init",
        "create the data folders, an example settings file and a pseudonymisation key "
        "outside the repository",
        "dspl-eval init",
        "dspl-eval init --data D:\\SEND\\data",
        "DSPL_EVAL_KEY_FILE=/secure/dspl.key dspl-eval init --data ~/send-data",
        '$env:DSPL_EVAL_KEY_FILE = "D:\\secure\\dspl.key"; dspl-eval init   # Windows PowerShell',
    )
    init.add_argument(
        "--data",
        type=_user_path,
        default=DEFAULT_DATA,
        help="the data root to create, with raw/ and processed/ inside (default: %(default)s; "
        "e.g. --data ~/send-data)",
    )

    demo = command(
        "demo",
        "write synthetic returns, ingest and report them",
        "dspl-eval demo",
        "dspl-eval demo --no-run                 # write and ingest the demo data only",
        "dspl-eval demo --scale 100 --jobs 4     # 100 times more children, 4 workers",
        "dspl-eval demo --data /tmp/demo --reports /tmp/demo-reports --seed 7",
    )
    demo.add_argument(
        "--data",
        type=_user_path,
        default=DEMO_DATA,
        help="where to write the synthetic returns (default: %(default)s; e.g. --data /tmp/demo)",
    )
    demo.add_argument(
        "--reports",
        type=_user_path,
        default=DEMO_REPORTS,
        help="where the demo packs go (default: %(default)s; e.g. --reports /tmp/demo-reports)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed of the synthetic data: the same seed, the same data (default "
        "%(default)s; e.g. --seed 7)",
    )
    demo.add_argument(
        "--scale",
        type=int,
        default=1,
        help="multiply the number of children (default %(default)s; e.g. --scale 100)",
    )
    demo.add_argument("--jobs", type=str, default=None, help=JOBS_HELP)
    demo.add_argument("--threshold", type=str, default=None, help=THRESHOLD_HELP)
    demo.add_argument("--settings", type=_user_path, default=None, help=SETTINGS_HELP)
    demo.add_argument(
        "--no-run",
        action="store_true",
        help="write and ingest the demo data only, run no report (e.g. dspl-eval demo --no-run)",
    )

    ingest = command(
        "ingest",
        "clean and pseudonymise one term's returns",
        "dspl-eval ingest --term 2024-25-autumn",
        "dspl-eval ingest --term 2024-25-spring --data ~/send-data",
    )
    ingest.add_argument("--term", required=True, help=TERM_HELP)
    ingest.add_argument("--data", type=_user_path, default=DEFAULT_DATA, help=DATA_HELP)

    run = command(
        "run",
        "run the initiative reports for a term",
        "dspl-eval run --term 2024-25-autumn",
        "dspl-eval run --term 2024-25-autumn --initiative elsa ebsa --pdf",
        "dspl-eval run --term 2024-25-autumn --audience analyst --threshold 10",
        "dspl-eval run --term 2024-25-autumn --data ~/send-data --reports ~/send-reports",
    )
    run.add_argument("--term", required=True, help=TERM_HELP)
    run.add_argument("--data", type=_user_path, default=DEFAULT_DATA, help=DATA_HELP)
    run.add_argument("--reports", type=_user_path, default=DEFAULT_REPORTS, help=REPORTS_HELP)
    run.add_argument(
        "--initiative",
        nargs="+",
        choices=list(INITIATIVES),
        default=None,
        metavar="KEY",
        help=f"only these reports ({', '.join(INITIATIVES)}; default: all; e.g. "
        "--initiative elsa ebsa)",
    )
    run.add_argument("--jobs", type=str, default=None, help=JOBS_HELP)
    run.add_argument(
        "--audience",
        choices=AUDIENCES,
        default="commissioner",
        help="which edition to build: commissioner (suppressed, to send) or analyst "
        "(unsuppressed, not for circulation), in reports/<term>/<audience>/ (default "
        "%(default)s; e.g. --audience analyst)",
    )
    run.add_argument(
        "--pdf",
        action="store_true",
        help="also print each report to PDF with Chromium, Chrome or Edge (e.g. "
        "dspl-eval run --term 2024-25-autumn --pdf)",
    )
    run.add_argument("--threshold", type=str, default=None, help=THRESHOLD_HELP)
    run.add_argument("--settings", type=_user_path, default=None, help=SETTINGS_HELP)

    year = command(
        "year",
        "run the academic-year reports: each child once across the year's terms, trends "
        "across terms",
        "dspl-eval year --year 2023-24",
        "dspl-eval year --year 2023-24 --audience analyst",
        "dspl-eval year --year 2023-24 --data ~/send-data --reports ~/send-reports",
    )
    year.add_argument(
        "--year",
        required=True,
        help="the academic year, YYYY-YY (e.g. --year 2023-24); its terms must be ingested",
    )
    year.add_argument("--data", type=_user_path, default=DEFAULT_DATA, help=DATA_HELP)
    year.add_argument("--reports", type=_user_path, default=DEFAULT_REPORTS, help=REPORTS_HELP)
    year.add_argument(
        "--initiative",
        nargs="+",
        choices=list(INITIATIVES),
        default=None,
        metavar="KEY",
        help=(
            f"only these reports ({', '.join(INITIATIVES)}; default: all with data; "
            "e.g. --initiative elsa ebsa)"
        ),
    )
    year.add_argument("--jobs", type=str, default=None, help=JOBS_HELP)
    year.add_argument(
        "--audience",
        choices=AUDIENCES,
        default="commissioner",
        help="which edition to build, in reports/<year>/<audience>/ (default %(default)s; "
        "e.g. --audience analyst)",
    )
    year.add_argument("--threshold", type=str, default=None, help=THRESHOLD_HELP)
    year.add_argument("--settings", type=_user_path, default=None, help=SETTINGS_HELP)

    template = command(
        "template",
        "write a data-capture workbook for schools",
        'dspl-eval template ebsa --out ebsa_return.xlsx --school "Oakfield Primary" '
        "--term 2024-25-autumn",
        "dspl-eval template nurture --out nurture_return.xlsx",
    )
    template.add_argument(
        "key",
        choices=list(INITIATIVES),
        metavar="initiative",
        help=f"which initiative's return ({', '.join(INITIATIVES)}; e.g. ebsa)",
    )
    template.add_argument(
        "--out",
        type=_user_path,
        required=True,
        help="the workbook to write, ending in .xlsx (e.g. --out ebsa_return.xlsx)",
    )
    template.add_argument(
        "--school",
        default=None,
        help='the school the template is for (e.g. --school "Oakfield Primary")',
    )
    template.add_argument(
        "--term",
        default=None,
        help="the term the return is for (e.g. --term 2024-25-autumn)",
    )

    validate = command(
        "validate",
        "check a return before it is sent",
        "dspl-eval validate ebsa_return.xlsx --initiative ebsa",
        'dspl-eval validate "Oakfield ELSA autumn.csv" --initiative elsa',
    )
    validate.add_argument(
        "file",
        type=_user_path,
        help="the return to check, .xlsx, .xls or .csv (e.g. ebsa_return.xlsx)",
    )
    validate.add_argument(
        "--initiative",
        required=True,
        choices=list(INITIATIVES),
        metavar="KEY",
        help=f"the initiative it is a return for ({', '.join(INITIATIVES)}; e.g. "
        "--initiative ebsa)",
    )

    audit = command(
        "audit",
        "check reports for anything that could leak",
        "dspl-eval audit reports/2024-25-autumn           # audits its commissioner pack",
        "dspl-eval audit reports/2024-25-autumn/commissioner --data ~/send-data",
    )
    audit.add_argument(
        "report_dir",
        type=_user_path,
        help="a pack folder, or reports/<term> for its commissioner pack (e.g. "
        "reports/2024-25-autumn)",
    )
    audit.add_argument(
        "--data",
        type=_user_path,
        default=None,
        help="data root whose raw/processed data to look for (default: data, or data/demo "
        "for demo reports; e.g. --data ~/send-data)",
    )

    lab = command(
        "lab",
        "open JupyterLab on a working copy of the report notebooks",
        "dspl-eval lab                             # copies to data/notebooks/",
        "dspl-eval lab --data data/demo            # notebooks that read the demo data",
        "dspl-eval lab --dir ~/send-notebooks --no-browser",
        "dspl-eval lab --refresh                   # replace the copies with the packaged ones",
    )
    lab.add_argument(
        "--data",
        type=_user_path,
        default=DEFAULT_DATA,
        help="the data root the notebooks read (their data_dir parameter); the working "
        "copy goes in <data>/notebooks/ (default: %(default)s; e.g. --data data/demo)",
    )
    lab.add_argument(
        "--dir",
        type=_user_path,
        default=None,
        help="put the working copy here instead (never inside the package; e.g. "
        "--dir ~/send-notebooks)",
    )
    lab.add_argument(
        "--refresh",
        action="store_true",
        help="overwrite existing working copies with the packaged notebooks (your edits "
        "to them are lost; e.g. dspl-eval lab --refresh)",
    )
    lab.add_argument(
        "--no-browser",
        action="store_true",
        help="start JupyterLab without opening a browser; it prints the address "
        "(e.g. dspl-eval lab --no-browser)",
    )
    return parser


def _check_usage(args: argparse.Namespace) -> None:
    """Argument values argparse cannot check: the term's name, threshold, jobs and a
    template's file name; then the settings file (run, demo: ``args.loaded_settings``).
    Done here (not with ``type=``) so each is one line, as every other error is."""
    if getattr(args, "term", None) is not None and args.command in ("ingest", "run", "template"):
        try:
            check_term(args.term)
        except ConfigError as error:
            raise UsageError(str(error)) from None
    if getattr(args, "threshold", None) is not None:
        args.threshold = _whole_number("--threshold", MIN_THRESHOLD)(args.threshold)
    if getattr(args, "jobs", None) is not None:
        args.jobs = _whole_number("--jobs")(args.jobs)
    if args.command == "template" and not args.out.is_dir() and args.out.suffix.lower() != ".xlsx":
        raise UsageError(
            f"--out {args.out.name}: a template is an Excel workbook, so its file name must "
            f"end in .xlsx (e.g. --out {args.out.with_suffix('.xlsx').name}), or give a folder"
        )
    if args.command in ("run", "demo", "year"):  # the commands that run reports
        from dspl_eval.settings import load

        try:
            args.loaded_settings = load(
                args.data,
                {"threshold": getattr(args, "threshold", None)},
                path=getattr(args, "settings", None),
            )
        except ConfigError as error:
            raise UsageError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, so the line names the command
        (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
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
    except KeyboardInterrupt as interrupt:  # the run has tidied up: one line, exit 130
        print(_interrupted_line(args, interrupt), file=sys.stderr, flush=True)
        return 130


def _interrupted_line(args: argparse.Namespace, interrupt: KeyboardInterrupt) -> str:
    from dspl_eval.paths import interrupted_message  # light: Ctrl-C may come mid-import

    runner = sys.modules.get("dspl_eval.runner")
    if runner is not None and isinstance(interrupt, getattr(runner, "RunInterrupted", ())):
        return str(interrupt)
    if args.command == "run":
        try:
            return interrupted_message(args.reports, args.term, args.audience)
        except DsplEvalError:
            pass
    if args.command in ("run", "demo"):
        return "interrupted: nothing was published"
    return "interrupted"


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
        settings=args.loaded_settings,
    )
    return outcome.exit_code


def _year(args: argparse.Namespace) -> int:
    from dspl_eval import frontpage
    from dspl_eval.runner import run_year
    from dspl_eval.settings import load
    from dspl_eval.year import check_year

    try:
        check_year(args.year)
        settings = load(args.data, {"threshold": args.threshold}, path=args.settings)
    except ConfigError as error:
        print(f"dspl-eval year: {error}", file=sys.stderr)
        return 2
    outcome = run_year(
        args.year,
        data=args.data,
        reports=args.reports,
        initiatives=args.initiative,
        jobs=args.jobs,
        audience=args.audience,
        settings=settings,
    )
    if args.audience == "commissioner":
        front, findings = frontpage.write(args.data, args.reports, settings.threshold)
        if front is None:
            print(f"front page not published: the audit found {len(findings)} problem(s)")
            return 1
        print(f"front page across terms: {front}")
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
        settings=args.loaded_settings,
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


def _init(args: argparse.Namespace) -> int:
    for line in init_data(args.data):
        print(line)
    return 0


def init_data(data: Path) -> list[str]:
    """Create ``<data>/raw`` and ``<data>/processed``, unless they exist an example
    settings file ``<data>/dspl-eval.toml`` (every key at its default, with a sentence
    each: :func:`dspl_eval.settings.example_toml`) and a key file
    (``$DSPL_EVAL_KEY_FILE``, default ``~/.config/dspl-eval/key``: 64 hex characters,
    mode 0600, never inside the repository or the package, never overwritten). Returns
    what was done and the next steps, one line each."""
    import os
    import secrets

    from dspl_eval.paths import PROJECT_ROOT, key_file
    from dspl_eval.settings import settings_path, write_example

    data = Path(data)
    lines = []
    for folder in (data / "raw", data / "processed"):
        existed = folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        lines.append(f"{'kept' if existed else 'created'} {folder}")
    settings_file = settings_path(data)
    if write_example(settings_file):
        lines.append(
            f"created the settings file {settings_file} (the defaults, each explained: "
            "put in the partnership's name, schools and cost lines)"
        )
    else:
        lines.append(f"kept the existing settings file {settings_file}")
    key = key_file()
    if os.environ.get("DSPL_EVAL_KEY"):
        lines.append("the key comes from the DSPL_EVAL_KEY environment variable; no key file made")
    elif key.exists():
        lines.append(f"kept the existing key file {key} (a key is never overwritten)")
    else:
        if key.resolve().is_relative_to(PROJECT_ROOT.resolve()):
            raise ConfigError(
                f"the key file {key} would be inside {PROJECT_ROOT}: set DSPL_EVAL_KEY_FILE "
                "to a path outside it (e.g. in your home folder)"
            )
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(key, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        os.chmod(key, 0o600)  # whatever the umask
        who = (
            "in your Windows user profile: keep it out of shared folders"
            if os.name == "nt"  # the mode bits mean nothing there: the folder's rights do
            else "readable by you only"
        )
        lines.append(
            f"created the pseudonymisation key {key} ({who}): keep it safe "
            "and back it up; every term must use the same key"
        )
    example = "2024-25-autumn"
    option = "" if data == DEFAULT_DATA else f" --data {data}"
    lines += [
        "next steps:",
        f"  1. put each school's return in {data / 'raw' / example / '<initiative>'} "
        f"(initiative: {', '.join(INITIATIVES)})",
        f"  2. dspl-eval ingest --term {example}{option}",
        f"  3. dspl-eval run --term {example}{option}",
        "  (dspl-eval demo shows the whole thing on synthetic data first)",
    ]
    return lines


def _lab(args: argparse.Namespace) -> int:
    folder = prepare_lab(args.data, args.dir, refresh=args.refresh)
    return start_lab(folder, no_browser=args.no_browser)


_DATA_DIR_LINE = re.compile(r"^data_dir\s*(?::[^=]*)?=[^#\n]*(#.*)?$", re.MULTILINE)


def prepare_lab(data: Path, folder: Path | None = None, refresh: bool = False) -> Path:
    """Copy the packaged notebooks to a working folder (default ``<data>/notebooks``) with
    their ``data_dir`` parameter pointing at ``data``. Existing copies are kept (they may
    hold the analyst's edits) unless ``refresh``. The folder is never inside the package,
    and holds a ``.gitignore`` of ``*`` so git never takes up a copy with its outputs."""
    import nbformat

    from dspl_eval.paths import NOTEBOOKS_DIR, PACKAGE_DIR, lab_dir

    data = Path(data).expanduser().resolve()
    folder = Path(folder).expanduser().resolve() if folder else lab_dir(data)
    if folder.is_relative_to(PACKAGE_DIR) or folder.is_relative_to(NOTEBOOKS_DIR.resolve()):
        raise ConfigError(
            f"{folder} is inside the dspl-eval package: the packaged notebooks are the "
            "originals the batch runs; choose a folder in your data area (--dir)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# working copies of the report notebooks: outputs may hold pupil "
                          "data, never commit them\n*\n", encoding="utf-8")  # fmt: skip
    packaged = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    if not packaged:
        raise ConfigError(f"no notebooks in {NOTEBOOKS_DIR}: reinstall dspl-eval")
    for original in packaged:
        copy = folder / original.name
        if copy.exists() and not refresh:
            print(f"kept your copy {copy} (dspl-eval lab --refresh replaces it)")
            continue
        notebook = nbformat.read(original, as_version=4)
        for cell in notebook.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = _DATA_DIR_LINE.sub(
                    lambda m: (
                        f"data_dir: str = {str(data)!r}  "
                        + (m.group(1) or "# data root holding raw/ and processed/")
                    ),
                    cell.source,
                )
        nbformat.write(notebook, copy)
        print(f"copied {original.name} to {copy} (data_dir = {data})")
    return folder


def start_lab(folder: Path, no_browser: bool = False) -> int:
    """Start JupyterLab (this Python's) on ``folder``; its exit status."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("jupyterlab") is None:
        raise ConfigError("JupyterLab is not installed here: pip install jupyterlab")
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={folder}"]
    if no_browser:
        command.append("--no-browser")
    print(f"starting JupyterLab on {folder} (Ctrl-C twice to stop it)", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


_COMMANDS = {
    "init": _init,
    "lab": _lab,
    "demo": _demo,
    "ingest": _ingest,
    "run": _run,
    "template": _template,
    "year": _year,
    "validate": _validate,
    "audit": _audit,
}


def console() -> int:
    """The ``dspl-eval`` program: :func:`main`, and once interrupted, a further Ctrl-C
    while Python shuts down changes nothing (the exit status stays 130). Output that the
    terminal's encoding cannot show (≥, − in a Windows console redirected to a cp1252
    file) is replaced, never a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")
    code = main()
    if code == 130:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


if __name__ == "__main__":
    sys.exit(console())
