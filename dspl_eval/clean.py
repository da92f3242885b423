"""Parse the cells of a return into the contract's types and units, one column at a time.

Every parser is explicit: UK day-first dates, our own list of missing-value words, and
percentages read from ``58%``, ``58`` or ``0.58``. A cell that cannot be read is never
guessed at: it gets a plain-English reason and its row is quarantined by ``ingest``.

Columns are parsed by their distinct values (``pandas.factorize``), so a 100,000-row
return with a few hundred distinct dates costs a few hundred parses, not 100,000.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.gb import upn as stdnum_upn

from dspl_eval.initiatives.base import Column

#: Cell texts read as "missing" (compared lower-cased and stripped). pandas' defaults are
#: not used: "n/a" is missing because we say so, not by accident.
MISSING_WORDS = frozenset(
    {
        "",
        "n/a",
        "na",
        "n.a.",
        "-",
        "--",
        "–",
        "—",
        "unknown",
        "not known",
        "nk",
        "not recorded",
        "missing",
        "?",
        "tbc",
        "not applicable",
    }
)

#: Excel's error values and what each means, for the reason a school reads.
EXCEL_ERRORS = {
    "#DIV/0!": "a formula divides by zero",
    "#N/A": "a lookup found nothing",
    "#REF!": "a formula refers to a cell that was deleted",
    "#VALUE!": "a formula was given the wrong kind of value",
    "#NAME?": "a formula uses a name Excel does not know",
    "#NUM!": "a formula gave an impossible number",
    "#NULL!": "a formula refers to ranges that do not meet",
    "#SPILL!": "a formula's results are blocked by other cells",
    "#CALC!": "a formula could not be calculated",
}

_YES = frozenset({"y", "yes", "true", "1", "t"})
_NO = frozenset({"n", "no", "false", "0", "f"})

_LIKERT_WORDS = {
    "strongly disagree": 1,
    "disagree": 2,
    "neither agree nor disagree": 3,
    "neither": 3,
    "neutral": 3,
    "not sure": 3,
    "agree": 4,
    "strongly agree": 5,
}

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_TIME = r"(?:[ t]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME + "$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")
_D_MON_Y = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?,?[\s\-]+(\d{4}|\d{2})$")
_YEAR_GROUP = re.compile(r"^(?:year|yr|y|ncy|nc year)?\s*(\d{1,2})(?:\.0+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EARLIEST, _LATEST = dt.date(2000, 1, 1), dt.date(2100, 1, 1)


class CellError(ValueError):
    """A cell that cannot be read; ``str(error)`` says what was expected."""


@dataclass(frozen=True)
class ParsedColumn:
    """The result of parsing one column.

    ``values`` holds the parsed values (NA where missing or unreadable); ``errors`` holds a
    reason string where the cell could not be read and NA elsewhere.
    """

    values: pd.Series
    errors: pd.Series


def is_missing(value: object) -> bool:
    """True for blank cells, NaN/None and the words in :data:`MISSING_WORDS`."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_WORDS


