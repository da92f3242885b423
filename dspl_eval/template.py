"""School-facing data-capture templates, generated from the initiative definitions.

``write_template(key, Path("return.xlsx"))`` writes a workbook with three sheets:

* **Instructions** — what to return and by when, one row per child (or teacher), every
  column with its meaning and allowed values, and how names are handled (there is no name
  column; names sent anyway are discarded on receipt);
* **Return** — plain-English headers in row 1 (each column's
  :attr:`~dspl_eval.initiatives.base.Column.header`, which ingestion maps back to the
  canonical name) as a named Excel table (``ebsa_return``) of ``rows`` data rows, with a
  note on every header (giving the canonical name too), a frozen header row, data
  validation on every column with a closed set or a range, header cells locked and data
  cells unlocked, the school column pre-filled when a school is given, and sheet
  protection on (no password);
* **Lists** — the dropdown values, hidden and protected.

Everything about a column (type, range, allowed values, label, example, required) comes
from its :class:`~dspl_eval.initiatives.base.Column`, so the template and ingestion
cannot disagree. openpyxl never enforces the validations; ingestion checks every value
again on receipt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import Column, Initiative, Rule, get
from dspl_eval.paths import TERM_PATTERN, check_term

INSTRUCTIONS_SHEET = "Instructions"
RETURN_SHEET = "Return"
LISTS_SHEET = "Lists"
HEADER_ROW = 1
SCHOOL_COLUMN = "school"  # pre-filled with ``--school`` (ingestion: not a row on its own)
TABLE_ROWS = 500
AUTHOR = "dspl-eval"

# Dropdown values for kinds whose words are fixed by the data contract rather than by
# ``Column.allowed``. Ingestion must read every one of these (DATA_CONTRACT: Values).
YES_NO = ("yes", "no")
YEAR_GROUPS = ("R", *(str(n) for n in range(1, 14)))  # text, so "6" matches a typed 6
SEN_CODES = {"N": "none", "K": "SEN support", "E": "EHC plan"}  # school census codes
LIKERT_WORDS = ("strongly disagree", "disagree", "neither agree nor disagree", "agree",
                "strongly agree")  # fmt: skip

DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0.0"  # a plain number: 87 shows as 87.0, never as 8700%
TEXT_FORMAT = "@"
# Excel's limits for data validation messages.
TITLE_LIMIT = 32
MESSAGE_LIMIT = 255

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_REQUIRED_FILL = PatternFill("solid", fgColor="833C0B")
_SEASON_SPAN = {"autumn": ((0, 9, 1), (0, 12, 31)), "spring": ((1, 1, 1), (1, 3, 31)),
                "summer": ((1, 4, 1), (1, 8, 31))}  # fmt: skip


@dataclass(frozen=True)
class TermWindow:
    """The dates a template accepts, from its term name (or from none).

    Attributes
    ----------
    term : str or None
        ``YYYY-YY-autumn|spring|summer``, or None when no term was given.
    first_day, last_day : date or None
        The term itself: autumn 1 Sep–31 Dec, spring 1 Jan–31 Mar (about Easter),
        summer 1 Apr–31 Aug.
    earliest, latest : date
        Dates the template accepts: 1 Sep two years before the academic year starts to
        31 Aug at its end, since referrals and baselines can predate the term. Without a
        term, any date from 2000 to 2099.
    """

    term: str | None
    first_day: date | None
    last_day: date | None
    earliest: date
    latest: date

    @property
    def label(self) -> str:
        """``spring term 2023-24`` (empty without a term)."""
        if self.term is None:
            return ""
        year, season = self.term.rsplit("-", 1)
        return f"{season} term {year}"


def term_window(term: str | None) -> TermWindow:
    """The :class:`TermWindow` of ``term`` (``2023-24-spring``); a wide window for None.

    >>> term_window("2023-24-spring").last_day
    datetime.date(2024, 3, 31)
    >>> term_window("2023-24-spring").earliest
    datetime.date(2021, 9, 1)
    """
    if term is None:
        return TermWindow(None, None, None, date(2000, 1, 1), date(2099, 12, 31))
    match = TERM_PATTERN.match(check_term(term))
    start_year, season = int(match.group(1)), match.group(3)
    (y0, m0, d0), (y1, m1, d1) = _SEASON_SPAN[season]
    return TermWindow(
        term=term,
        first_day=date(start_year + y0, m0, d0),
        last_day=date(start_year + y1, m1, d1),
        earliest=date(start_year - 2, 9, 1),
        latest=date(start_year + 1, 8, 31),
    )


@dataclass(frozen=True)
class ColumnSpec:
    """How the template constrains one column: the Excel side of a :class:`Column`.

    Attributes
    ----------
    column : Column
        The definition it was made from.
    validation : str or None
        Excel validation type: ``list``, ``whole``, ``decimal``, ``date``, ``textLength``,
        or None for free text (an input message only).
    operator : str or None
        ``between``, ``greaterThanOrEqual``, ``lessThanOrEqual`` or ``equal``.
    formula1, formula2 : str or None
        The bounds as Excel writes them (dates as serial numbers).
    choices : tuple of str
        Dropdown values (``list`` only), as they appear on the Lists sheet.
    allowed_text : str
        What may be entered, in words, for the Instructions sheet.
    prompt_title, prompt, error_title, error : str
        Input message and error alert, in plain English, within Excel's limits.
    number_format : str
        Number format of the data cells.
    example : str
        An example the template accepts (the definition's, unless the template would
        reject it, e.g. ``Y6`` where the dropdown offers ``6``).
    """

    column: Column
    validation: str | None
    operator: str | None
    formula1: str | None
    formula2: str | None
    choices: tuple[str, ...]
    allowed_text: str
    prompt_title: str
    prompt: str
    error_title: str
    error: str
    number_format: str
    example: str


def column_spec(
    col: Column,
    window: TermWindow,
    school: str | None = None,
    identifiers: tuple[str, ...] = (),
) -> ColumnSpec:
    """The :class:`ColumnSpec` of ``col``: its validation, messages and number format.

    ``identifiers`` are the initiative's identifier columns (at least one per row).
    """
    if col.kind == "ref" and col.name in identifiers:
        return _ref_spec(col, identifiers)
    builder = _BUILDERS.get(col.kind, _free_text_spec)
    return builder(col, window, school)


def write_template(
    key: str,
    out: Path,
    school: str | None = None,
    term: str | None = None,
    *,
    rows: int = TABLE_ROWS,
) -> Path:
    """Write the data-capture workbook for initiative ``key`` and return its path.

    Parameters
    ----------
    key : str
        Initiative key (any discovered initiative, e.g. ``ebsa``).
    out : Path
        The ``.xlsx`` file to write, or an existing directory to write
        :func:`template_filename` into. Parent folders are created.
    school : str, optional
        School or service name for the title and the file name; it is also typed into
        the school column of every data row (a row with nothing else filled in is still
        an empty row to ingestion).
    term : str, optional
        ``YYYY-YY-autumn|spring|summer``: gives the deadline and the accepted dates.
    rows : int, default 500
        Data rows in the table (unlocked and validated).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        Unknown initiative, malformed term, or an ``out`` file name not ending in
        ``.xlsx`` (a template is an Excel workbook whatever it is called).
    """
    initiative = get(key)
    window = term_window(term)
    specs = [column_spec(col, window, school, initiative.identifiers) for col in initiative.columns]
    out = Path(out)
    if out.is_dir():
        out = out / template_filename(key, school, term)
    elif out.suffix.lower() != ".xlsx":
        raise ConfigError(
            f"--out {out.name}: a template is an Excel workbook, so its file name must end "
            f"in .xlsx (e.g. --out {out.with_suffix('.xlsx').name}), or give a folder"
        )
    school = " ".join(school.split()) if school and school.strip() else None
    out.parent.mkdir(parents=True, exist_ok=True)

    wb = Workbook()
    instructions = wb.active
    instructions.title = INSTRUCTIONS_SHEET
    ret = wb.create_sheet(RETURN_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    list_refs = _write_lists(lists, specs)
    _write_return(ret, initiative, specs, list_refs, rows, school)
    _write_instructions(instructions, initiative, specs, window, school, rows)
    wb.properties.title = template_title(initiative, school, window)
    wb.properties.subject = f"dspl-eval return: {initiative.key}"
    wb.properties.creator = AUTHOR
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    wb.save(out)
    return out


def template_title(initiative: Initiative, school: str | None, window: TermWindow) -> str:
    """``EBSA support pilot: termly return — Oakfield Primary, spring term 2023-24``."""
    parts = [p for p in (school, window.label) if p]
    suffix = f" — {', '.join(parts)}" if parts else ""
    return f"{initiative.title}: termly return{suffix}"


def template_filename(key: str, school: str | None = None, term: str | None = None) -> str:
    """``ebsa_return_oakfield-primary_2023-24-spring.xlsx`` (school and term if given)."""
    parts = [f"{key}_return"]
    if school:
        parts.append(re.sub(r"[^a-z0-9]+", "-", school.lower()).strip("-") or "school")
    if term:
        parts.append(check_term(term))
    return "_".join(parts) + ".xlsx"


def table_name(key: str) -> str:
    """The Excel table's name on the Return sheet: ``ebsa_return``."""
    return f"{key}_return"


