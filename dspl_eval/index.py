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


QUALITY_COUNTS = ("Rows read", "Rows kept", "Rows quarantined")
QUALITY_TABLE = "data quality"  # the name of the table a notebook publishes (summary.py)


def _validation(processed: Path) -> dict:
    path = Path(processed) / "validation.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def quality_table(
    processed: Path, result, audience: str, threshold: int = 5, validation: dict | None = None
) -> dict | None:
    """One initiative's rows read / kept / quarantined per return ("Return 1", "Return 2",
    … in file-name order, never the file's own name), with the initiative's total.

    The numbers are the ones the report published (its ``data quality`` table, already
    suppressed by the report's gate), so the index never prints a number the gate did not
    issue. Where the report published none (it failed), the commissioner index says only
    which returns were read; the analyst index shows the numbers of ``validation.json``.
    ``None`` when the initiative had no return.
    """
    import pandas as pd

    from dspl_eval.term_check import return_labels

    document = validation if validation is not None else _validation(processed)
    files = [f for f in document.get("files") or [] if f.get("initiative") == result.initiative]
    if not files:
        return None
    labels = return_labels(files, result.initiative)
    status = {labels[str(f["file"])]: "not read" if f.get("error") else "read" for f in files}
    published = _published_quality(result, labels)
    if published is None and audience == "analyst":
        published = _computed_quality(files, labels)
    elif published is None:
        # the report's gate issued no numbers (it failed): say only which returns were read
        published = pd.DataFrame(index=pd.Index(sorted(status, key=_return_number), name="Return"))
    published.insert(len(published.columns), "Status", [status.get(i, "") for i in published.index])
    counts = [c for c in QUALITY_COUNTS if c in published.columns]
    title = INITIATIVES[result.initiative].title
    return {
        "title": f"{title}: rows read, kept and quarantined per return (read = kept + quarantined)"
        if counts
        else f"{title}: returns read (the report failed, so no row counts are shown)",
        "columns": ["Return", *published.columns],
        "rows": [
            [i, *r]
            for i, r in zip(
                published.index, published.itertuples(index=False, name=None), strict=True
            )
        ],
        "counts": counts,
    }


_KEYS = ("rows_read", "rows_kept", "rows_quarantined")


def _computed_quality(files: list[dict], labels: dict[str, str]):
    """Rows per return from ``validation.json``, with a Total row (analyst edition only:
    nothing here has passed a gate)."""
    import pandas as pd

    frame = pd.DataFrame(
        [[labels[str(f["file"])], *(int(f.get(k) or 0) for k in _KEYS)] for f in files],
        columns=["Return", *QUALITY_COUNTS],
    ).set_index("Return")
    frame = frame.sort_index(key=lambda i: i.map(_return_number))
    frame.loc["Total"] = frame.sum()
    return frame.astype(object)


def _return_number(label: object) -> int:
    text = str(label)
    if text.startswith("Return ") and text[7:].isdigit():
        return int(text[7:])
    return 10**9  # Total (and anything else) last


def _published_quality(result, labels: dict[str, str]):
    """The report's own data-quality table (as its gate issued it), rows relabelled
    "Return N"; ``None`` when the report published none or it does not fit."""
    import pandas as pd

    if not result.ok:
        return None
    table = next(
        (t for t in result.summary.get("tables", []) if t.get("name") == QUALITY_TABLE), None
    )
    if table is None or not set(QUALITY_COUNTS) <= set(table.get("columns", [])):
        return None
    frame = pd.DataFrame(table["rows"], columns=table["columns"], dtype=object)
    frame = frame.set_index(table["columns"][0])[list(QUALITY_COUNTS)].fillna("x")
    known = set(labels.values()) | {"Total"}
    relabelled = [labels.get(str(i), str(i)) for i in frame.index]
    if not set(relabelled) <= known:
        return None  # a row we cannot name safely: compute instead
    frame.index = pd.Index(relabelled, name="Return")
    return frame.sort_index(key=lambda i: i.map(_return_number))