def show_value(value: object) -> str:
    """A cell value as a person would recognise it from the spreadsheet."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y") if value.time() == dt.time() else str(value)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def excel_error(value: object) -> str | None:
    """The Excel error value a cell holds (``#DIV/0!``, ``#N/A`` …), or None."""
    if isinstance(value, str):
        text = value.strip().upper()
        if text in EXCEL_ERRORS:
            return text
    return None


def excel_error_reason(error: str) -> str:
    """The quarantine reason for a cell holding an Excel error value."""
    return (
        f"Excel error {error} in this cell ({EXCEL_ERRORS[error]}): "
        "correct the formula or type the value in"
    )


_PLAIN = re.compile(r"^[+-]?\d+$")
_DOT = re.compile(r"^[+-]?(?:\d*\.\d+|\d+\.)$")
_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_THREE = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")  # 1,234 or 1.234: a group or a decimal?
_GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # 1,234,567 / 1,234.5
_GROUPED_DOT = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")  # 1.234.567 / 1.234,5


def separator_evidence(value: object) -> str | None:
    """Which decimal separator a text cell shows it uses: ``","``, ``"."`` or None.

    ``0,5`` and ``1.234,5`` can only use a decimal comma; ``85.3`` and ``1,234.5`` only a
    decimal point. ``1,234``, ``1.234`` and whole numbers say nothing.
    """
    if not isinstance(value, str):
        return None
    text = value.strip().removesuffix("%").strip()
    if _THREE.match(text) or _PLAIN.match(text):
        return None
    if _COMMA.match(text) or (_GROUPED_DOT.match(text) and ("," in text or text.count(".") > 1)):
        return ","
    if _DOT.match(text) or (_GROUPED_COMMA.match(text) and ("." in text or text.count(",") > 1)):
        return "."
    return None


def decimal_style(values: list[object]) -> str | None:
    """The decimal separator a set of cells uses: ``","``, ``"."``, or None (no evidence or
    both kinds, so cells such as ``1,234`` stay ambiguous)."""
    seen = {separator_evidence(v) for v in values} - {None}
    return seen.pop() if len(seen) == 1 else None


def _number_from_text(text: str, decimal: str | None) -> float:
    """A number written as text, read with the column's decimal separator.

    ``decimal`` is ``","`` (the column or file uses decimal commas), ``"."`` (it uses
    decimal points, so a comma groups thousands) or None (no evidence either way). A cell
    that could mean two different numbers is refused, never guessed.
    """
    text = text.strip()
    if _PLAIN.match(text):
        return float(text)
    if _THREE.match(text):
        return _three_digit_group(text, decimal)
    if _DOT.match(text):
        return float(text)
    if _COMMA.match(text):
        return float(text.replace(",", "."))
    if _GROUPED_COMMA.match(text) and decimal != ",":
        return float(text.replace(",", ""))
    if _GROUPED_DOT.match(text) and decimal != ".":
        return float(text.replace(".", "").replace(",", "."))
    if _GROUPED_COMMA.match(text) or _GROUPED_DOT.match(text):
        raise CellError(
            f"a number: {text} uses the other decimal separator from the rest of this column "
            "— write it without a thousands separator"
        )
    raise CellError("a number")


def _three_digit_group(text: str, decimal: str | None) -> float:
    """``1,234`` or ``1.234``: a decimal separator or a thousands separator?

    The column's separator decides; with no evidence ``1.234`` is read the UK way (1.234)
    and ``1,234`` is refused, since a laptop set to a decimal-comma locale writes it for
    1.234 and a UK one for 1234.
    """
    separator = "," if "," in text else "."
    if separator == "." and decimal in (".", None):
        return float(text)
    if separator == "," and decimal == ",":
        return float(text.replace(",", "."))
    if separator == "," and decimal == ".":
        return float(text.replace(",", ""))
    if separator == ",":
        raise CellError(
            f"a number: {text} is ambiguous ({_plain(text.replace(',', ''))} or "
            f"{_plain(text.replace(',', '.'))}?) and no other cell in this file "
            "shows whether a comma is a decimal point — write it without a thousands "
            "separator, with a decimal point"
        )
    raise CellError(
        f"a number: {text} is ambiguous in a file that uses decimal commas "
        f"({_plain(text.replace('.', ''))} or {_plain(text)}?) "
        "— write it without a thousands separator"
    )


def _plain(text: str) -> str:
    """A number's text as Python reads it, shortest form: ``1,250`` → ``1250``, ``1.250`` →
    ``1.25``."""
    number = float(text)
    return str(int(number)) if number.is_integer() else repr(number)


def _number(value: object, decimal: str | None = ".") -> float:
    """A real number from a numeric cell or text such as ``12``, `` 12.5 `` or ``0,5``."""
    if isinstance(value, bool):
        raise CellError("a number")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        number = _number_from_text(value, decimal)
    else:
        raise CellError("a number")
    if not math.isfinite(number):
        raise CellError("a number")
    return number


def parse_integer(value: object, decimal: str | None = ".") -> int:
    """A whole number: ``3``, ``3.0`` or ``"3"``; ``3.5`` is an error."""
    number = _number(value, decimal)
    if not number.is_integer():
        raise CellError("a whole number")
    if abs(number) >= 2**53:  # beyond exact integers in a spreadsheet (and pandas' Int64)
        raise CellError("a whole number of a sensible size")
    return int(number)


def parse_number(value: object, decimal: str | None = ".") -> float:
    """A real number; ``decimal`` is the separator the column uses (see ``_number_from_text``)."""
    return _number(value, decimal)


def parse_percent(value: object, decimal: str | None = ".") -> tuple[float, bool]:
    """A percentage and whether it was unambiguous.

    ``"58%"`` → (58.0, True); ``58`` → (58.0, True); ``0.58`` → (0.58, False): a bare number
    from 0 to 1 is a fraction or a tiny percentage, decided per column by
    :func:`parse_column` (all such values → fractions; mixed with other styles → error).
    """
    if isinstance(value, str) and value.strip().endswith("%"):
        return _number(value.strip()[:-1], decimal), True
    number = _number(value, decimal)
    return number, not (0 < number <= 1)


def parse_yes_no(value: object) -> bool:
    """``Y``/``N``, ``yes``/``no``, ``TRUE``/``FALSE``, ``1``/``0`` (any case)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = show_value(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("yes or no (Y/N, yes/no, TRUE/FALSE, 1/0)")


def parse_date(value: object) -> dt.date:
    """A date, day first always: ``3/10/2023``, ``03-10-23``, ISO, ``3 Oct 2023``, serials."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        _require_midnight(value.time())
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        date = _excel_serial(float(value))
    elif isinstance(value, str):
        date = _date_from_text(value.strip().lower())
    else:
        raise CellError("a date (dd/mm/yyyy)")
    if not _EARLIEST <= date < _LATEST:
        raise CellError("a date between 2000 and 2099")
    return date


def _require_midnight(time: dt.time) -> None:
    """Refuse a date whose time of day is not midnight: which day was meant is unclear."""
    if time != dt.time():
        raise CellError(
            f"a date without a time of day (this cell also says {time.strftime('%H:%M')}; "
            "a date with the time 00:00 is fine)"
        )


def _time_of(groups: tuple[str | None, ...]) -> None:
    """Check the optional time part (hours, minutes, seconds, fraction) of a date text."""
    hours, minutes, seconds, fraction = groups
    if hours is None:
        return
    try:
        time = dt.time(int(hours), int(minutes), int(seconds or 0))
    except ValueError:
        raise CellError("a date (dd/mm/yyyy) with, at most, the time 00:00") from None
    if fraction and int(fraction):
        time = time.replace(microsecond=1)
    _require_midnight(time)


def _excel_serial(number: float) -> dt.date:
    if 1 <= number < 100_000 and not number.is_integer():
        _require_midnight((dt.datetime(2000, 1, 1) + dt.timedelta(days=number % 1)).time())
    if not number.is_integer() or not 1 <= number < 100_000:
        raise CellError("a date (dd/mm/yyyy)")
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


def _date_from_text(text: str) -> dt.date:
    try:
        if match := _DMY.match(text):
            _time_of(match.groups()[3:])
            day, month, year = (int(g) for g in match.groups()[:3])
        elif match := _ISO.match(text):
            _time_of(match.groups()[3:])
            year, month, day = (int(g) for g in match.groups()[:3])
        elif match := _D_MON_Y.match(text):
            day, year = int(match.group(1)), int(match.group(3))
            month = _MONTHS[match.group(2)]
        elif text.isdigit():
            return _excel_serial(float(text))
        else:
            raise CellError("a date (dd/mm/yyyy)")
        year = year + 2000 if year < 100 else year
        return dt.date(year, month, day)
    except (KeyError, ValueError) as error:
        if isinstance(error, CellError):
            raise
        raise CellError("a real date, day first (dd/mm/yyyy)") from None


def parse_likert(value: object, decimal: str | None = ".") -> int:
    """1-5, or the words strongly disagree … strongly agree."""
    if isinstance(value, str) and value.strip().lower() in _LIKERT_WORDS:
        return _LIKERT_WORDS[value.strip().lower()]
    try:
        return parse_integer(value, decimal)
    except CellError:
        raise CellError("1-5 or strongly disagree … strongly agree") from None


def _words_key(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _ordinal(column: Column, decimal: str | None = ".") -> Callable[[object], int]:
    """An ordinal cell: one of ``column.levels`` (any case and spacing, or a synonym) or a
    whole number, read as the score. Numbers outside the scores' range are left to the
    range check (out of range); a number inside it that is no level's score is an error.

    >>> from dspl_eval.initiatives.base import Column
    >>> parse = _ordinal(Column("w", "ordinal", "Worry", levels=("no worry", "a lot")))
    >>> parse("A  LOT"), parse(0), parse("1")
    (1, 0, 1)
    """
    words = column.level_scores()
    scores = set(column.scores)
    low, high = min(scores), max(scores)
    levels = "one of: " + " / ".join(
        f"{w} ({s})" for w, s in zip(column.levels, column.scores, strict=True)
    )
    if column.kind == "likert":  # the words every Likert return has always been told
        levels = f"{low}-{high} or {column.levels[0]} … {column.levels[-1]}"

    def parse(value: object) -> int:
        if isinstance(value, str) and _words_key(value) in words:
            return words[_words_key(value)]
        try:
            number = parse_integer(value, decimal)
        except CellError:
            raise CellError(levels) from None
        if low <= number <= high and number not in scores:
            raise CellError(levels)
        return number

    return parse


_MULTI_SPLIT = re.compile(r"\s*[;,/+&\n]\s*")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _multi(column: Column) -> Callable[[object], str]:
    """A cell naming one or more of ``column.allowed`` (or their synonyms), separated by
    ``;``, ``,``, ``/``, ``+``, ``&``, new lines or "and" (a value whose own name holds
    "and", such as "Speech and language therapy", is still one value). Read as the
    canonical values in the order of ``allowed``, joined by ``"; "``.

    >>> from dspl_eval.initiatives.base import Column
    >>> parse = _multi(Column("s", "multi", "Services", allowed=("EP", "Speech and language")))
    >>> parse("speech and language and ep")
    'EP; Speech and language'
    """
    known = {_words_key(a): a for a in column.allowed}
    known |= {_words_key(k): v for k, v in column.value_synonyms.items()}
    order = {a: i for i, a in enumerate(column.allowed)}
    wanted = "one or more of: " + " / ".join(column.allowed) + " (separated by ;)"

    def pieces(text: str) -> list[str] | None:
        """The values ``text`` names, splitting on "and" only where that gives values."""
        if _words_key(text) in known:
            return [known[_words_key(text)]]
        parts = _AND.split(text)
        # best[i]: a reading of parts[:i] as values (None: no reading)
        best: list[list[str] | None] = [[], *([None] * len(parts))]
        for end in range(1, len(parts) + 1):
            for start in range(end):
                head = best[start]
                if head is None:
                    continue
                key = _words_key(" and ".join(parts[start:end]))
                if key in known:
                    best[end] = [*head, known[key]]
                    break
        return best[-1]

    def parse(value: object) -> str:
        text = show_value(value)
        found: list[str] = []
        for piece in _MULTI_SPLIT.split(text):
            if not piece.strip():
                continue
            values = pieces(piece)
            if values is None:
                raise CellError(f"{wanted}; {piece.strip()!r} is none of them")
            found += values
        if not found:
            raise CellError(wanted)
        return "; ".join(sorted(set(found), key=order.__getitem__))

    return parse


def multi_flags(series: pd.Series, allowed: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """One True/False column per value of ``allowed``: does the row's processed ``multi``
    cell (values joined by ``"; "``) name it? A missing cell is False in every column.

    >>> multi_flags(pd.Series(["EP; STLS", None]), ("EP", "STLS", "Early help")).sum().tolist()
    [1, 1, 0]
    """
    named = series.map(lambda v: set() if is_missing(v) else {p.strip() for p in str(v).split(";")})
    unknown = set().union(*named) - set(allowed) if len(named) else set()
    if unknown:
        raise ValueError(f"values not in allowed: {', '.join(sorted(unknown))}")
    return pd.DataFrame(
        {value: named.map(lambda found, v=value: v in found).astype(bool) for value in allowed},
        index=series.index,
    )


_SDQ_ANSWERS = {"not true": 0, "somewhat true": 1, "certainly true": 2}


def parse_sdq_item(value: object) -> int:
    """An SDQ item answer as ticked: 0-2, or not true / somewhat true / certainly true."""
    if isinstance(value, str):
        text = " ".join(value.strip().lower().split())
        if text in _SDQ_ANSWERS:
            return _SDQ_ANSWERS[text]
    try:
        answer = parse_integer(value)
    except CellError:
        answer = -1
    if answer not in (0, 1, 2):
        raise CellError("an SDQ answer: 0, 1, 2 or not true / somewhat true / certainly true")
    return answer


def parse_year_group(value: object) -> int:
    """NC year: ``6``, ``Y6``, ``Year 6``, ``Yr 6`` → 6; ``R`` → 0; nursery → -1."""
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", "", show_value(value).lower()).strip()  # not 6.5
    if text in {"r", "yr", "rec", "reception", "year r", "y r", "f2", "fs2"}:
        return 0
    if text in {"n", "nursery", "f1", "fs1", "n1", "n2"}:
        return -1
    if match := _YEAR_GROUP.match(text):
        return int(match.group(1))
    raise CellError("a year group (R, 1-13, Y6, Year 6)")


_SEN = {
    "n": "none",
    "none": "none",
    "no": "none",
    "no sen": "none",
    "nsen": "none",
    "k": "SEN support",
    "sen support": "SEN support",
    "support": "SEN support",
    "sen": "SEN support",
    "school action": "SEN support",
    "school action plus": "SEN support",
    "e": "EHC plan",
    "ehcp": "EHC plan",
    "ehc plan": "EHC plan",
    "ehc": "EHC plan",
    "statement": "EHC plan",
    "s": "EHC plan",
}


def parse_sen_status(value: object) -> str:
    """School census SEN provision: ``N``/``K``/``E`` or words → none / SEN support / EHC plan."""
    text = show_value(value).lower()
    if text in _SEN:
        return _SEN[text]
    raise CellError("a SEN status (N none, K SEN support, E EHC plan)")


def parse_upn(value: object) -> str:
    """A Unique Pupil Number with a correct check letter (``stdnum.gb.upn``), upper-cased."""
    try:
        return stdnum_upn.validate(show_value(value))
    except InvalidChecksum:
        raise CellError("a UPN whose check letter matches (the check letter is wrong)") from None
    except InvalidComponent:
        raise CellError("a UPN with a real local authority number") from None
    except ValidationError:
        raise CellError("a UPN: 13 characters, a letter then 12 digits") from None


_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"  # stdnum.gb.upn._alphabet
_UPN_INDEX = np.full(256, -1, dtype=np.int64)
_UPN_INDEX[np.frombuffer(_UPN_ALPHABET.encode(), dtype=np.uint8)] = np.arange(33)
_UPN_LA = np.zeros(1000, dtype=bool)
_UPN_LA[sorted(getattr(stdnum_upn, "_la_numbers", ()))] = True
_UPN_WEIGHTS = np.arange(2, 14)


def _valid_upns(values: list[object]) -> list[str | None]:
    """The normalised UPN of each value that passes ``stdnum.gb.upn.validate``, else None.

    The same checks as stdnum (13 characters, digits in the middle, a known LA number, the
    check letter), done on all values at once with numpy: a return is mostly distinct
    UPNs, and one stdnum call per pupil was most of the cost of ingestion. Values that fail
    here go through :func:`parse_upn` one by one for the exact reason.
    """
    texts = [v.replace(" ", "").upper().strip() if isinstance(v, str) else "" for v in values]
    candidates = [t if len(t) == 13 and t.isascii() else "" for t in texts]
    out: list[str | None] = [None] * len(values)
    if not any(candidates) or not _UPN_LA.any():
        return out
    chars = np.frombuffer(np.array(candidates, dtype="S13").tobytes(), dtype=np.uint8).reshape(
        -1, 13
    )
    index = _UPN_INDEX[chars]
    digits = (chars[:, 1:12] >= ord("0")) & (chars[:, 1:12] <= ord("9"))
    la = (chars[:, 1:4] - ord("0")).astype(np.int64) @ np.array([100, 10, 1])
    ok = digits.all(axis=1) & (index[:, 12] >= 0)
    ok &= _UPN_LA[np.where(ok, la, 0)]
    check = (index[:, 1:] * _UPN_WEIGHTS).sum(axis=1) % 23
    ok &= index[:, 0] == check
    for position in np.flatnonzero(ok):
        out[position] = candidates[position]
    return out


def _category(column: Column) -> Callable[[object], str]:
    allowed = {a.lower(): a for a in column.allowed}
    synonyms = {k.lower(): v for k, v in column.value_synonyms.items()}

    def parse(value: object) -> str:
        text = " ".join(show_value(value).lower().split())
        if text in allowed:
            return allowed[text]
        if text in synonyms:
            return synonyms[text]
        raise CellError("one of: " + " / ".join(column.allowed))

    return parse


def _text(value: object) -> str:
    text = " ".join(show_value(value).split())
    if not text:
        raise CellError("some text")
    return text


def parser_for(column: Column, decimal: str | None = ".") -> Callable[[object], object]:
    """The cell parser for a column's kind; numbers read with the ``decimal`` separator."""
    match column.kind:
        case "text" | "ref":
            return _text
        case "upn":
            return parse_upn
        case "category" | "sex":
            return _category(column)
        case "integer":
            return lambda value: parse_integer(value, decimal)
        case "number":
            return lambda value: parse_number(value, decimal)
        case "yes_no":
            return parse_yes_no
        case "date":
            return parse_date
        case "likert" | "ordinal":
            return _ordinal(column, decimal)
        case "multi":
            return _multi(column)
        case "sdq_item":
            return parse_sdq_item
        case "year_group":
            return parse_year_group
        case "sen_status":
            return parse_sen_status
        case "percent":
            return lambda value: parse_percent(value, decimal)
    raise ValueError(f"no parser for kind {column.kind!r}")


_DTYPES = {
    "integer": "Int64",
    "likert": "Int64",
    "ordinal": "Int64",
    "sdq_item": "Int64",
    "year_group": "Int64",
    "number": "float64",
    "percent": "float64",
    "yes_no": "boolean",
    "date": "datetime64[s]",
}


def dtype_for(column: Column) -> str:
    """The processed dtype of a column (text and categories are pandas' ``str``)."""
    return _DTYPES.get(column.kind, "str")


def empty_column(column: Column, length: int, index: pd.Index | None = None) -> pd.Series:
    """An all-missing column of the right dtype (for columns a return did not include)."""
    return pd.Series([None] * length, index=index, dtype=dtype_for(column), name=column.name)


NUMERIC_KINDS = frozenset({"integer", "number", "percent", "likert", "ordinal", "sdq_item"})


def parse_column(raw: pd.Series, column: Column, decimal: str | None = ".") -> ParsedColumn:
    """Parse every cell of ``raw`` as ``column``; unreadable cells get a reason in ``errors``.

    ``decimal`` is the decimal separator of the column (or, failing evidence there, of the
    file): see :func:`decimal_style`. Excel error values (``#DIV/0!`` …) are errors naming
    the error. Missing words become NA (not an error). Percentages: when every present
    value is a bare number from 0 to 1 the column is read as fractions (×100); when such
    values are mixed with ``58``/``58%`` styles they are ambiguous and each is an error.
    """
    codes, uniques = _factorize(raw.to_numpy(dtype=object))
    parse = parser_for(column, decimal)
    parsed: list[object] = []
    problems: list[object] = []
    valid_upns = _valid_upns(uniques) if column.kind == "upn" else [None] * len(uniques)
    for value, upn in zip(uniques, valid_upns, strict=True):
        if upn is not None:  # checked in bulk; anything else gets stdnum's own verdict
            parsed.append(upn)
            problems.append(None)
            continue
        if error := excel_error(value):
            parsed.append(None)
            problems.append(excel_error_reason(error))
            continue
        if is_missing(value):
            parsed.append(None)
            problems.append(None)
            continue
        try:
            parsed.append(parse(value))
            problems.append(None)
        except CellError as error:
            parsed.append(None)
            problems.append(f"expected {error}")
    if column.kind == "percent":
        parsed, problems = _settle_percent_styles(parsed, problems)
    values_u = np.array([*parsed, None], dtype=object)
    problems_u = np.array([*problems, None], dtype=object)
    values = values_u[codes]  # code -1 (NaN) picks the trailing None
    errors = pd.Series(problems_u[codes], index=raw.index, dtype=object)
    if column.kind == "date":
        series = pd.Series(pd.to_datetime(values), index=raw.index, name=column.name)
        series = series.astype("datetime64[s]")
    else:
        series = pd.Series(values, index=raw.index, name=column.name).astype(dtype_for(column))
    return ParsedColumn(series, errors)


def _factorize(objects: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """``pandas.factorize``, but a TRUE/FALSE cell is never merged with a 1/0 cell.

    ``True == 1`` and ``hash(True) == hash(1)``, so factorize gives them one code and the
    first one seen would speak for both (a count of 1 rejected because another row said
    TRUE). Only codes whose value equals 0 or 1 are checked, row by row.
    """
    codes, found = pd.factorize(objects, use_na_sentinel=True)
    uniques = list(found)
    for i, unique in enumerate(list(uniques)):
        if not isinstance(unique, bool | np.bool_ | int | float | np.integer | np.floating):
            continue
        if unique != 0 and unique != 1:
            continue
        rows = np.flatnonzero(codes == i)
        is_bool = np.fromiter(
            (isinstance(objects[r], bool | np.bool_) for r in rows), dtype=bool, count=len(rows)
        )
        if is_bool.all() or not is_bool.any():
            continue
        moved = rows[~is_bool] if isinstance(unique, bool | np.bool_) else rows[is_bool]
        codes[moved] = len(uniques)
        uniques.append(objects[moved[0]])
    return codes, uniques


def _settle_percent_styles(
    parsed: list[object], problems: list[object]
) -> tuple[list[object], list[object]]:
    pairs = [p for p in parsed if p is not None and p[0] != 0]  # 0 is 0 in every style
    fractions_only = bool(pairs) and all(not clear for _, clear in pairs)
    has_fraction = any(0 < number < 1 for number, _ in pairs)
    values: list[object] = []
    for item, problem in zip(parsed, problems, strict=True):
        if item is None:
            values.append(None)
            continue
        number, clear = item
        if fractions_only:
            values.append(round(number * 100, 9))
        elif clear or (number == 1 and not has_fraction):  # among whole percentages 1 is 1%
            values.append(number)
        else:
            values.append(None)
            shown, whole = show_value(number), show_value(round(number * 100, 9))
            problem = (
                f"expected a percentage: {shown} is ambiguous here ({shown}% or {whole}%?) "
                f"because other rows use whole percentages — write it as {whole} or {whole}% "
                f"if you meant {whole}%"
            )
        problems[len(values) - 1] = problem
    return values, problems