# --- column specs, one builder per kind ---------------------------------------------------


def _short_label(col: Column) -> str:
    """The label without bracketed asides: 'SDQ emotional scale score after support'."""
    text = re.sub(r"\s*\([^)]*\)", "", col.label).strip()
    return text[:1].upper() + text[1:]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _bounds(col: Column) -> tuple[str, str | None, str | None, str]:
    """Excel operator, formulas and words for ``col``'s minimum/maximum."""
    low, high = col.minimum, col.maximum
    if low is not None and high is not None:
        return "between", _num(low), _num(high), f"from {_num(low)} to {_num(high)}"
    if low is not None:
        return "greaterThanOrEqual", _num(low), None, f"of {_num(low)} or more"
    if high is not None:
        return "lessThanOrEqual", _num(high), None, f"of {_num(high)} or less"
    return "between", "-1000000000", "1000000000", "of any size"


def _blank_note(col: Column) -> str:
    return "Required." if col.required else "Leave blank if not known."


def _example(col: Column, fallback: str) -> str:
    return col.example or fallback


def _spec(col: Column, **fields) -> ColumnSpec:
    """A ColumnSpec with messages cut to Excel's limits."""
    for name in ("prompt_title", "error_title"):
        fields[name] = _cut(fields[name], TITLE_LIMIT)
    for name in ("prompt", "error"):
        fields[name] = _cut(fields[name], MESSAGE_LIMIT)
    fields.setdefault("operator", None)
    fields.setdefault("formula1", None)
    fields.setdefault("formula2", None)
    fields.setdefault("choices", ())
    fields.setdefault("example", col.example)
    return ColumnSpec(column=col, **fields)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _words(values: tuple[str, ...]) -> str:
    """'school, parent or other'."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _choice_spec(
    col: Column, choices: tuple[str, ...], meaning: str = "", listed: str = ""
) -> ColumnSpec:
    listed = listed or _words(choices)
    return _spec(
        col,
        validation="list",
        choices=choices,
        example=_choice_example(col, choices),
        allowed_text=f"choose from the list: {listed}{meaning}",
        prompt_title="Choose from the list",
        prompt=f"{_short_label(col)}: choose {listed}{meaning}. {_blank_note(col)}",
        error_title="Please choose from the list",
        error=f"{_short_label(col)} must be one of: {listed}. Click the arrow to choose.",
        number_format=TEXT_FORMAT,
    )


def _choice_example(col: Column, choices: tuple[str, ...]) -> str:
    """The definition's example if the dropdown offers it, else the choice it stands for."""
    text = col.example.strip()
    by_lower = {c.lower(): c for c in choices}
    candidates = (
        text.lower(),
        col.value_synonyms.get(text.lower(), ""),
        re.sub(r"\D", "", text),  # year groups: "Y6" -> "6"
    )
    return next((by_lower[c.lower()] for c in candidates if c.lower() in by_lower), choices[0])


