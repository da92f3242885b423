"""The term's front page (``index.html``) and spreadsheet (``summary.xlsx``).

Both are built from what each notebook published (:mod:`dspl_eval.summary`), so they can
never disagree with the reports. The index is self-contained and offline like the reports.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dspl_eval.ingest import _atomic_write
from dspl_eval.initiatives import INITIATIVES

SYMBOLS_NOTE = (
    "c = suppressed: fewer than the suppression threshold of people (or a figure that would "
    "let one be worked out); x = not available; z = not applicable."
)


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table_html(table: dict) -> str:
    """A published table (from a notebook's summary) as accessible HTML, counts marked."""
    import pandas as pd

    from dspl_eval.disclosure import to_html

    frame = pd.DataFrame(table["rows"], columns=table["columns"], dtype=object)
    frame = frame.set_index(table["columns"][0]).fillna("x")
    return to_html(
        frame,
        caption=table["title"],
        counts=list(table.get("counts") or []),
        note=table.get("note") or None,
    )


def _fmt(value: object) -> str:
    if value is None:
        return "x"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def quality_table(processed: Path, results, audience: str, threshold: int = 5) -> dict:
    """Rows read / kept / quarantined per initiative, with the totals of ``validation.json``;
    small counts suppressed (with read = kept + quarantined as a margin) for commissioners."""
    import pandas as pd

    from dspl_eval.disclosure import suppress_counts

    validation = processed / "validation.json"
    totals = json.loads(validation.read_text("utf-8"))["totals"] if validation.is_file() else {}
    counts = ["Rows read", "Rows kept", "Rows quarantined"]
    frame = pd.DataFrame(
        [
            [
                INITIATIVES[r.initiative].title,
                *(
                    totals.get(r.initiative, {}).get(k, 0)
                    for k in ("rows_read", "rows_kept", "rows_quarantined")
                ),
            ]
            for r in results
        ],
        columns=["Initiative", *counts],
    ).set_index("Initiative")
    shown = suppress_counts(
        frame.astype(int), threshold=threshold, margins=["Rows read"], audience=audience
    ).display
    files = [totals.get(r.initiative, {}) for r in results]
    shown.insert(0, "Files", [f.get("files", 0) for f in files])
    shown.insert(1, "Files not read", [f.get("files_failed", 0) for f in files])
    return {
        "title": "Data quality: rows read, kept and quarantined (read = kept + quarantined)",
        "columns": ["Initiative", *shown.columns],
        "rows": [
            [i, *r]
            for i, r in zip(shown.index, shown.itertuples(index=False, name=None), strict=True)
        ],
        "counts": counts,
    }


def write_index(
    path: Path,
    term: str,
    results,
    processed: Path,
    audience: str,
    audit_passed: bool | None,
    findings: list[str],
) -> Path:
    """Write ``index.html``: every initiative's headlines, links, data quality and failures."""
    from dspl_eval.export import report_css
    from dspl_eval.runner import run_stamp

    stamp = run_stamp()
    if audit_passed is True:
        status = (
            '<p class="status ok"><strong>Ready to send.</strong> The privacy audit found '
            "no identities, unsuppressed small counts or external resources.</p>"
        )
    elif audit_passed is False:
        items = "".join(f"<li>{_esc(f)}</li>" for f in findings[:50])
        status = (
            '<div class="status bad"><p><strong>NOT READY to send.</strong> The privacy '
            f"audit found {len(findings)} problem(s):</p><ul>{items}</ul></div>"
        )
    elif audience == "commissioner":
        status = '<p class="status">The privacy audit has not run yet: not ready to send.</p>'
    else:
        status = (
            '<p class="status">Analyst edition: not for circulation outside the '
            "analytical team.</p>"
        )
    sections = []
    for result in results:
        title = INITIATIVES[result.initiative].title
        if result.ok:
            heads = result.summary.get("headlines", [])
            items = "".join(f"<li>{_esc(h)}</li>" for h in heads) or "<li>No headlines.</li>"
            link = (
                f'<p><a href="{_esc(result.html.name)}">Read the full {_esc(title)} report</a></p>'
            )
            sections.append(f"<section><h2>{_esc(title)}</h2><ul>{items}</ul>{link}</section>")
        else:
            sections.append(
                f'<section><h2>{_esc(title)}</h2><p class="status bad"><strong>This report '
                f"failed and was not published.</strong> {_esc(result.error)}</p></section>"
            )
    failed = [INITIATIVES[r.initiative].title for r in results if not r.ok]
    failed_note = (
        f"<p><strong>Reports that failed:</strong> {_esc(', '.join(failed))}.</p>" if failed else ""
    )
    quality = _table_html(quality_table(processed, results, audience))
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SEND partnership evaluation: {_esc(term)}</title>
<style>{report_css()}{INDEX_CSS}</style>
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<main id="main-content" tabindex="-1">
<h1>SEND partnership evaluation: {_esc(term)}</h1>
{status}
{failed_note}
{"".join(sections)}
<section><h2>Data quality</h2>{quality}
<p class="note">{_esc(SYMBOLS_NOTE)}</p>
<p>The headline tables are also in <a href="summary.xlsx">summary.xlsx</a>.</p></section>
<section><h2>About these reports</h2>
<p>Term {_esc(term)}; audience: {_esc(audience)}; produced by dspl-eval
{_esc(stamp["dspl_eval_version"])} on {_esc(stamp["run_at"])}. Each report ends with its
methods, caveats and input files.</p></section>
</main>
</body>
</html>
"""
    _atomic_write(path, lambda p: Path(p).write_text(page, encoding="utf-8"))
    return path


INDEX_CSS = """
.status{padding:.75rem 1rem;border-left:6px solid #505a5f;background:#f3f2f1}
.status.ok{border-color:#00703c}.status.bad{border-color:#d4351c}
"""


def write_summary_xlsx(path: Path, term: str, results, audience: str) -> Path:
    """``summary.xlsx``: a contents sheet, then each headline table on its own titled sheet."""
    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    contents["A1"] = f"SEND partnership evaluation: headline tables, {term} ({audience})"
    contents["A1"].font = Font(bold=True, size=14)
    contents["A2"] = SYMBOLS_NOTE
    contents.append([])
    contents.append(["Sheet", "Initiative", "Table"])
    for cell in contents[4]:
        cell.font = Font(bold=True)
    used: set[str] = {"Contents"}
    for result in results:
        if not result.ok:
            contents.append(
                ["", INITIATIVES[result.initiative].title, "report failed: not included"]
            )
            continue
        for table in result.summary.get("tables", []):
            name = _sheet_name(f"{result.initiative} {table['name']}", used)
            sheet = book.create_sheet(name)
            sheet["A1"] = table["title"]
            sheet["A1"].font = Font(bold=True, size=13)
            sheet["A2"] = table.get("note") or SYMBOLS_NOTE
            sheet.append([])
            sheet.append([_count_header(c, table) for c in table["columns"]])
            for cell in sheet[4]:
                cell.font = Font(bold=True)
            for row in table["rows"]:
                sheet.append(["x" if v is None else v for v in row])
            for i, column in enumerate(table["columns"], start=1):
                width = max([len(str(column))] + [len(str(r[i - 1])) for r in table["rows"]])
                sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
            contents.append([name, INITIATIVES[result.initiative].title, table["title"]])
    contents.column_dimensions["A"].width = 32
    contents.column_dimensions["B"].width = 44
    contents.column_dimensions["C"].width = 80
    _atomic_write(path, book.save)
    return path


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]
    candidate, n = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate


def _count_header(column: str, table: dict) -> str:
    """Count columns' headers end in "(n)" (unless already count-like) so the audit finds them."""
    from dspl_eval.disclosure import is_count_header

    if column in (table.get("counts") or []) and not is_count_header(column):
        return f"{column} (n)"
    return column