def _status_html(audience: str, audit_passed, findings, reasons, ready: bool) -> str:
    items = "".join(f"<li>{_esc(r)}</li>" for r in reasons)
    if audience == "analyst":
        extra = f"<p>This edition is incomplete:</p><ul>{items}</ul>" if reasons else ""
        return (
            '<div class="status"><p><strong>Analyst edition:</strong> not for circulation '
            f"outside the analytical team. Counts are not suppressed.</p>{extra}</div>"
        )
    if ready:
        return (
            '<p class="status ok"><strong>Ready to send.</strong> Every report built, every '
            "return was read, and the privacy audit found no identities, unsuppressed small "
            "counts or external resources.</p>"
        )
    if audit_passed is False:
        items += (
            f"<li>The privacy audit found {len(findings)} problem(s):<ul>"
            + "".join(f"<li>{_esc(f)}</li>" for f in findings[:50])
            + "</ul></li>"
        )
    elif audit_passed is None:
        items += "<li>The privacy audit has not run yet.</li>"
    return (
        f'<div class="status bad"><p><strong>NOT READY to send.</strong></p><ul>{items}</ul></div>'
    )


def _threshold_line(audience: str, threshold: int) -> str:
    if audience == "analyst":
        return f"Suppression threshold: {threshold} (analyst edition: counts are not suppressed)."
    return (
        f"Suppression threshold: {threshold}. Smaller counts are shown as c, together with "
        "any figure that would let one be worked out."
    )


def write_index(
    path: Path,
    term: str,
    results,
    processed: Path,
    audience: str,
    audit_passed: bool | None,
    findings: list[str],
    *,
    threshold: int = 5,
    meta: dict | None = None,
    reasons: list[str] | tuple[str, ...] = (),
    ready: bool = False,
) -> Path:
    """Write ``index.html``: the pack's status, every initiative's headlines and link (or
    why its report failed, in plain words), data quality per return, and the threshold.

    ``reasons`` (plain words, no paths or file names) say why the pack is not ready;
    ``ready`` is decided by the runner. No totals across initiatives are shown.
    """
    from dspl_eval.export import meta_tags, report_css
    from dspl_eval.runner import FAILED_TODO, run_stamp

    stamp = run_stamp()
    meta = {
        "edition": audience,
        "term": term,
        "threshold": threshold,
        "initiative": "index",
        **(meta or {}),
    }
    status = _status_html(audience, audit_passed, findings, list(reasons), ready)
    sections = []
    for result in results:
        title = INITIATIVES[result.initiative].title
        if result.ok:
            heads = result.summary.get("headlines", [])
            items = "".join(f"<li>{_esc(h)}</li>" for h in heads) or "<li>No headlines.</li>"
            link = (
                f'<p><a href="{_esc(result.html.name)}">Read the full {_esc(title)} report</a></p>'
            )
            sections.append(
                f'<section data-dspl-initiative="{_esc(result.initiative)}">'
                f"<h2>{_esc(title)}</h2><ul>{items}</ul>{link}</section>"
            )
        else:
            reason = result.reason or "The report could not be run, so it was not published."
            sections.append(
                f'<section data-dspl-initiative="{_esc(result.initiative)}"><h2>{_esc(title)}</h2>'
                f'<p class="status bad"><strong>This report '
                f"failed and was not published.</strong> {_esc(reason)}</p>"
                f"<p><strong>What to do:</strong> {_esc(FAILED_TODO)}</p></section>"
            )
    validation = _validation(processed)
    quality = []
    for result in results:
        table = quality_table(processed, result, audience, threshold, validation)
        title = INITIATIVES[result.initiative].title
        shown = _table_html(table) if table else f"<p>{_esc(title)}: no returns this term.</p>"
        quality.append(f'<div data-dspl-initiative="{_esc(result.initiative)}">{shown}</div>')
    threshold_line = _threshold_line(audience, threshold)
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta_tags(meta)}
<title>SEND partnership evaluation: {_esc(term)}</title>
<style>{report_css()}{INDEX_CSS}</style>
</head>
<body>
<a class="skip-link" href="#main-content">Skip to main content</a>
<main id="main-content" tabindex="-1">
<h1>SEND partnership evaluation: {_esc(term)}</h1>
{status}
<p class="threshold" data-dspl-threshold="{_esc(threshold)}">{_esc(threshold_line)}</p>
{"".join(sections)}
<section><h2>Data quality</h2>{"".join(quality)}
<p class="note">{_esc(SYMBOLS_NOTE)}</p>
<p>The headline tables are also in <a href="summary.xlsx">summary.xlsx</a>.</p></section>
<section><h2>About these reports</h2>
<p>Term {_esc(term)}; edition: {_esc(audience)}; suppression threshold {_esc(threshold)};
produced by dspl-eval {_esc(stamp["dspl_eval_version"])} on {_esc(stamp["run_at"])}.
Returns are numbered in the order of their file names. Each report ends with its methods
and caveats.</p></section>
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