def _category_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    return _choice_spec(col, tuple(col.allowed))


def _ordinal_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    """A dropdown of the column's word levels (ingestion also reads their scores)."""
    meaning = "; ".join(f"{w} = {s}" for w, s in zip(col.levels, col.scores, strict=True))
    return _choice_spec(col, tuple(col.levels), f" (scored {meaning})")


def _multi_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    """Free text naming one or more of ``allowed``, separated by semicolons (Excel's list
    validation takes one value a cell, so the choices go in the message and the
    instructions)."""
    listed = "; ".join(col.allowed)
    example = col.example or "; ".join(col.allowed[:2])
    return _spec(
        col,
        validation=None,
        choices=tuple(col.allowed),
        allowed_text=f"one or more of: {listed} — separate them with a semicolon (;)",
        prompt_title="One or more, separated by ;",
        prompt=f"{_short_label(col)}: one or more of {listed}; separate with ;. {_blank_note(col)}",
        error_title="",
        error="",
        number_format=TEXT_FORMAT,
        example=example,
    )


def _yes_no_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    return _choice_spec(col, YES_NO)


def _year_group_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    low = -1 if col.minimum is None else col.minimum
    high = 99 if col.maximum is None else col.maximum
    choices = tuple(y for y in YEAR_GROUPS if low <= (0 if y == "R" else int(y)) <= high)
    if choices == YEAR_GROUPS:
        return _choice_spec(col, YEAR_GROUPS, listed="R (Reception) or 1 to 13")
    return _choice_spec(col, choices)


def _sen_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    meaning = "; ".join(f"{code} {word}" for code, word in SEN_CODES.items())
    return _choice_spec(col, tuple(SEN_CODES), f" ({meaning})")


def _number_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    whole = col.kind in ("integer", "likert")
    operator, low, high, span = _bounds(col)
    what = "a whole number" if whole else "a number"
    example = _example(col, low if low not in (None, "-1000000000") else "0")
    scale = ""
    if col.kind == "likert":
        scale = f" ({_num(col.minimum)} strongly disagree, {_num(col.maximum)} strongly agree)"
    return _spec(
        col,
        validation="whole" if whole else "decimal",
        operator=operator,
        formula1=low,
        formula2=high,
        allowed_text=f"{what} {span}{scale}",
        prompt_title=f"{'Whole number' if whole else 'Number'} {span}",
        prompt=f"{_short_label(col)}: {what} {span}{scale}, e.g. {example}. {_blank_note(col)}",
        error_title="Please check this number",
        error=f"{_short_label(col)} must be {what} {span}{scale}, e.g. {example}.",
        number_format="0" if whole else "General",
        example=example,
    )


def _percent_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    operator, low, high, span = _bounds(col)
    example = _example(col, "87")
    word = "percentile" if "percentile" in col.label.lower() else "percentage"
    return _spec(
        col,
        validation="decimal",
        operator=operator,
        formula1=low,
        formula2=high,
        allowed_text=f"a {word} {span}, typed as a number ({example} for {example}%)",
        prompt_title=f"{word.capitalize()} {span}",
        prompt=(f"{_short_label(col)}: a {word} {span}. Type the number only, e.g. "
                f"{example} for {example}%. {_blank_note(col)}"),
        error_title=f"Please check this {word}",
        error=f"{_short_label(col)} must be a {word} {span}, e.g. {example}.",
        number_format=PERCENT_FORMAT,
        example=example,
    )  # fmt: skip


def _date_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    first, last = _uk(window.earliest), _uk(window.latest)
    # with a term, an example inside it (the definition's examples are from 2023-24)
    example = _uk(window.first_day + timedelta(days=10)) if window.first_day else col.example
    example = example or "12/09/2023"
    return _spec(
        col,
        validation="date",
        operator="between",
        formula1=str(_serial(window.earliest)),
        formula2=str(_serial(window.latest)),
        allowed_text=f"a date from {first} to {last}, as dd/mm/yyyy",
        prompt_title="Date (dd/mm/yyyy)",
        prompt=f"{_short_label(col)}: a date as dd/mm/yyyy, e.g. {example}. {_blank_note(col)}",
        error_title="Please check this date",
        error=f"{_short_label(col)} must be a date from {first} to {last}, typed as dd/mm/yyyy, "
        f"e.g. {example}.",
        number_format=DATE_FORMAT,
        example=example,
    )


def _upn_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    example = _example(col, "A123456789012")
    return _spec(
        col,
        validation="textLength",
        operator="equal",
        formula1="13",
        allowed_text="13 characters: a letter then 12 characters, as on the school census",
        prompt_title="Unique Pupil Number",
        prompt=(f"The child's UPN: 13 characters, starting with a letter, e.g. {example}. "
                "Leave blank and give your own reference if you do not have it."),
        error_title="Please check the UPN",
        error=f"A UPN has exactly 13 characters, starting with a letter, e.g. {example}.",
        number_format=TEXT_FORMAT,
    )  # fmt: skip