def write_summary_xlsx(
    path: Path,
    term: str,
    results,
    audience: str,
    *,
    threshold: int = 5,
    meta: dict | None = None,
    processed: Path | None = None,
) -> Path:
    """``summary.xlsx``: a contents sheet, then each headline table on its own titled sheet.

    The workbook's keywords carry the page metadata
    (``dspl-eval-edition=...;dspl-eval-term=...;dspl-eval-threshold=...``) and the
    contents sheet says the same in words (the data fingerprint is left out: a 64-digit
    hex string in a workbook reads as a file hash to the audit). Cells naming a raw return
    file (with ``processed`` given) are written as "Return N".
    """
    meta = {"edition": audience, "term": term, "threshold": threshold, **(meta or {})}
    meta.pop("initiative", None)
    validation = _validation(processed) if processed is not None else {}
    book = Workbook()
    book.properties.title = f"SEND partnership evaluation: headline tables, {term}"
    book.properties.keywords = ";".join(
        f"dspl-eval-{k}={meta[k]}" for k in ("edition", "term", "threshold")
    )
    contents = book.active
    contents.title = "Contents"
    contents["A1"] = f"SEND partnership evaluation: headline tables, {term} ({audience})"
    contents["A1"].font = Font(bold=True, size=14)
    contents["A2"] = f"Edition: {audience}. Term: {term}. Suppression threshold: {threshold}."
    contents["A3"] = SYMBOLS_NOTE
    contents.append([])
    contents.append(["Sheet", "Initiative", "Table"])
    for cell in contents[5]:
        cell.font = Font(bold=True)
    used: set[str] = {"Contents"}
    from dspl_eval.term_check import return_labels

    for result in results:
        if not result.ok:
            contents.append(
                ["", INITIATIVES[result.initiative].title, "report failed: not included"]
            )
            continue
        labels = return_labels(validation.get("files") or [], result.initiative)
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
            rows = [[_anonymised(v, labels) for v in row] for row in table["rows"]]
            for row in rows:
                sheet.append(["x" if v is None else v for v in row])
            for i, column in enumerate(table["columns"], start=1):
                width = max([len(str(column))] + [len(str(r[i - 1])) for r in rows])
                sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
            contents.append([name, INITIATIVES[result.initiative].title, table["title"]])
    contents.column_dimensions["A"].width = 32
    contents.column_dimensions["B"].width = 44
    contents.column_dimensions["C"].width = 80
    _atomic_write(path, book.save)
    return path


def _anonymised(value: object, labels: dict[str, str]) -> object:
    """A cell with every raw return file name in it replaced by "Return N"."""
    if not isinstance(value, str) or not labels:
        return value
    if value in labels:
        return labels[value]
    for name, label in labels.items():
        if name in value:
            value = value.replace(name, label)
    return value


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