def _free_text_spec(col: Column, window: TermWindow, school: str | None) -> ColumnSpec:
    example = school if (school and col.name == "school") else col.example
    hint = f", e.g. {example}" if example else ""
    allowed = "any text" + (" (not a name)" if col.kind == "ref" else "")
    return _spec(
        col,
        validation=None,
        allowed_text=allowed,
        prompt_title="Type the text",
        prompt=f"{_short_label(col)}{hint}. {_blank_note(col)}",
        error_title="",
        error="",
        number_format=TEXT_FORMAT,
    )


def _ref_spec(col: Column, identifiers: tuple[str, ...]) -> ColumnSpec:
    others = tuple(n.replace("_", " ") for n in identifiers if n != col.name)
    need = f"Give this or the {_words(others)}" if others else "Required"
    hint = f", e.g. {col.example}" if col.example else ""
    return _spec(
        col,
        validation=None,
        allowed_text="any text that is not a name",
        prompt_title="Reference (never a name)",
        prompt=f"{_short_label(col)}{hint}. {need}: every row needs one. Never a name.",
        error_title="",
        error="",
        number_format=TEXT_FORMAT,
    )


_BUILDERS = {
    "category": _category_spec,
    "sex": _category_spec,
    "yes_no": _yes_no_spec,
    "year_group": _year_group_spec,
    "sen_status": _sen_spec,
    "integer": _number_spec,
    "number": _number_spec,
    "likert": _number_spec,
    "ordinal": _ordinal_spec,
    "multi": _multi_spec,
    "percent": _percent_spec,
    "date": _date_spec,
    "upn": _upn_spec,
}


def _uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _serial(day: date) -> int:
    """Excel's serial number of ``day`` (1900 date system)."""
    return (day - date(1899, 12, 30)).days


# --- sheets -------------------------------------------------------------------------------


def _write_lists(ws: Worksheet, specs: list[ColumnSpec]) -> dict[tuple[str, ...], str]:
    """One column per distinct dropdown list; returns choices → ``Lists!$A$2:$A$3``."""
    refs: dict[tuple[str, ...], str] = {}
    for spec in specs:
        if spec.validation != "list" or spec.choices in refs:
            continue
        idx = len(refs) + 1
        letter = get_column_letter(idx)
        # "(choices)" keeps these cells from looking like a header row to ingestion
        ws.cell(row=1, column=idx, value=f"{spec.column.name} (choices)").font = Font(bold=True)
        for offset, value in enumerate(spec.choices, start=2):
            ws.cell(row=offset, column=idx, value=value).number_format = TEXT_FORMAT
        ws.column_dimensions[letter].width = 22
        refs[spec.choices] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(spec.choices) + 1}"
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    return refs


def _write_return(
    ws: Worksheet,
    initiative: Initiative,
    specs: list[ColumnSpec],
    list_refs: dict[tuple[str, ...], str],
    rows: int,
    school: str | None = None,
) -> None:
    """Headers, table, validations, formats, protection and layout of the Return sheet.

    With ``school``, the school column of every data row holds it already (still unlocked,
    so a trust return can change a row's school)."""
    first, last = HEADER_ROW + 1, HEADER_ROW + rows
    for idx, spec in enumerate(specs, start=1):
        _write_header(ws.cell(row=HEADER_ROW, column=idx), spec, initiative)
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = _width(spec)
        prefill = school if school and spec.column.name == SCHOOL_COLUMN else None
        _unlock_data_cells(ws, idx, first, last, spec.number_format, prefill)
        dv = _data_validation(spec, list_refs)
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)
    ref = f"A{HEADER_ROW}:{get_column_letter(len(specs))}{last}"
    table = Table(displayName=table_name(initiative.key), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.row_dimensions[HEADER_ROW].height = 48  # room for a plain-English heading on 3 lines
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=_frozen_columns(initiative) + 1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    _protect(ws)


def _write_header(cell, spec: ColumnSpec, initiative: Initiative) -> None:
    col = spec.column
    cell.value = col.header
    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    cell.protection = Protection(locked=True)
    cell.comment = Comment(_header_note(spec, initiative), AUTHOR, width=320, height=170)


def _header_note(spec: ColumnSpec, initiative: Initiative) -> str:
    """The note on a header cell: meaning, what to enter, required or not, example."""
    col = spec.column
    lines = [col.label + ".", f"Enter {spec.allowed_text}."]
    if col.name in initiative.identifiers:
        others = [initiative.column(n).header for n in initiative.identifiers if n != col.name]
        lines.append(
            f"Give this or {_words(tuple(others))} (at least one)." if others else "Required."
        )
    else:
        lines.append("Required." if col.required else "Leave blank if not known.")
    if spec.example:
        lines.append(f"Example: {spec.example}")
    lines.append(f"(Column name for analysts: {col.name}.)")
    return "\n".join(lines)


def _width(spec: ColumnSpec) -> float:
    """Wide enough for the header and a typical value, within 12 to 45 characters."""
    widest = max(
        min(len(spec.column.header), 30), len(spec.example), *map(len, spec.choices or ("",))
    )
    return float(min(max(widest + 3, 12), 45))


def _unlock_data_cells(
    ws: Worksheet, column: int, first: int, last: int, fmt: str, value: str | None = None
) -> None:
    unlocked = Protection(locked=False)
    for row in range(first, last + 1):
        cell = ws.cell(row=row, column=column)
        cell.protection = unlocked
        cell.number_format = fmt
        if value is not None:
            cell.value = value


def _data_validation(spec: ColumnSpec, list_refs: dict[tuple[str, ...], str]) -> DataValidation:
    formula1 = list_refs[spec.choices] if spec.validation == "list" else spec.formula1
    has_rule = spec.validation is not None
    return DataValidation(
        type=spec.validation,
        operator=spec.operator,
        formula1=formula1,
        formula2=spec.formula2,
        allow_blank=True,
        showInputMessage=True,
        promptTitle=spec.prompt_title,
        prompt=spec.prompt,
        showErrorMessage=has_rule,
        errorStyle="stop" if has_rule else None,
        errorTitle=spec.error_title or None,
        error=spec.error or None,
    )


def _frozen_columns(initiative: Initiative) -> int:
    """How many leading identifier columns stay in view when scrolling right."""
    count = 0
    for col in initiative.columns:
        if col.name not in initiative.identifiers:
            break
        count += 1
    return count


def _protect(ws: Worksheet) -> None:
    """Protect the sheet (no password): locked cells stay, widths/sort/filter are allowed."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.sort = False
    ws.protection.autoFilter = False


# --- instructions -------------------------------------------------------------------------


def _write_instructions(
    ws: Worksheet,
    initiative: Initiative,
    specs: list[ColumnSpec],
    window: TermWindow,
    school: str | None,
    rows: int,
) -> None:
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 50
    ws.column_dimensions["E"].width = 18
    ws.column_dimensions["F"].width = 34
    ws.append([template_title(initiative, school, window)])
    ws["A1"].font = Font(bold=True, size=14)
    for heading, paragraphs in _instruction_sections(initiative, window, rows):
        ws.append([])
        ws.append([heading])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
        for text in paragraphs:
            ws.append([text])
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
            ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[ws.max_row].height = 15 * (1 + len(text) // 150)
    _write_column_table(ws, initiative, specs)
    ws.protection.sheet = True


def _instruction_sections(
    initiative: Initiative, window: TermWindow, rows: int
) -> list[tuple[str, list[str]]]:
    """The headed paragraphs of the Instructions sheet, in order."""
    unit, units = initiative.person, initiative.people
    deadline = (
        f"Please return it by the end of the {window.label} ({_long(window.last_day)} at the "
        "latest)."
        if window.term
        else "Please return it by the end of term."
    )
    ids = _words(tuple(f"'{initiative.column(n).header}'" for n in initiative.identifiers))
    ids = f"{ids} (at least one)" if len(initiative.identifiers) > 1 else f"a {ids}"
    how = [
        f"Use the '{RETURN_SHEET}' sheet: one row for each {unit}, starting in row "
        f"{HEADER_ROW + 1}. There is room for {rows} {units} (ask us for a larger template "
        f"if you need more). Leave the headings in row {HEADER_ROW} as they are (they are "
        "locked).",
        f"Every row needs {ids}, so that we can link the {unit} across terms "
        "without a name. Columns with a dark red heading are required.",
        "Where a column has a dropdown arrow, choose from the list. Numbers and dates are "
        "checked as you type; a message under each heading explains what to enter, and the "
        "table below lists every column.",
        "Type dates as dd/mm/yyyy (e.g. 02/10/2023). Type percentages as a number from 0 to "
        "100 (87 for 87%). Leave a cell blank if it is not known or not yet due, e.g. scores "
        "after support when follow-up has not happened yet.",
        f"Please do not add a total row or more than one row for the same {unit}.",
    ]
    if window.term:
        how.append(
            f"Dates from {_long(window.earliest)} to {_long(window.latest)} are accepted, since "
            "referrals and first assessments can be earlier than this term."
        )
    how += [_session_note(initiative, s) for s in initiative.session_sets]
    how += [f"'{c.header}': {c.note}" for c in initiative.columns if c.note]
    if any(c.kind == "likert" for c in initiative.columns):
        scale = "; ".join(f"{n} {w}" for n, w in enumerate(LIKERT_WORDS, start=1))
        how.append(f"Confidence statements are scored 1 to 5: {scale}.")
    how += _level_notes(initiative)
    how += [
        f"'{c.header}': name one or more of {_words(tuple(c.allowed))}, separated by a "
        f"semicolon (e.g. {'; '.join(c.allowed[:2])}); leave it blank if none."
        for c in initiative.columns
        if c.kind == "multi"
    ]
    checks = [_rule_text(initiative, rule) for rule in initiative.rules]
    checks.append(
        "When we receive the return we check every row and tell you the row, column and "
        "value of anything that needs fixing."
    )
    return [
        ("What to return", [initiative.description, deadline]),
        ("How to fill it in", how),
        ("Names are not needed", [_NAMES_NOTE.format(unit=unit)]),
        ("Checks we make", checks),
    ]


def _level_notes(initiative: Initiative) -> list[str]:
    """One sentence per distinct set of ordinal levels: what each answer is scored."""
    seen: dict[tuple[str, ...], list[Column]] = {}
    for col in initiative.columns:
        if col.kind == "ordinal":
            seen.setdefault(col.levels, []).append(col)
    notes = []
    for levels, cols in seen.items():
        scored = "; ".join(f"{w} = {s}" for w, s in zip(levels, cols[0].scores, strict=True))
        which = f"'{cols[0].header}'" if len(cols) == 1 else f"{len(cols)} columns"
        notes.append(
            f"Answers to {which} are chosen from the list ({scored}); the score may be "
            "typed instead of the words."
        )
    return notes


_NAMES_NOTE = (
    "Please do not enter names, dates of birth or addresses: the return has no column for "
    "them because they are not needed. If a return contains them anyway, they are deleted "
    "when we receive it and are never stored. Use the {unit}'s reference instead."
)


def _session_note(initiative: Initiative, session_set: tuple[str, str, str]) -> str:
    possible, attended, percent = (f"'{initiative.column(n).header}'" for n in session_set)
    return (
        f"Attendance: give either the sessions ({possible} and {attended}) or the percentage "
        f"({percent}); you do not need both. If you give sessions, we work out the percentage."
    )


def _rule_text(initiative: Initiative, rule: Rule) -> str:
    first, second = (f"'{initiative.column(n).header}'" for n in (rule.first, rule.second))
    if rule.kind == "order":
        return f"{first} must be on or before {second}."
    return f"{first} must not be more than {second}."


def _write_column_table(ws: Worksheet, initiative: Initiative, specs: list[ColumnSpec]) -> None:
    ws.append([])
    ws.append(["The columns"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
    ws.append(
        [
            "Column heading",
            "What it means",
            "Required?",
            "What you can enter",
            "Example",
            "Column name (for analysts)",
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for spec in specs:
        col = spec.column
        required = "yes" if col.required else ""
        if col.name in initiative.identifiers and len(initiative.identifiers) > 1:
            required = "one of " + _words(
                tuple(initiative.column(n).header for n in initiative.identifiers)
            )
        elif col.name in initiative.identifiers:
            required = "yes"
        ws.append([col.header, col.label, required, spec.allowed_text, spec.example, col.name])
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=ws.max_row, column=5).number_format = TEXT_FORMAT


def _long(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""
