"""The pre-send privacy audit: ``dspl-eval audit REPORT_DIR [--data DIR]``.

An independent second line behind the disclosure gate. It never imports the code that
builds reports (the gate, :mod:`dspl_eval.reporting`, :mod:`dspl_eval.outcomes`,
:mod:`dspl_eval.disclosure`): it reads the files as a recipient would and works out what
they give away. What it reads, under ``REPORT_DIR`` (every file, hidden ones included):

- HTML pages: every text node (by block: a paragraph, list item, cell, caption), every
  ``alt``/``title``/``aria-label``, every ``<table>`` (cells, ``data-dspl-counts``
  markup, ``data-suppressed``), the ``data-dspl-chart`` JSON on each ``<img>``, the
  ``<meta name="dspl-eval-...">`` tags and anything that would load from the network;
- workbooks: every cell of every sheet (numbers and text) and the workbook's other parts
  (sheet names, document properties, comments);
- executed notebooks: every output (HTML gets the page checks; Markdown, plain text and
  streams get the prose checks; images their chart metadata) and every cell's source;
- text files (``.log``, ``.txt``, ``.csv``, ``.md``, ``.json``): every line.

What it looks for (the ``kind`` of a :class:`Finding`):

Identities, in every edition
    ``upn`` (a letter, 11 digits, a digit or letter), ``pupil_id`` (an id from the term's
    processed data), ``name`` (a name from the term's raw returns, see *Names* below),
    ``raw_file_name`` (a return's file name, chosen by schools), ``file_hash`` (a
    64-hex-digit string in visible text), ``external`` (anything the page would fetch from
    the network: ``src``, ``srcset``, ``<link href>``, CSS ``url()``/``@import`` ...),
    ``identities_unchecked`` (no data was found for a term, so the above could not be
    checked: the audit then fails), ``fingerprint`` (the data found is not the data the
    pack was built from), ``unreadable``.

Small numbers, in the commissioner edition only (1 to ``threshold - 1``, default 1-4)
    ``small_count``: a count in a count table/column, in a chart's data, or in prose next
    to a people word ("3 children", "1 got worse", "29 rose, 3 fell", "n = 2",
    "22 of 37 returned"); numbers that are not counts of people are skipped (percentages,
    money, decimals, dates, years, ranges, scores and units such as "4 months", "6 items",
    "Year 6", "level 4", "fewer than 5", citations), and so is "family" in the sense of a
    family of tests ("several measures in one family: Holm's adjustment").
    ``complement``: "K of N" (or "of the N ..., K ...") whose N - K is small, or whose
    N - K - m is, for a count m said later in the sentence ("22 of 37 returned; 13 still
    attending") unless that clause puts the m outside the N ("14 of the 23 teachers who
    answered ...; 6 teachers in the returns do not have an answer").
    ``total_pins``: a table's total minus its visible parts pins a hidden cell (or the sum
    of the hidden cells only fits small values); read = kept + quarantined likewise.
    ``cross_page``: a cell shown as ``c`` in one place is printed as a number in another
    (same row and column labels, a trailing ``(n)`` aside), or in a sentence there. Every
    such comparison is within one initiative: a report page is about the initiative its
    ``dspl-eval-initiative`` names, a part of the index about the one the
    ``data-dspl-initiative`` attribute of its enclosing element names, a workbook sheet
    about the one its name starts with (``elsa data quality``); what names no initiative
    is compared with all of them. Rows for the rest of a breakdown ("Other groups
    (merged)", "Not answered") are compared only within the same breakdown (the first
    column's heading).
    ``cost_ratio``: a total cost and a "cost per <person> with <outcome>" imply a count of
    people that is small, or that pins a suppressed cell of that outcome.
    ``p_value``: an exact McNemar p printed with n (and the before/after counts or shares
    where shown) is only consistent with discordant counts of which one is small
    (inverted with the binomial distribution, as the published method does).
    ``interval`` / ``share``: a Wilson interval or a share printed with its n only fits a
    k with k or n - k small.
    ``per_person_chart``: chart metadata says ``per_person: true``; ``chart_unverified``:
    an image with no ``data-dspl-chart`` (it cannot be checked without reading pixels).
    ``extreme``: a maximum or minimum of person-level values ("at most 4.9 months",
    "longest", "max"); these describe one person. A number the report's fixed wording
    itself prints beside the word is a rule, not a person's value ("excluded for a set
    period (at most 45 school days a year)", "0.70 is the usual minimum"): the phrase from
    the number to the word, a word more each side, is then written out in one string of
    the fixed wording (see *Names*); a value formatted into a gap never is.

The pack itself
    ``metadata``: a page or workbook without its ``dspl-eval-*`` metadata, or with a
    threshold or term that disagrees with the rest of the folder; ``editions_mixed``: one
    folder holds both editions; ``not_for_sending``: a commissioner folder holds anything
    but pages, the workbook and PDFs (executed notebooks and logs live elsewhere).

The analyst edition (decided by each file's own edition metadata) is checked for
identities, loads and its own metadata only: small counts are allowed there.

Which data: the term(s), threshold and edition come from each file's own metadata
(``<meta name="dspl-eval-term">`` etc., the workbook's keywords, a notebook's
``metadata.dspl_eval``), never from folder names. The data root is ``data_root`` (the
CLI's ``--data``) or, by default, ``data`` and then ``data/demo`` (synthetic data, see
:func:`dspl_eval.paths.is_demo`): the first whose ``processed/<term>/validation.json``
has the fingerprint the pack states (sha256 of that file) is used.

Names. A child's name matches only as a whole word (or, for a full name, a phrase not
broken by punctuation) in visible text, alt text, titles, cells and notebook text; never in
URLs, images or base64. Two rules keep the report's own fixed wording from tripping it
(both are used):

1. *Citation shapes* are not names: ``<Name> et al.``, ``<Name> (1997)``,
   ``<Name>, 1997``, ``<Name> 1997`` and ``<Name> & <Other> (1991)``.
2. *Fixed wording*: a match whose surrounding three words (in any alignment) occur in the
   project's fixed wording is skipped. The fixed wording is every string constant of the
   ``dspl_eval`` package (f-string literal parts kept separately, so the gaps where values
   go never join), the Markdown and string constants of ``notebooks/*.ipynb`` and the
   templates, read as text (nothing is imported). ``synth.py`` (the demo's invented
   pupil names) and this module are left out, and a one-word string is never fixed
   wording (a cell holding just a surname is still caught).

Words that are names but also everyday English (``Summer``, ``Will``, ``Rose``, see
:data:`COMMON_WORDS`) are only matched as part of the child's full name.

Findings never repeat a leaked value in full: it is masked to its first two characters.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import math
import re
import threading
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from html.parser import HTMLParser
from pathlib import Path

from dspl_eval.errors import ConfigError, DsplEvalError
from dspl_eval.initiatives import INITIATIVES
from dspl_eval.initiatives.base import DROPPED_HEADERS, normalise_header
from dspl_eval.paths import DEFAULT_DATA, DEMO_DATA, NOTEBOOKS_DIR, PROJECT_ROOT, is_demo

HTML_SUFFIXES = (".html", ".htm")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
NOTEBOOK_SUFFIXES = (".ipynb",)
TEXT_SUFFIXES = (".log", ".txt", ".csv", ".md", ".json")
PDF_SUFFIXES = (".pdf",)
RAW_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt")
#: What a commissioner folder may hold (issue 10.4): pages, the workbook, PDFs.
SENDABLE_SUFFIXES = HTML_SUFFIXES + XLSX_SUFFIXES + PDF_SUFFIXES
ID_COLUMNS = ("pupil_id", "participant_id")
MIN_NAME_LENGTH = 3
DEFAULT_THRESHOLD = 5  # the DfE convention; the pages' own metadata overrides it
EDITIONS = ("commissioner", "analyst")
META_PREFIX = "dspl-eval-"
#: The disclosure module's markup convention (read here, not imported).
COUNTS_ATTRIBUTE = "data-dspl-counts"
SUPPRESSED = "c"
TOTAL_LABELS = frozenset({"total", "totals", "all", "overall", "grand total"})

#: Words that are names but also everyday English (or report vocabulary): matched only as
#: part of a full name from the same return row, never on their own.
COMMON_WORDS = frozenset(
    """
    all any april art august autumn average baker bell best bill black brown case change
    chance child children close cook day dawn did example eve faith field frank grace
    green grey gray hall hill hope ivy january joy july june king known lane law little
    long mark march may mean none not note notes other overall page parent power price
    pupil pupils read rich river rose school short sky spring stone strong sum summary
    summer sunny teacher teachers term total totals unknown ward west white will winter
    wood year young north south east english french music name names
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)

#: Titles dropped from the front of a name (``Miss Araminta Vexley`` → ``araminta vexley``).
TITLES = frozenset(
    {"mr", "mrs", "miss", "ms", "mx", "dr", "master", "sir", "dame", "lady", "lord", "prof", "rev"}
)

#: Modules whose strings are not report wording (the demo's invented pupil names).
NOT_FIXED_WORDING = frozenset({"synth.py", "audit.py"})

_UPN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][0-9]{11}[A-Za-z0-9](?![A-Za-z0-9])")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{20,}")
_SHA256 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”|/\\<>=+*#]")
_URLISH = re.compile(r"(?:\b(?:https?|ftp|file):[^\s\"'<>]*|\bwww\.[^\s\"'<>]+|data:[^\s\"'<>]+)")
_EXTERNAL = re.compile(r"^\s*(?:(?:https?|ftp|wss?):)?[/\\]{2}", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*['"]?\s*([^'")\s]+)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?\s*([^'")\s;]+)""", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})*(?:\.0+)?$|^\d+(?:\.0+)?$")
_CITATION_AFTER = re.compile(
    r"""^(?:\s+[A-Z]\.?)*(?:\s+et\s+al\b|\s*\(\s*(?:1[89]|20)\d\d|\s*,\s*(?:1[89]|20)\d\d\b
    |\s+(?:1[89]|20)\d\d\b|\s*(?:&|and)\s+[A-Z][\w'’\-]+(?:\s+et\s+al\.?)?\s*[(,]?\s*(?:1[89]|20)\d\d)""",
    re.VERBOSE,
)
#: POSIX home/work folders, Windows drive paths and UNC shares (a mapped drive resolves to one).
_SERVER_PATH = re.compile(
    r"(?<![\w.])(?:/(?:home|work|Users|tmp|mnt|srv|var)/|[A-Za-z]:\\|\\\\[\w.$-]+\\)\S+"
)

_URL_ATTRS = frozenset({"src", "srcset", "poster", "data", "background", "lowsrc", "dynsrc"})
_HREF_LOADS = frozenset({"link", "base", "image", "use", "feimage", "script"})
#: Attributes a reader sees as text (names are looked for in these and in text nodes).
_TEXT_ATTRS = frozenset({"alt", "title", "aria-label", "aria-description", "placeholder", "label"})
_VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905
)
_BLOCK_TAGS = frozenset(
    """
    p div li td th h1 h2 h3 h4 h5 h6 caption figcaption section article main header
    footer tr table thead tbody tfoot dt dd dl title summary details blockquote pre
    ul ol nav aside figure body html head br hr form label button option
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)
_COUNT_WORDS = frozenset(
    {"count", "children", "teachers", "young people", "pupils", "participants", "people"}
)
_N_HEADER = re.compile(r"^n(?:$|[\s_(=:\-])")

# ----------------------------------------------------------------------------- vocabulary

#: Nouns for people (a number before one of these is a count of people). Rows of a
#: return are children, so "rows kept" is a count of children too.
_PEOPLE = (
    r"(?:children|child|young\s+people|young\s+person|pupils?|students?|teachers?|people"
    r"|persons?|participants?|learners?|boys?|girls?|families|family|parents?|carers?"
    r"|nqts?|ects?|respondents?|rows?|records?|cases|pairs?|individuals?|trainees?|staff)"
)
#: Verbs that only make sense after a count of people ("29 rose", "1 got worse").
_PEOPLE_VERBS = (
    r"(?:(?:still|also|then|had|have|all|each|both|later|already|never)\s+)?"
    r"(?:rose|fell|improved|deteriorated|worsened|got\s+worse|got\s+better|did\s+not"
    r"|didn[’']t|stayed|remained|no\s+change|no\s+reliable|changed|returned|answered"
    r"|responded|attended|attending|left|moved|joined|completed|dropped|became|were|was"
    r"|had|have|has|scored|reached|met|achieved|received|gave|rated|said|reported|agreed"
    r"|disagreed|found|felt|took|started|finished|missed|gained|lost|went|with|without"
    r"|who|whose|suspended|excluded|reliably|showed|made|needed|came|are\s+still)\b"
)
#: Words after a number that make it a measure, not a count of people.
_UNITS = frozenset(
    """
    point points pts pp percent per months month weeks week days day terms term
    years year yrs hours hour minutes mins times sessions session items item topics
    topic scales scale tests test levels level factors factor strands strand
    clusters cluster schools school returns return files file sheets sheet questions
    question sd sds standard percentile percentiles out stars star decimal decimals
    digits digit am pm kg cm m km miles steps step options option categories
    category bands band groups group tables table pages page figures figure sections
    section initiatives initiative
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)
#: Words before a number that make it a label or a score ("Year 6", "level 4").
_LABEL_BEFORE = frozenset(
    """
    year years level levels stage ks return returns table figure fig page step
    section part question q item wave term week month day session version chapter
    appendix grade band score scores scored rating rated scale aged age ages p z t
    df chi no number option category group cluster strand factor topic test time
    times round phase cohort tier point points ehcp sen
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)
#: Words before a number that make it a bound, not a count ("fewer than 5").
_BOUND_BEFORE = re.compile(
    r"(?:fewer|less|more|greater|lower|higher|smaller|larger|other)\s+than\s*$|(?:at\s+least"
    r"|at\s+most|up\s+to|under|below|above|over|threshold(?:\s+of)?|minimum\s+of|maximum\s+of"
    r"|within|every|per|by|from|to|between|and|or)\s*$",
    re.IGNORECASE,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_FILLER_STOP = frozenset({"or", "and", "to", "than", "of", "in", "on", "at", "for", "per"})
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_WORD_NUMBERS |= {"seven": 7, "eight": 8, "nine": 9}

_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_NUM_TOKEN = re.compile(rf"(?<![\w.,£$€])({_INT})(?![\w]|\.\d|,\d)")
_PEOPLE_AFTER = re.compile(
    rf"^\s+(?:([a-z][a-z'’\-]*)\s+){{0,2}}?{_PEOPLE}\b|^\s+{_PEOPLE_VERBS}", re.IGNORECASE
)
_K_OF_N = re.compile(
    rf"(?<![\w.,£$€])({_INT}) (?:out )?of (?:the |these |those |all )?({_INT})(?![\w%]|\.\d|,\d)"
)
_OF_THE_N = re.compile(
    rf"\bof the ({_INT})\b(?![%.]\d?)([^.;]{{0,120}}?),\s*({_INT})"
    rf"(?=\s+(?:{_PEOPLE}\b|{_PEOPLE_VERBS}))",
    re.IGNORECASE,
)
_N_EQUALS = re.compile(rf"(?<![\w])[nN]\s*(?:=|:)\s*({_INT})(?![\w.]|,\d)")
_LABEL_PAREN = re.compile(
    rf"\b(?:improved|got\s+worse|got\s+better|deteriorated|worse|better|no\s+change"
    rf"|did\s+not\s+change|no\s+reliable\s+change|rose|fell|returned|stayed\s+the\s+same"
    rf"|same)\s*\(\s*({_INT})\s*\)",
    re.IGNORECASE,
)
_PCT_OF_N = re.compile(
    rf"(\d+(?:\.\d+)?)\s?%\s+of\s+(?:the\s+|these\s+|those\s+|all\s+)?({_INT})"
    rf"(?=\s+(?:([a-z][a-z'’\-]*)\s+){{0,2}}?(?:{_PEOPLE}\b|{_PEOPLE_VERBS}))",
    re.IGNORECASE,
)
_CI = re.compile(
    r"(?:95\s?%\s*(?:CI|confidence\s+interval)|\bCI\b|confidence\s+interval)[:\s,]*"
    r"(\d+(?:\.\d+)?)\s?%?\s*(?:to|–|—|-|,)\s*(\d+(?:\.\d+)?)\s?%",
    re.IGNORECASE,
)
_PCT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?%")
_P_VALUE = re.compile(r"(?<![\w-])p\s*(=|<|≤)\s*(0?\.\d+|1(?:\.0+)?|0)\b", re.IGNORECASE)
_MONEY = re.compile(r"£\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_COST_PER = re.compile(rf"cost\s+per\s+(?:{_PEOPLE})\b(.*)", re.IGNORECASE)
_EXTREMES = re.compile(
    r"\b(?:at\s+most|at\s+the\s+most|longest|shortest|maximum|minimum|max|min|highest"
    r"|lowest|largest|smallest|oldest|youngest)\b",
    re.IGNORECASE,
)
_EXTREME_HEADER = re.compile(
    r"^(?:max|min|maximum|minimum|longest|shortest|highest|lowest)\b", re.I
)
_ANY_NUMBER = re.compile(r"(?<![\w])\d+(?:[.,]\d+)*")


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One thing that could leak.

    Attributes
    ----------
    file : Path
        Relative to the audited folder (``.`` for the folder itself).
    location : str
        ``line 12`` (HTML), ``sheet 'Summary', cell B4`` (workbook), ``cell 3`` (notebook).
    kind : str
        See the module docstring.
    detail : str
        What was found, with any identifying value masked (``Ze…``).
    """

    file: Path
    location: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}, {self.location}: {self.detail}"


@dataclass
class AuditResult:
    """What the audit found.

    Attributes
    ----------
    findings : list of Finding
        Empty when the audit passed.
    files : list of Path
        Every file checked, relative to the audited folder.
    terms : tuple of str
        The terms named by the files' metadata (and the ``terms`` argument).
    notes : list of str
        What was looked at and where the data came from.
    checked : dict
        ``files``, ``pages``, ``workbooks``, ``notebooks``, ``charts``, ``tables``,
        ``numbers`` (numbers read and judged), ``commissioner``/``analyst`` (files of each
        edition) and ``data`` (the data root used per term).
    """

    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    terms: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    checked: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def lines(self) -> list[str]:
        """The findings as ``file, location: what`` lines."""
        return [str(f) for f in self.findings]

    def summary(self) -> str:
        """One line: what was looked at."""
        c = self.checked
        return (
            f"{c.get('files', 0)} files ({c.get('pages', 0)} pages, {c.get('workbooks', 0)} "
            f"workbooks, {c.get('notebooks', 0)} notebooks), {c.get('tables', 0)} tables, "
            f"{c.get('charts', 0)} charts, {c.get('numbers', 0)} numbers checked"
        )


def mask(value: str) -> str:
    """A leaked value shortened so the report of it does not leak it again: ``'Ze…'``."""
    return f"{value[:2]}…"


# ----------------------------------------------------------------------------- fixed wording


def _words_with_spans(text: str) -> list[list[tuple[str, int, int]]]:
    """Runs of words not broken by punctuation: [[(word, start, end), ...], ...]."""
    runs: list[list[tuple[str, int, int]]] = []
    start = 0
    for piece in [*_PHRASE_BREAK.finditer(text), None]:
        end = piece.start() if piece else len(text)
        run = [
            (_norm_word(m.group()), start + m.start(), start + m.end())
            for m in _WORD.finditer(text[start:end])
        ]
        if run:
            runs.append(run)
        start = piece.end() if piece else len(text)
    return runs


def _norm_word(word: str) -> str:
    return word.casefold().replace("’", "'")


@dataclass(frozen=True)
class FixedWording:
    """Word trigrams (and short runs) of the report's own fixed wording, and the wording
    itself (``text``: every fragment, normalised by :func:`_norm_phrase`, joined by NULs)
    for phrases that hold numbers ("at most 45 school days a year")."""

    trigrams: frozenset[tuple[str, ...]]
    short: frozenset[tuple[str, ...]]
    text: str = ""

    def holds(self, phrase: str) -> bool:
        """Whether ``phrase`` (numbers and all) is written out in one fragment of the
        fixed wording, so it is a constant of the report, not a figure from the data."""
        phrase = _norm_phrase(phrase)
        return bool(phrase) and phrase in self.text

    def covers(self, run: list[str], i: int, j: int) -> bool:
        """Whether words ``run[i:j]`` sit in a stretch of fixed wording."""
        if len(run) < 3:
            return len(run) == 2 and tuple(run) in self.short
        if j - i > 3:
            return all(tuple(run[k : k + 3]) in self.trigrams for k in range(i, j - 2))
        for k in range(max(0, j - 3), min(i, len(run) - 3) + 1):
            if tuple(run[k : k + 3]) in self.trigrams:
                return True
        return False


def fixed_wording(root: Path | None = None) -> FixedWording:
    """The fixed wording: string constants of ``dspl_eval`` and the notebooks, their
    Markdown and the templates (see the module docstring); read once per process."""
    with _READING:
        return _fixed_wording(Path(root or PROJECT_ROOT).resolve())


@cache
def _fixed_wording(root: Path) -> FixedWording:
    fragments: list[str] = []
    package = root / "dspl_eval"
    for path in sorted(package.rglob("*.py")):
        if path.name in NOT_FIXED_WORDING:
            continue
        fragments += _string_constants(path.read_text("utf-8", errors="replace"))
    for path in sorted(package.rglob("*.j2")):
        fragments += re.split(r"{[{%#].*?[}%#]}", path.read_text("utf-8", errors="replace"))
    own = root != PROJECT_ROOT.resolve()
    notebooks = root / "dspl_eval" / "notebooks" if own else NOTEBOOKS_DIR
    for path in sorted(notebooks.glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text("utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            source = _joined(cell.get("source", ""))
            if cell.get("cell_type") == "markdown":
                fragments.append(source)
            elif cell.get("cell_type") == "code":
                fragments += _string_constants(source)
    trigrams: set[tuple[str, ...]] = set()
    short: set[tuple[str, ...]] = set()
    for fragment in fragments:
        for run in _words_with_spans(fragment):
            words = [w for w, _, _ in run]
            if len(words) == 2:
                short.add(tuple(words))
            else:
                short |= {tuple(words[k : k + 2]) for k in range(len(words) - 1)}
            trigrams |= {tuple(words[k : k + 3]) for k in range(len(words) - 2)}
    text = "\0".join(_norm_phrase(f) for f in fragments)
    return FixedWording(frozenset(trigrams), frozenset(short), text)


def _norm_phrase(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def _string_constants(source: str) -> list[str]:
    """Every string constant of a Python source (f-string literal parts one by one)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a notebook cell with magics: quoted strings, roughly
        return [a or b for a, b in re.findall(r"\"([^\"\n]{8,})\"|'([^'\n]{8,})'", source)]
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


# ----------------------------------------------------------------------------- identities


@dataclass
class Identities:
    """What to look for: pupil ids, names and raw file names from a term's data."""

    ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # casefolded, spaces collapsed
    files: set[str] = field(default_factory=set)  # raw file names, casefolded
    notes: list[str] = field(default_factory=list)
    fixed: FixedWording | None = None

    @cached_property
    def longest(self) -> int:
        """Words in the longest name (computed once: fill ``names`` before scanning)."""
        return max((name.count(" ") + 1 for name in self.names), default=0)

    def scan(self, text: str, names: bool = True) -> list[tuple[str, str]]:
        """(kind, detail) for every UPN, known id, known name or raw file name in ``text``."""
        found = [("upn", f"UPN-shaped string {mask(m.group())}") for m in _UPN.finditer(text)]
        if self.ids:
            found += [
                ("pupil_id", f"pupil id from the processed data {mask(i)}")
                for i in self._ids_in(text)
            ]
        if names and self.names:
            found += [
                ("name", f"name from the raw returns {mask(n)}") for n in self._names_in(text)
            ]
        if names and self.files:
            lowered = text.casefold()
            found += [
                ("raw_file_name", f"file name of a raw return {mask(f)}")
                for f in sorted(self.files)
                if f in lowered
            ]
        return found

    def _ids_in(self, text: str) -> list[str]:
        hits = []
        for run in _HEX_RUN.findall(text):
            run = run.lower()
            hits += [run[k : k + 20] for k in range(len(run) - 19) if run[k : k + 20] in self.ids]
        return hits

    def _names_in(self, text: str) -> list[str]:
        """Known names in ``text`` as whole words (a full name as a phrase not broken by
        punctuation), longest first; citations and fixed wording are not names."""
        text = _URLISH.sub(" ", text)
        hits = []
        longest = self.longest
        for run in _words_with_spans(text):
            words = [w for w, _, _ in run]
            k = 0
            while k < len(words):
                for size in range(min(longest, len(words) - k), 0, -1):
                    phrase = " ".join(words[k : k + size])
                    if phrase in self.names:
                        if not self._excused(text, run, words, k, k + size):
                            hits.append(phrase)
                        k += size - 1
                        break
                k += 1
        return hits

    def _excused(self, text: str, run, words: list[str], i: int, j: int) -> bool:
        if _CITATION_AFTER.match(text[run[j - 1][2] :]):
            return True
        return self.fixed is not None and self.fixed.covers(words, i, j)


def load_identities(data_root: Path, terms: Iterable[str]) -> Identities:
    """Collect the pupil ids (processed data), names and file names (raw returns) of terms."""
    found = Identities()
    for term in terms:
        processed = Path(data_root) / "processed" / term
        raw = Path(data_root) / "raw" / term
        if not processed.is_dir() and not raw.is_dir():
            found.notes.append(
                f"no data for term {term} under {data_root}: ids and names "
                "of that term were not checked"
            )
            continue
        for path in sorted(processed.glob("*.parquet")):
            found.ids |= _read_ids(path, found.notes)
        raws = [raw]
        if re.fullmatch(r"\d{4}-\d{2}", term):  # a year pack: its terms' raw returns
            raws += [
                Path(data_root) / "raw" / f"{term}-{s}" for s in ("autumn", "spring", "summer")
            ]
        raw_files = [p for r in raws for p in sorted(r.rglob("*"))]
        for path in sorted(p for p in raw_files if p.suffix.lower() in RAW_SUFFIXES):
            if not _hidden(path):
                found.names |= _read_names(path, found.notes)
                if len(path.stem) >= MIN_NAME_LENGTH:
                    found.files.add(path.name.casefold())
    return found


#: identities already read in this process, by data root, term and the state of its files
_READ: dict[tuple, Identities] = {}
_READING = threading.Lock()


def _term_state(data_root: Path, term: str) -> tuple:
    """What :func:`load_identities` reads for ``term``, as (path, size, mtime) of each file
    below its processed and raw folders (and a year's terms' raw folders)."""
    root = Path(data_root).resolve()
    folders = [root / "processed" / term, root / "raw" / term]
    if re.fullmatch(r"\d{4}-\d{2}", term):
        folders += [root / "raw" / f"{term}-{s}" for s in ("autumn", "spring", "summer")]
    state = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                info = path.stat()
                state.append((str(path), info.st_size, info.st_mtime_ns))
    return (str(root), term, tuple(state))


def term_identities(data_root: Path, term: str) -> Identities:
    """:func:`load_identities` of one term, read once per process while its files are
    unchanged (the runner starts it while the notebooks run, so the audit does not wait
    for it). A copy: callers may add to it."""
    key = _term_state(data_root, term)
    with _READING:  # the audit waits for a read in progress rather than read again
        if key not in _READ:
            _READ.clear()  # one term at a time is what a batch needs
            _READ[key] = load_identities(data_root, [term])
        found = _READ[key]
    return Identities(set(found.ids), set(found.names), set(found.files), list(found.notes))


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _read_ids(path: Path, notes: list[str]) -> set[str]:
    import pyarrow.parquet as pq

    try:
        columns = [c for c in pq.read_schema(path).names if c in ID_COLUMNS]
        table = pq.read_table(path, columns=columns)
    except Exception as error:  # a corrupt file: say so, carry on
        notes.append(
            f"{path}: could not be read ({type(error).__name__}); its ids were not checked"
        )
        return set()
    ids = set()
    for column in table.column_names:
        ids |= {str(v).lower() for v in table.column(column).to_pylist() if v is not None}
    return {i for i in ids if re.fullmatch(r"[0-9a-f]{20}", i)}


def _read_names(path: Path, notes: list[str]) -> set[str]:
    from dspl_eval.ingest import read_sheets

    try:
        sheets = read_sheets(path)
    except DsplEvalError as error:
        notes.append(f"{path}: could not be read ({error}); names in it were not checked")
        return set()
    names: set[str] = set()
    for sheet in sheets:
        names |= _names_in_grid(sheet.cells.to_numpy(dtype=object).tolist())
    return names


def _names_in_grid(grid: list[list[object]]) -> set[str]:
    """Values below every name header of a sheet, and each row's names joined as a phrase."""
    names: set[str] = set()
    for r, row in enumerate(grid):
        columns = [c for c, v in enumerate(row) if _is_name_header(v)]
        if not columns:
            continue
        for below in grid[r + 1 :]:
            parts = [_clean_name(below[c]) for c in columns if c < len(below)]
            parts = [p for p in parts if p]
            for part in parts:
                names |= _name_variants(part)
            if len(parts) > 1:
                names.add(" ".join(parts))
                names.add(" ".join(reversed(parts)))
    return {n for n in names if len(n) >= MIN_NAME_LENGTH}


def _is_name_header(value: object) -> bool:
    return isinstance(value, str) and DROPPED_HEADERS.get(normalise_header(value)) == "name"


def _clean_name(value: object) -> str:
    """A name cell as casefolded words, without a leading title (``Miss``, ``Mrs``, ``Dr``)."""
    if not isinstance(value, str):
        return ""
    words = [_norm_word(w) for w in _WORD.findall(value)]
    while words and words[0] in TITLES:
        words = words[1:]
    return " ".join(words)


def _name_variants(name: str) -> set[str]:
    """A name as a whole and, for a full name of two or three words, each word of it.

    Single words that are everyday English (:data:`COMMON_WORDS`) or shorter than three
    characters are left out; they are still caught as part of the full name.
    """
    words = name.split()
    variants = {name} if len(words) > 1 or name not in COMMON_WORDS else set()
    if 2 <= len(words) <= 3:
        variants |= {w for w in words if len(w) >= MIN_NAME_LENGTH and w not in COMMON_WORDS}
    return variants


# ----------------------------------------------------------------------------- documents


@dataclass
class Block:
    """A piece of text a reader sees (``prose``: judged for numbers; else identities only)."""

    where: str
    text: str
    prose: bool = True
    names: bool = True
    scope: str = ""  # the initiative a section of the page is about (data-dspl-initiative)


@dataclass
class Cell:
    text: str
    where: str
    header: bool = False
    count: bool = False  # marked (or headed) as a count of people
    suppressed: bool = False


@dataclass
class Table:
    where: str
    caption: str = ""
    context: str = ""
    rows: list[list[Cell]] = field(default_factory=list)
    scope: str = ""  # the initiative it is about, where the page or sheet says so


@dataclass
class Chart:
    where: str
    alt: str
    meta: dict | None


@dataclass
class Doc:
    """One file as a recipient reads it."""

    path: Path  # relative
    kind: str  # html, xlsx, ipynb, text
    meta: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    found: list[tuple[str, str, str]] = field(default_factory=list)  # loads, unreadable
    edition: str | None = None
    threshold: int = DEFAULT_THRESHOLD
    full: bool = False  # all checks (commissioner), not identities only

    @property
    def initiative(self) -> str:
        return self.meta.get("initiative", "")

    @property
    def scope(self) -> str:
        """The initiative the whole file is about ("" for the index, the workbook and
        files without metadata; their sections and sheets carry their own)."""
        return self.initiative if self.kind == "html" and self.initiative != "index" else ""

    def scope_of(self, part: Table | Block) -> str:
        """The initiative a table or text block is about: its section's, else the file's."""
        return part.scope or self.scope


class _HtmlReader(HTMLParser):
    """One pass over a page: blocks of text, tables, charts, metadata and loads."""

    def __init__(self, doc: Doc, prefix: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.doc = doc
        self.prefix = prefix
        self._skip = 0  # inside <script>/<style>
        self._in_style = 0
        self._text: list[str] = []
        self._text_line = 1
        self._tables: list[dict] = []
        self._caption: list[str] | None = None
        self._recent: list[str] = []
        #: open elements carrying data-dspl-initiative: [tag, initiative, nested same tags]
        self._scopes: list[list] = []

    @property
    def _scope(self) -> str:
        return self._scopes[-1][1] if self._scopes else ""

    def _where(self, line: int | None = None) -> str:
        return f"{self.prefix}line {line or self.getpos()[0]}"

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        self._text = []
        if text:
            self.doc.blocks.append(Block(self._where(self._text_line), text, scope=self._scope))
            self._recent = [*self._recent[-2:], text]

    def _load(self, where: str, url: str) -> None:
        if _EXTERNAL.match(url):
            self.doc.found.append(
                (self._where(), "external", f"{where} loads an external resource {url[:60]}")
            )

    def _css(self, css: str, where: str) -> None:
        for pattern in (_CSS_URL, _CSS_IMPORT):
            for url in pattern.findall(css):
                self._load(where, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()
        scope = dict(attrs).get("data-dspl-initiative")
        if tag in _VOID_TAGS:
            pass
        elif scope is not None:
            self._scopes.append([tag, scope.strip().lower(), 0])
        elif self._scopes and self._scopes[-1][0] == tag:
            self._scopes[-1][2] += 1
        self._attributes(tag, attrs)
        if tag in ("script", "style"):
            self._skip += 1
            self._in_style += tag == "style"
        elif tag == "meta":
            values = dict(attrs)
            name = (values.get("name") or "").lower()
            if name.startswith(META_PREFIX):
                self.doc.meta.setdefault(name[len(META_PREFIX) :], (values.get("content") or ""))
        elif tag == "img":
            self._image(dict(attrs))
        elif tag == "table":
            self._flush()
            marked = any(name == COUNTS_ATTRIBUTE for name, _ in attrs)
            table = Table(self._where(), context=" ".join(self._recent), scope=self._scope)
            self._tables.append({"table": table, "counts": marked, "columns": {}, "col": 0})
        elif tag == "caption" and self._tables:
            self._caption = []
        elif tag == "tr" and self._tables:
            self._tables[-1]["table"].rows.append([])
            self._tables[-1]["col"] = 0
        elif tag in ("td", "th") and self._tables:
            self._start_cell(tag, dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)
        elif tag not in _VOID_TAGS:
            self._close_scope(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
            self._in_style = max(0, self._in_style - (tag == "style"))
            return
        if tag in ("td", "th"):
            self._end_cell()
        if tag == "caption" and self._tables and self._caption is not None:
            self._tables[-1]["table"].caption = " ".join("".join(self._caption).split())
            self._caption = None
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "table" and self._tables:
            self._end_cell()
            self.doc.tables.append(self._tables.pop()["table"])
        self._close_scope(tag)

    def _close_scope(self, tag: str) -> None:
        if self._scopes and self._scopes[-1][0] == tag:
            if self._scopes[-1][2]:
                self._scopes[-1][2] -= 1
            else:
                self._flush()
                self._scopes.pop()

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")
        if self._skip:
            if data.strip():
                self.doc.blocks.append(Block(self._where(), data, prose=False, names=False))
            return
        if not self._text:
            self._text_line = self.getpos()[0]
        self._text.append(data)
        if self._caption is not None:
            self._caption.append(data)
        if self._tables and self._tables[-1].get("cell") is not None:
            self._tables[-1]["cell"]["text"].append(data)

    def close(self) -> None:
        super().close()
        self._flush()
        while self._tables:
            self._end_cell()
            self.doc.tables.append(self._tables.pop()["table"])

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in _URL_ATTRS or (name in ("href", "xlink:href") and tag in _HREF_LOADS):
                urls = [u.split()[0] for u in value.split(",") if u.strip()]
                for url in urls if name == "srcset" else [value]:
                    self._load(f"<{tag} {name}>", url)
                if value.lstrip()[:5].lower() == "data:":
                    continue  # embedded image or font: nothing to read in base64
            if name == "style":
                self._css(value, f"<{tag} style>")
            if name == "data-dspl-chart" or (tag == "meta" and name == "content"):
                continue  # read as data below, and metadata
            if name in _TEXT_ATTRS:
                self.doc.blocks.append(
                    Block(self._where(), value, prose=name == "alt", scope=self._scope)
                )
            else:  # URLs and other attributes: UPNs and ids only, never names
                self.doc.blocks.append(Block(self._where(), value, prose=False, names=False))

    def _image(self, attrs: dict[str, str | None]) -> None:
        raw = attrs.get("data-dspl-chart")
        meta = None
        if raw:
            try:
                meta = json.loads(raw)
            except ValueError:
                meta = {"invalid": True}
        self.doc.charts.append(Chart(self._where(), attrs.get("alt") or "", meta))

    def _start_cell(self, tag: str, attrs: dict[str, str | None]) -> None:
        self._end_cell()
        state = self._tables[-1]
        if not state["table"].rows:
            state["table"].rows.append([])
        col = state["col"]
        try:
            span = max(1, int(attrs.get("colspan") or 1))
        except ValueError:
            span = 1
        state["col"] = col + span
        if tag == "th" and COUNTS_ATTRIBUTE in attrs:
            state["columns"][col] = True
        state["cell"] = {
            "text": [],
            "cell": Cell(
                "",
                self._where(),
                header=tag == "th",
                count=state["counts"] or col in state["columns"],
                suppressed="data-suppressed" in attrs,
            ),
            "span": span,
        }

    def _end_cell(self) -> None:
        if not self._tables:
            return
        state = self._tables[-1]
        current = state.pop("cell", None)
        if current is None:
            return
        cell = current["cell"]
        cell.text = " ".join("".join(current["text"]).split())
        row = state["table"].rows[-1]
        row += [cell] + [Cell("", cell.where, header=cell.header)] * (current["span"] - 1)


def read_html(path: Path, relative: Path, text: str | None = None) -> Doc:
    doc = Doc(relative, "html")
    reader = _HtmlReader(doc)
    reader.feed(text if text is not None else path.read_bytes().decode("utf-8", "replace"))
    reader.close()
    _mark_headed_counts(doc.tables)
    return doc


def _mark_headed_counts(tables: list[Table]) -> None:
    """Columns headed like a count (``n``, ``Improved (n)``, ``Children``) are counts too."""
    for table in tables:
        header = next((row for row in table.rows if row and all(c.header for c in row)), None)
        if header is None:
            continue
        counted = {k for k, c in enumerate(header) if is_count_header(c.text)}
        for row in table.rows:
            for k, cell in enumerate(row):
                if k in counted and not cell.header:
                    cell.count = True


def is_count_header(text: object) -> bool:
    """The disclosure module's header convention for count columns (restated here)."""
    if not isinstance(text, str):
        return False
    header = " ".join(text.strip().lower().split())
    return bool(_N_HEADER.match(header)) or header.endswith("(n)") or header in _COUNT_WORDS


def read_xlsx(path: Path, relative: Path) -> Doc:
    """Every cell of every sheet as tables and text blocks; other parts as text."""
    from python_calamine import CalamineWorkbook

    doc = Doc(relative, "xlsx")
    book = CalamineWorkbook.from_path(str(path))
    try:
        for number, name in enumerate(book.sheet_names):
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if number == 0:
                _sheet_meta(rows, doc.meta)
            _sheet_tables(name, rows, doc)
    finally:
        book.close()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            part = info.filename
            if not part.endswith(".xml") or part.startswith(("xl/worksheets/sheet", "xl/shared")):
                continue
            xml = archive.read(info).decode("utf-8", "replace")
            if part == "docProps/core.xml":
                keywords = re.search(r"<cp:keywords>(.*?)</cp:keywords>", xml, re.S)
                if keywords:
                    _keyword_meta(keywords.group(1), doc.meta)
            text = re.sub(r'[<>="/]', " ", xml)  # text and attribute values (sheet names)
            doc.blocks.append(Block(f"part {part}", text, prose=False))
    return doc


def _keyword_meta(text: str, meta: dict[str, str]) -> None:
    for item in re.split(r"[;\n]", text):
        key, _, value = item.strip().partition("=")
        if key.lower().startswith(META_PREFIX) and value:
            meta.setdefault(key.lower()[len(META_PREFIX) :], value.strip())


def _sheet_meta(rows: list[list[object]], meta: dict[str, str]) -> None:
    for row in rows[:40]:
        cells = [str(v).strip() for v in row if v not in (None, "")]
        for k, value in enumerate(cells):
            key = value.lower()
            if key.startswith(META_PREFIX):
                if "=" in key:
                    _keyword_meta(value, meta)
                elif k + 1 < len(cells):
                    meta.setdefault(key[len(META_PREFIX) :].rstrip(":"), cells[k + 1])


def _sheet_tables(sheet: str, rows: list[list[object]], doc: Doc) -> None:
    """A sheet as tables: a header row (count headers, no numbers) starts one, a blank row
    ends it. Every text cell is also a block of prose."""
    table: Table | None = None
    count_columns: set[int] = set()
    scope = sheet_scope(sheet)
    for r, row in enumerate(rows):
        blank = all(v in (None, "") for v in row)
        for c, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                where = f"sheet {sheet!r}, cell {_cell_name(r, c)}"
                doc.blocks.append(Block(where, value, scope=scope))
        if blank:
            table = None
            continue
        headers = {c for c, v in enumerate(row) if is_count_header(v)}
        numeric = any(_numeric(v) is not None for v in row)
        if headers and not numeric:
            count_columns = headers
            table = Table(f"sheet {sheet!r}, row {r + 1}", caption=sheet, scope=scope)
            doc.tables.append(table)
            table.rows.append(
                [
                    Cell(_text(v), f"sheet {sheet!r}, cell {_cell_name(r, c)}", header=True)
                    for c, v in enumerate(row)
                ]
            )
            continue
        if table is None:
            count_columns = set()
            table = Table(f"sheet {sheet!r}, row {r + 1}", caption=sheet, scope=scope)
            doc.tables.append(table)
        table.rows.append(
            [
                Cell(
                    _text(v),
                    f"sheet {sheet!r}, cell {_cell_name(r, c)}",
                    header=c == 0 and isinstance(v, str),
                    count=c in count_columns,
                    suppressed=_text(v) == SUPPRESSED,
                )
                for c, v in enumerate(row)
            ]
        )


def sheet_scope(sheet: str) -> str:
    """The initiative a workbook sheet is about: its name's first word when that is an
    initiative's key (``"<key> data quality"`` → ``"<key>"``), else ``""``."""
    first = sheet.strip().lower().split(" ", 1)
    return first[0] if len(first) == 2 and first[0] in INITIATIVES else ""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _numeric(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value.strip().replace(",", ""))
    return None


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def read_notebook(path: Path, relative: Path) -> Doc:
    """Every output (HTML as a page, the rest as text, images by their chart metadata) and
    every cell's source (identities only)."""
    doc = Doc(relative, "ipynb")
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for key, value in (notebook.get("metadata", {}).get("dspl_eval") or {}).items():
        doc.meta[str(key).replace("_", "-")] = str(value)
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        where = f"cell {number}"
        doc.blocks.append(Block(where, _joined(cell.get("source", "")), prose=False))
        for output in cell.get("outputs", []):
            if "text" in output:
                doc.blocks.append(Block(where, _joined(output["text"])))
            if "traceback" in output:
                doc.blocks.append(Block(where, _joined(output["traceback"]), prose=False))
            data = output.get("data", {})
            meta = output.get("metadata", {})
            images = [m for m in data if m.startswith("image/")]
            for mime in images:
                info = meta.get(mime, {}) if isinstance(meta.get(mime), dict) else {}
                doc.charts.append(Chart(where, str(info.get("alt", "")), info.get("dspl-chart")))
                doc.blocks.append(Block(where, str(info.get("alt", ""))))
            for mime, value in data.items():
                if mime == "text/html":
                    reader = _HtmlReader(doc, prefix=f"{where}, ")
                    reader.feed(_joined(value))
                    reader.close()
                elif mime in ("text/markdown", "text/latex") or (
                    mime == "text/plain" and not images and "text/html" not in data
                ):
                    doc.blocks.append(Block(where, _joined(value)))
                elif mime.startswith("text/") or mime.endswith("json"):
                    text = value if isinstance(value, str) else json.dumps(value)
                    doc.blocks.append(Block(where, _joined(text), prose=False))
    _mark_headed_counts(doc.tables)
    return doc


def read_text(path: Path, relative: Path) -> Doc:
    doc = Doc(relative, "text")
    text = path.read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            doc.blocks.append(Block(f"line {number}", line))
    return doc


def _joined(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


# ----------------------------------------------------------------------------- numbers


def _small(value: float | int | None, threshold: int) -> bool:
    return value is not None and 1 <= value < threshold


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@dataclass
class _Judge:
    """Collects number findings for one document and counts the numbers judged."""

    threshold: int
    found: list[tuple[str, str, str]] = field(default_factory=list)
    numbers: int = 0
    fixed: FixedWording | None = None  # the report's own wording (see FixedWording.holds)

    def add(self, where: str, kind: str, detail: str) -> None:
        item = (where, kind, detail)
        if item not in self.found:
            self.found.append(item)

    @property
    def limit(self) -> str:
        return f"1 to {self.threshold - 1} must not be shown or worked out"


def people_counts(text: str) -> list[tuple[int, str]]:
    """(value, why) for every number in ``text`` that is a count of people."""
    return [(value, why) for value, why, _ in people_counts_at(text)]


def people_counts_at(text: str) -> list[tuple[int, str, int]]:
    """(value, why, position) for every number in ``text`` that is a count of people."""
    out: list[tuple[int, str, int]] = []
    for match in _NUM_TOKEN.finditer(text):
        start, end = match.span(1)
        value = _int(match.group(1))
        if not _is_plain_number(text, start, end, value):
            continue
        before = text[max(0, start - 40) : start]
        after = text[end : end + 60]
        if re.search(r"(?<![\w])[nN]\s*(?:=|:)\s*$", before):
            out.append((value, "n =", start))
            continue
        if _BOUND_BEFORE.search(before) or re.match(r"^\s*(?:out\s+)?of\s+\d", after):
            continue
        last = re.findall(r"[A-Za-z]+", before[-20:])
        if last and last[-1].lower() in _LABEL_BEFORE and not before.rstrip().endswith(","):
            continue
        people = _PEOPLE_AFTER.match(after)
        if (
            people
            and not _units_between(after[: people.end()])
            and not _family_of_tests(text, end + people.end())
        ):
            out.append((value, "next to a people word", start))
    for match in _LABEL_PAREN.finditer(text):
        out.append((_int(match.group(1)), "in a label's brackets", match.start(1)))
    for match in re.finditer(r"\b(one|two|three|four|five|six|seven|eight|nine)\s+", text, re.I):
        noun = re.match(rf"^{_PEOPLE}\b", text[match.end() :], re.I)
        if (
            noun
            and not re.search(r"(?:than|least|most|every|per)\s*$", text[: match.start()], re.I)
            and not _family_of_tests(text, match.end() + noun.end())
        ):
            out.append((_WORD_NUMBERS[match.group(1).lower()], "in words", match.start(1)))
    return out


_TEST_FAMILY = re.compile(
    r"\bholm\b|\bholm-|bonferroni|hochberg|family[-\s]?wise|multiple\s+(?:comparisons|testing)"
    r"|false\s+discovery",
    re.IGNORECASE,
)


def _family_of_tests(text: str, end: int) -> bool:
    """Whether the people word ending at ``end`` is "family" in the statistical sense: a
    family of tests ("the five scales are one family of tests", "several measures in one
    family: Holm's adjustment"), not a child's family. It is when "family"/"families" is
    followed by "of tests" (measures, outcomes, scales, comparisons, hypotheses,
    p-values), or its sentence names a multiple-testing correction (Holm, Bonferroni,
    Hochberg, family-wise error, multiple comparisons, false discovery)."""
    if not re.search(r"famil(?:y|ies)$", text[:end], re.IGNORECASE):
        return False
    if re.match(
        r"^\s+of\s+(?:(?:the|these|\w+)\s+)?(?:tests?|measures?|outcomes?|scales?|comparisons?"
        r"|hypothes[ei]s|p-values?)\b",
        text[end:],
        re.IGNORECASE,
    ):
        return True
    start = max(text.rfind(". ", 0, end), text.rfind("; ", 0, end), -1) + 1
    stop = [i for i in (text.find(". ", end), text.find("; ", end)) if i >= 0]
    return bool(_TEST_FAMILY.search(text[start : min(stop) if stop else len(text)]))


def _units_between(span: str) -> bool:
    words = [w.lower() for w in re.findall(r"[A-Za-z'’\-]+", span)]
    return any(w in _UNITS or w in _FILLER_STOP for w in words[:-1])


def _is_plain_number(text: str, start: int, end: int, value: int) -> bool:
    """False for money, percentages, decimals, ranges, times, dates and years."""
    before = text[max(0, start - 12) : start]
    after = text[end : end + 16]
    if re.search(r"[£$€#]\s*$|\d\s?[–—\-/:.]\s*$|[–—\-−]$|\b(?:GBP|no|No)\.?\s*$", before):
        return False
    if re.match(r"^\s*(?:%|per\s*cent|percent|[–—\-/:]\s*\d|to\s+\d)", after):
        return False
    if re.match(rf"^\s+{_MONTHS}\b", after, re.I) or re.search(rf"\b{_MONTHS}\s*$", before, re.I):
        return False
    if 1800 <= value <= 2100 and end - start == 4:
        return False
    return not re.match(r"^(?:st|nd|rd|th)\b", after)


def judge_prose(text: str, where: str, judge: _Judge) -> None:
    """Small counts, complements and inverted shares/intervals/p-values in one text."""
    t = judge.threshold
    counts = people_counts(text)
    judge.numbers += len(_ANY_NUMBER.findall(text))
    for value, why in counts:
        if _small(value, t):
            judge.add(where, "small_count", f"a count of {value} ({why}) is shown; {judge.limit}")
    for match in _K_OF_N.finditer(text):
        k, n = _int(match.group(1)), _int(match.group(2))
        after = text[match.end() : match.end() + 60]
        people = _PEOPLE_AFTER.match(after)
        if not people or _units_between(after[: people.end()]) or k > n:
            continue
        for value, what in ((k, "K"), (n, "N")):
            if _small(value, t):
                judge.add(where, "small_count", f"{what} in 'K of N' is {value}; {judge.limit}")
        if _small(n - k, t):
            judge.add(
                where,
                "complement",
                f"'{k} of {n}' leaves {n - k} (N - K); {judge.limit}",
            )
    for sentence in re.split(r"(?<=[.])\s+", text):
        for match in _K_OF_N.finditer(sentence):
            k, n = _int(match.group(1)), _int(match.group(2))
            rest = sentence[match.end() :]
            later = [v for v, _, at in people_counts_at(rest) if not _outside_n(rest, at)]
            for m in later:
                if k + m <= n and _small(n - k - m, t):
                    judge.add(
                        where,
                        "complement",
                        f"'{k} of {n}' and a further {m} leave {n - k - m}; {judge.limit}",
                    )
    for match in _OF_THE_N.finditer(text):
        n, k = _int(match.group(1)), _int(match.group(3))
        if k <= n and _small(n - k, t):
            judge.add(where, "complement", f"'of the {n} ..., {k}' leaves {n - k}; {judge.limit}")
    for match in _PCT_OF_N.finditer(text):
        p, n = float(match.group(1)), _int(match.group(2))
        _judge_share(p, _decimals(match.group(1)), n, where, judge, "share")
    for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z(])", text):
        _judge_sentence_stats(sentence, where, judge)
    if _EXTREMES.search(text) and _near_number(text, judge.fixed):
        judge.add(
            where,
            "extreme",
            "a maximum or minimum of person-level values is shown (it describes one person)",
        )


_K_VERB = (
    r"\w+ed|found|rose|fell|were|was|are|is|have|has|had|did|got|made|went|said|felt|gave"
    r"|took|showed|became|stayed|left|met|came|saw|chose"
)
_NEGATION = re.compile(r"\b(?:not|no|none|never|without|yet\s+to)\b|n[’']t\b", re.IGNORECASE)
_NOT_DESCRIPTIVE = frozenset(
    {"who", "with", "that", "have", "has", "had", "were", "was", "the", "their", "them"}
)


def _outside_n(rest: str, at: int) -> bool:
    """Whether a count ``m`` at ``rest[at:]``, said after "K of N ...", is said to be
    outside the N, so that N - K - m means nothing: its clause denies what describes the
    N. "14 of the 23 teachers who answered found it just right; 6 teachers in the returns
    do not have an answer": the 6 are not among the 23 (23 answered, 6 did not; 29 in
    all). The N's description is a clause on the N's people word ("teachers who
    answered", "children with a follow-up") up to the first punctuation; the m's clause
    runs to the next ``;``/``.``; a negation in it must deny, within the next four words,
    a word of the N's description (the same 5-letter stem: "do not have an *answer*",
    "*no follow*-up", "*without* a *follow*-up"). What the K did is not the N's
    description: in "22 of 37 children returned; 2 did not return" (or "...; 13 still
    attending") the 2 and the 13 are among the 37."""
    head = re.split(r"[(;,.:]", rest[:at], maxsplit=1)[0]
    described = re.match(
        rf"^\s+(?:[a-z'’\-]+\s+){{0,2}}?{_PEOPLE}\s+(who|whose|that|with|having)\b(.*)$",
        head,
        re.IGNORECASE,
    )
    clause = re.split(r"[;.]", rest[at:], maxsplit=1)[0]
    if described is None:
        return False
    # the description ends where the K's verb starts ("who answered | found ...",
    # "with a follow-up | improved"): the relative clause keeps its own first verb
    words = re.findall(r"[\w'’\-]+", described.group(2))
    skip = 1 if described.group(1).lower() in ("who", "that") else 0
    kept = words[:skip]
    for word in words[skip:]:
        if re.fullmatch(_K_VERB, word, re.IGNORECASE):
            break
        kept.append(word)

    def stems(text: str) -> set[str]:
        words = re.findall(r"[a-z]{4,}", text.lower())
        return {
            w[:5]
            for w in words
            if w not in _NOT_DESCRIPTIVE and not re.fullmatch(_PEOPLE, w, re.IGNORECASE)
        }

    wanted = stems(" ".join(kept))
    for negation in _NEGATION.finditer(clause):
        denied = " ".join(re.findall(r"[\w'’\-]+", clause[negation.end() :])[:4])
        if wanted & stems(denied):
            return True
    return False


def _near_number(text: str, fixed: FixedWording | None = None) -> bool:
    """An extreme word with a number within a few words of it (not a bound like
    'at least', not a threshold).

    A number the report's fixed wording prints beside the extreme word is not a figure
    from the data ("excluded for a set period (at most 45 school days a year)", "0.70 is
    the usual minimum, 0.80 good"): the phrase from the number to the extreme word, with
    a whole word more on each side where the text has one, is then written out in one
    fragment of the fixed wording (:meth:`FixedWording.holds`)."""
    for match in _EXTREMES.finditer(text):
        low, high = max(0, match.start() - 30), match.end() + 30
        for number in re.finditer(r"\d+(?:[.,]\d+)*", text[low:high]):
            start, end = low + number.start(), low + number.end()
            if fixed is None or not fixed.holds(
                _widened(text, min(start, match.start()), max(end, match.end()))
            ):
                return True
    return False


def _widened(text: str, start: int, end: int) -> str:
    """``text[start:end]`` taken out to whole words, and one whole word further each way
    (as far as the text goes)."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    before = re.search(r"\S+\s+$", text[:start])
    after = re.match(r"^\s+\S+", text[end:])
    start = before.start() if before else start
    end = end + after.end() if after else end
    return text[start:end]


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _candidates(p: float, decimals: int, n: int) -> list[int]:
    """Every k in 0..n with 100 k / n printing as ``p`` at ``decimals`` places."""
    half = 0.5 * 10**-decimals + 1e-9
    return [k for k in range(n + 1) if abs(100 * k / n - p) <= half] if n > 0 else []


def _judge_share(
    p: float, decimals: int, n: int, where: str, judge: _Judge, kind: str, ks=None
) -> None:
    t = judge.threshold
    found = _candidates(p, decimals, n) if ks is None else ks
    if found and all(_small(k, t) or _small(n - k, t) for k in found):
        judge.add(
            where,
            kind,
            f"{p:g}% of {n} can only be a count with k or n - k from 1 to {t - 1} "
            "(a share needs both to be 0 or at least the threshold)",
        )


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval (Wilson 1927), in percent."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return 100 * low, 100 * high


def interval_candidates(low: str, high: str, n: int, share: str | None = None) -> list[int]:
    """Every k in 0..n whose Wilson interval (and share, if given) prints as shown.

    :func:`wilson` for every k at once, in the same order of the same IEEE operations
    (so the same floats) as one call per k."""
    import numpy as np

    dl, dh = 0.5 * 10 ** -_decimals(low) + 1e-9, 0.5 * 10 ** -_decimals(high) + 1e-9
    if n <= 0:
        return []
    k = np.arange(n + 1)
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    a = 100 * np.where(k == 0, 0.0, np.maximum(0.0, centre - half))
    b = 100 * np.where(k == n, 1.0, np.minimum(1.0, centre + half))
    keep = (np.abs(a - float(low)) <= dl) & (np.abs(b - float(high)) <= dh)
    if share is not None:
        keep &= np.abs(100 * k / n - float(share)) <= 0.5 * 10 ** -_decimals(share) + 1e-9
    return [int(x) for x in k[keep]]


def _sentence_n(sentence: str, before: int) -> int | None:
    """The n a statistic refers to: the last 'n = N', 'of the N', 'K of N' or 'N people'
    before position ``before`` (else after it)."""
    spots: list[tuple[int, int]] = []
    for m in _N_EQUALS.finditer(sentence):
        spots.append((m.start(), _int(m.group(1))))
    for m in re.finditer(rf"\b(?:of\s+(?:the\s+)?)({_INT})\b(?![%.]\d?)", sentence):
        spots.append((m.start(), _int(m.group(1))))
    for m in re.finditer(rf"(?<![\w.])({_INT})\s+(?:[a-z]+\s+)?{_PEOPLE}\b", sentence, re.I):
        spots.append((m.start(), _int(m.group(1))))
    earlier = [s for s in spots if s[0] < before]
    if earlier:
        return max(earlier)[1]
    return min(spots)[1] if spots else None


def _judge_sentence_stats(sentence: str, where: str, judge: _Judge) -> None:
    t = judge.threshold
    for match in _CI.finditer(sentence):
        n = _sentence_n(sentence, match.start())
        if not n:
            continue
        share = None
        pct = [m for m in _PCT.finditer(sentence[: match.start()])]
        if pct:
            share = pct[-1].group(1)
        ks = interval_candidates(match.group(1), match.group(2), n, share)
        if not ks and share is not None:
            ks = interval_candidates(match.group(1), match.group(2), n)
        if ks and all(_small(k, t) or _small(n - k, t) for k in ks):
            judge.add(
                where,
                "interval",
                f"a 95% interval {match.group(1)}% to {match.group(2)}% of {n} only fits "
                f"k or n - k from 1 to {t - 1}",
            )
    if re.search(r"mcnemar", sentence, re.I) and not re.search(r"holm|adjusted", sentence, re.I):
        for match in _P_VALUE.finditer(sentence):
            n = _sentence_n(sentence, match.start())
            if not n:
                continue
            before = after = None
            m = re.search(
                rf"({_INT})\s+of\s+(?:the\s+)?{n}\b[^.;]*?\bbefore\b[^.;]*?\band\s+({_INT})\s+after",
                sentence,
            )
            if m:
                before, after = _int(m.group(1)), _int(m.group(2))
            else:
                m = re.search(r"from\s+(\d+(?:\.\d+)?)%\s+to\s+(\d+(?:\.\d+)?)%", sentence)
                if m:
                    before = _candidates(float(m.group(1)), _decimals(m.group(1)), n)
                    after = _candidates(float(m.group(2)), _decimals(m.group(2)), n)
            _judge_mcnemar(match.group(1), match.group(2), n, before, after, where, judge)


def mcnemar_solutions(
    op: str, p_text: str, n: int, before=None, after=None
) -> list[tuple[int, int]]:
    """Discordant counts (b, c) of a 2x2 before/after table of ``n`` consistent with an
    exact McNemar p printed as ``p {op} {p_text}`` and the margins (counts, or lists of
    candidate counts) where known. The exact McNemar p is the two-sided binomial test of
    b successes in b + c trials at 1/2 (as :func:`scipy.stats.binomtest` computes it)."""
    return sorted(
        (int(b), int(c))
        for bs, cs in _mcnemar_pairs(op, p_text, n, before, after)
        for b, c in zip(bs, cs, strict=True)
    )


def _mcnemar_pairs(op: str, p_text: str, n: int, before=None, after=None):
    """:func:`mcnemar_solutions` as arrays ``(b, c)``, one pair per number of discordant
    pairs ``m`` (0 to n), in order. The binomial CDFs come from one ``binom.cdf`` call per
    block of ``m`` (the same values as one call per ``m``), so a table of thousands costs
    seconds, not minutes."""
    import numpy as np
    from scipy.stats import binom

    p_text = p_text if not p_text.startswith(".") else "0" + p_text
    value, half = float(p_text), 0.5 * 10 ** -_decimals(p_text) + 1e-12
    befores = before if isinstance(before, list) else ([before] if before is not None else None)
    afters = after if isinstance(after, list) else ([after] if after is not None else None)
    margins = befores is not None and afters is not None
    if margins:
        xs = np.asarray(befores, dtype=np.int64)
        ys = np.asarray(afters, dtype=np.int64)
    start, block = 0, 16  # blocks grow to 256: the first solution with no small count
    if margins and len(xs) and len(ys):  # usually comes early, and the caller stops there
        # before − b = after − c, so b − c = before − after: m = b + c ≥ |before − after|
        start = int(np.abs(xs[:, None] - ys[None, :]).min())
    while start <= n:
        ms = np.arange(start, min(n, start + block - 1) + 1)
        start, block = start + block, min(256, 2 * block)
        ks = np.arange(ms[-1] // 2 + 1)
        cdfs = binom.cdf(ks[None, :], ms[:, None], 0.5)
        for row, m in zip(cdfs, ms, strict=True):
            b = np.arange(m + 1)
            c = m - b
            p = np.minimum(1.0, 2 * row[np.minimum(b, c)]) if m else np.ones(1)
            keep = np.abs(p - value) <= half if op == "=" else p < value + 1e-12
            b, c = b[keep], c[keep]
            if margins and len(b):
                a = xs[None, :] - b[:, None]  # a = before - b = after - c
                ok = (a >= 0) & (a <= n - m) & np.isin(a + c[:, None], ys)
                keep = ok.any(axis=1)
                b, c = b[keep], c[keep]
            if len(b):
                yield b, c


def _judge_mcnemar(op, p_text, n, before, after, where, judge: _Judge) -> None:
    t = judge.threshold
    found = 0
    for bs, cs in _mcnemar_pairs(op, p_text, n, before, after):
        small = ((bs >= 1) & (bs < t)) | ((cs >= 1) & (cs < t))
        if not small.all():
            return  # a solution with neither discordant count small: nothing to tell
        found += len(bs)
    if found:
        detail = (
            f"the exact McNemar p {op} {p_text} with n = {n} only fits discordant counts "
            f"with one from 1 to {t - 1}"
        )
        if found == 1:
            detail += " (a single solution)"
        judge.add(where, "p_value", detail)


# ----------------------------------------------------------------------------- tables


def _cell_value(cell: Cell) -> int | None:
    text = cell.text.replace(",", "").strip()
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(float(text))
    return None


def _is_total(text: str) -> bool:
    return " ".join(text.lower().split()) in TOTAL_LABELS


def judge_table(table: Table, judge: _Judge) -> None:
    """Small counts, totals minus parts, shares, intervals and McNemar p in one table."""
    t = judge.threshold
    rows = [row for row in table.rows if row]
    header = next((row for row in rows if all(c.header or not c.text for c in row)), None)
    labels = [c.text for c in header] if header else []
    for row in rows:
        for k, cell in enumerate(row):
            judge.numbers += bool(re.search(r"\d", cell.text))
            if cell.count and not cell.header and _small(_cell_value(cell), t):
                judge.add(
                    cell.where,
                    "small_count",
                    f"count of {_cell_value(cell)} in a table of counts is not suppressed "
                    f"(1 to {t - 1} must show as c)",
                )
            extreme = header and k < len(labels) and _EXTREME_HEADER.match(labels[k])
            if extreme and re.search(r"\d", cell.text) and not cell.header:
                judge.add(cell.where, "extreme", f"a '{labels[k]}' of person-level values")
        if (
            row
            and _EXTREME_HEADER.match(row[0].text)
            and any(re.search(r"\d", c.text) for c in row[1:])
        ):
            judge.add(row[0].where, "extreme", f"a '{row[0].text}' row of person-level values")
    _judge_totals(table, rows, header, judge)
    if header:
        _judge_table_stats(table, rows, header, judge)


def _count_like(cell: Cell) -> bool:
    return cell.suppressed or cell.text == SUPPRESSED or _cell_value(cell) is not None


def _judge_totals(table: Table, rows: list[list[Cell]], header, judge: _Judge) -> None:
    body = [r for r in rows if r is not header and not all(c.header for c in r)]
    if not body:
        return
    width = max(len(r) for r in body)
    grid = [r + [Cell("", r[-1].where)] * (width - len(r)) for r in body]
    total_rows = [i for i, r in enumerate(grid) if _is_total(r[0].text)]
    cols = [k for k in range(1, width) if all(_count_like(r[k]) or not r[k].text for r in grid)]
    cols = [k for k in cols if any(r[k].count for r in grid) or _all_ints(grid, k)]
    lines = []
    for i in total_rows:  # a Total row: each column sums to it
        parts = [j for j in range(len(grid)) if j not in total_rows]
        lines += [([grid[j][k] for j in parts], grid[i][k]) for k in cols]
    labels = [c.text for c in header] if header else []
    total_cols = [k for k, lab in enumerate(labels) if _is_total(lab) or lab.lower() == "rows read"]
    for k in total_cols:
        parts = [j for j in cols if j != k and j not in total_cols]
        if labels[k].lower() == "rows read":
            parts = [
                j
                for j, lab in enumerate(labels)
                if lab.lower() in ("rows kept", "rows quarantined")
            ]
        lines += [([row[j] for j in parts], row[k]) for row in grid if len(row) > k]
    for parts, total in lines:
        _judge_line(parts, total, judge, table)


def _all_ints(grid: list[list[Cell]], k: int) -> bool:
    return all(_count_like(r[k]) for r in grid if r[k].text)


def _judge_line(parts: list[Cell], total: Cell, judge: _Judge, table: Table) -> None:
    hidden = [c for c in parts if c.suppressed or c.text == SUPPRESSED]
    shown = [_cell_value(c) for c in parts if c not in hidden]
    if any(v is None for v in shown if v is not None) or not parts:
        return
    shown_sum = sum(v for v in shown if v is not None)
    total_value = _cell_value(total)
    total_hidden = total.suppressed or total.text == SUPPRESSED
    if total_hidden and not hidden and all(c.text for c in parts):
        judge.add(
            total.where,
            "total_pins",
            f"the hidden total is the sum of its visible parts ({table.caption or 'table'})",
        )
        return
    if total_value is None or not hidden:
        return
    rest = total_value - shown_sum
    if len(hidden) == 1:
        judge.add(
            hidden[0].where,
            "total_pins",
            f"the total minus the visible parts pins a hidden cell ({table.caption or 'table'})",
        )
    elif rest <= len(hidden):
        judge.add(
            hidden[0].where,
            "total_pins",
            f"the total minus the visible parts leaves {rest} for {len(hidden)} hidden cells, "
            "which pins them",
        )


_SHARE_HEADER = re.compile(r"%|share|percent|proportion", re.I)
_NOT_SHARE = re.compile(
    r"attendance|mean|median|average|rate|score|change|ci\b|interval|sd\b|percentile", re.I
)


def _judge_table_stats(table: Table, rows, header, judge: _Judge) -> None:
    labels = [" ".join(c.text.split()) for c in header]
    low = [lab.lower() for lab in labels]
    n_col = next(
        (k for k, lab in enumerate(low) if _N_HEADER.match(lab) or lab in ("n", "pairs")), None
    )
    if n_col is None:
        return
    share_cols = [
        k
        for k, lab in enumerate(labels)
        if _SHARE_HEADER.search(lab) and not _NOT_SHARE.search(lab)
    ]
    ci_cols = [k for k, lab in enumerate(labels) if re.search(r"\bci\b|interval", lab, re.I)]
    p_col = next(
        (k for k, lab in enumerate(low) if re.fullmatch(r"p|p[- ]value|exact p|mcnemar p", lab)),
        None,
    )
    before = next((k for k, lab in enumerate(low) if lab.startswith("before")), None)
    after = next((k for k, lab in enumerate(low) if lab.startswith("after")), None)
    mcnemar = bool(
        re.search(r"mcnemar", f"{table.caption} {table.context} {' '.join(labels)}", re.I)
    )
    for row in rows:
        if row is header or len(row) <= n_col:
            continue
        n = _cell_value(row[n_col])
        if not n:
            continue
        for k in share_cols:
            if k < len(row):
                m = _PCT.search(row[k].text) or re.fullmatch(r"(\d+(?:\.\d+)?)", row[k].text)
                if m and not _CI.search(row[k].text):
                    _judge_share(
                        float(m.group(1)), _decimals(m.group(1)), n, row[k].where, judge, "share"
                    )
        for k in ci_cols:
            if k < len(row):
                m = re.search(
                    r"(?:(\d+(?:\.\d+)?)\s?%?\s*\(\s*)?(\d+(?:\.\d+)?)\s?%?\s*(?:to|–|—|-|,)\s*(\d+(?:\.\d+)?)\s?%?",
                    row[k].text,
                )
                if m:
                    ks = interval_candidates(m.group(2), m.group(3), n, m.group(1))
                    if ks and all(
                        _small(x, judge.threshold) or _small(n - x, judge.threshold) for x in ks
                    ):
                        judge.add(
                            row[k].where,
                            "interval",
                            f"a 95% interval of {n} only fits k or n - k from 1 to "
                            f"{judge.threshold - 1}",
                        )
        if mcnemar and p_col is not None and p_col < len(row):
            m = re.search(r"(=|<|≤)?\s*(0?\.\d+|1(?:\.0+)?)", row[p_col].text)
            if not m:
                continue
            b = _margin(row, before, n)
            a = _margin(row, after, n)
            _judge_mcnemar(m.group(1) or "=", m.group(2), n, b, a, row[p_col].where, judge)


def _margin(row: list[Cell], k: int | None, n: int):
    if k is None or k >= len(row):
        return None
    value = _cell_value(row[k])
    if value is not None:
        return value
    m = _PCT.search(row[k].text)
    return _candidates(float(m.group(1)), _decimals(m.group(1)), n) if m else None


# ----------------------------------------------------------------------------- charts


def judge_chart(chart: Chart, judge: _Judge) -> None:
    t = judge.threshold
    meta = chart.meta
    if not isinstance(meta, dict) or meta.get("invalid"):
        judge.add(
            chart.where,
            "chart_unverified",
            "an image without readable chart metadata (data-dspl-chart) cannot be checked "
            "and may show individual people",
        )
        return
    if meta.get("per_person"):
        judge.add(
            chart.where,
            "per_person_chart",
            f"a per-person chart ({meta.get('kind', 'chart')}) in a commissioner page",
        )
    columns = [str(c) for c in meta.get("columns") or []]
    counts = {str(c) for c in meta.get("counts") or []}
    rows = meta.get("rows") or []
    table = Table(chart.where, caption=f"chart data ({meta.get('kind', '')})")
    table.rows.append([Cell(c, chart.where, header=True) for c in columns])
    for row in rows:
        cells = []
        for k, value in enumerate(row):
            count = k < len(columns) and columns[k] in counts
            judge.numbers += isinstance(value, int | float)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if count and number and (_small(value, t) or 0 < value < 1):
                judge.add(
                    chart.where,
                    "chart_count",
                    f"the chart draws a count of {value:g} (column {columns[k]!r}); {judge.limit}",
                )
            text = _text(value)
            cells.append(
                Cell(text, chart.where, header=k == 0, count=count, suppressed=text == SUPPRESSED)
            )
        table.rows.append(cells)
    _judge_totals(table, table.rows, table.rows[0], _Judge(t, judge.found))


# ----------------------------------------------------------------------------- cross-page


def _norm_label(text: str) -> str:
    """A row or column label for matching across files: lower case, punctuation dropped,
    and a trailing count marker ``(n)`` dropped (the workbook heads ``Rows read (n)`` the
    column a page heads ``Rows read``)."""
    text = re.sub(r"\(\s*n\s*\)\s*$", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(re.sub(r"[^\w%]+", " ", text.lower()).split())


#: Row labels for the rest of a breakdown: who they are depends on the table.
_RESIDUAL_ROW = re.compile(
    r"^(?:other|others|not answered|no answer|unanswered|unknown|missing|not known"
    r"|not recorded|not stated|prefer not to say|rest)\b|\bmerged\b"
)


def judge_pack(docs: list[Doc], judge_for) -> None:
    """Across the commissioner files of one folder: a cell hidden in one place and shown in
    another (or in a sentence), and cost ratios.

    Every comparison is scoped by initiative: a report page is about the initiative its
    ``dspl-eval-initiative`` metadata names, a section of the index about the one its
    ``data-dspl-initiative`` attribute names, a workbook sheet about the one its name
    starts with. Cells of different initiatives are never compared (every initiative has
    its own "Return 1 / Rows kept"); a cell whose initiative is unknown is compared with
    every initiative's. A row for the rest of a breakdown ("Other groups (merged)", "Not
    answered", "Unknown") is a different group in every table, so it is compared only
    with rows of tables broken down by the same thing (the first column's heading:
    "School", "Year group", "Amount of content")."""
    cells: dict[tuple[str, str, str, str], list[tuple[Doc, Cell]]] = defaultdict(list)
    for doc in docs:
        for table in doc.tables:
            scope = doc.scope_of(table)
            rows = [r for r in table.rows if r]
            header = next((r for r in rows if all(c.header or not c.text for c in r)), None)
            if header is None:
                continue
            for row in rows:
                if row is header or not row[0].text:
                    continue
                row_label = _norm_label(row[0].text)
                by = _norm_label(header[0].text) if _RESIDUAL_ROW.search(row_label) else ""
                for k, cell in enumerate(row[1:], start=1):
                    if k < len(header) and header[k].text and _count_like(cell):
                        key = (scope, by, row_label, _norm_label(header[k].text))
                        cells[key].append((doc, cell))
    for (scope, by, row_label, col_label), items in cells.items():
        alike = list(items)
        if scope == "":
            continue
        alike += cells.get(("", by, row_label, col_label), [])
        hidden = [(d, c) for d, c in alike if c.suppressed or c.text == SUPPRESSED]
        shown = [(d, c) for d, c in alike if _cell_value(c) is not None]
        for doc, cell in hidden:
            for other, shown_cell in shown:
                judge_for(doc).add(
                    cell.where,
                    "cross_page",
                    f"'{row_label}' / '{col_label}' is hidden here but shown as a number in "
                    f"{other.path}, {shown_cell.where}",
                )
                break
    _judge_hidden_in_prose(cells, docs, judge_for)
    _judge_costs(docs, judge_for)


def _judge_hidden_in_prose(cells, docs: list[Doc], judge_for) -> None:
    """A hidden cell whose column label (e.g. 'rows kept') is printed with a number in a
    sentence of the same initiative (or, for the index and workbook, a sentence naming
    the row)."""
    prose = [(doc, block) for doc in docs for block in doc.blocks if block.prose]
    printed: dict[tuple[str, ...], list] = {}  # the sentences printing a label with a number
    for (scope, _by, row_label, col_label), items in cells.items():
        if not any(c.count and (c.suppressed or c.text == SUPPRESSED) for _, c in items):
            continue
        words = tuple(w for w in col_label.split() if w not in ("n", "of", "the", "number"))
        if len(words) < 2:
            continue
        if words not in printed:
            joined = r"\s+(?:were\s+|was\s+)?".join(map(re.escape, words))
            pattern = re.compile(
                rf"(?<![\w.,£])(?:{_INT})\s+{joined}\b|\b{joined}\s*(?::|=|was|were)?\s*{_INT}\b(?![.,]\d)",
                re.IGNORECASE,
            )
            printed[words] = [(d, b) for d, b in prose if pattern.search(b.text)]
        for doc, block in printed[words]:
            where = doc.scope_of(block)
            if scope and where and where != scope:
                continue  # another initiative's sentence
            if (scope and where == scope) or row_label in _norm_label(block.text):
                judge_for(doc).add(
                    block.where, "cross_page", f"a sentence prints '{col_label}' that a table hides"
                )


def _judge_costs(docs: list[Doc], judge_for) -> None:
    """Total cost ÷ cost per person with an outcome = that many people."""
    by_scope: dict[str, list[tuple[Doc, str, str, float]]] = defaultdict(list)
    for doc in docs:
        for block in doc.blocks:
            if not block.prose:
                continue
            for m in _MONEY.finditer(block.text):
                label = block.text[max(0, m.start() - 90) : m.start()]
                by_scope[doc.scope_of(block)].append(
                    (
                        doc,
                        block.where,
                        label,
                        float(m.group(1).replace(",", "") + (m.group(2) or "")),
                    )
                )
        for table in doc.tables:
            for row in table.rows:
                if not row:
                    continue
                for cell in row[1:]:
                    m = _MONEY.search(cell.text)
                    if m:
                        by_scope[doc.scope_of(table)].append(
                            (
                                doc,
                                cell.where,
                                row[0].text,
                                float(m.group(1).replace(",", "") + (m.group(2) or "")),
                            )
                        )
    for scope, items in by_scope.items():
        totals = [it for it in items if re.search(r"total\s+cost", it[2], re.I)]
        pers = []
        for it in items:
            m = None
            for m in _COST_PER.finditer(it[2]):  # noqa: B007 (the last one is wanted)
                pass
            if m and not re.search(r"session", it[2][m.start() :], re.I):
                pers.append((it, m.group(1).strip(" :£")))
        for (doc, where, _label, per), outcome in pers:
            if not outcome or not re.search(r"\bwith\b|\bwho\b", outcome, re.I) or per <= 0:
                continue
            for _, _, _, total in totals:
                ks = [
                    k
                    for k in range(1, int(total / max(per - 0.5, 0.01)) + 2)
                    if (total - 0.5) / (per + 0.5) <= k <= (total + 0.5) / max(per - 0.5, 0.01)
                ]
                judge = judge_for(doc)
                t = judge.threshold
                if ks and all(_small(k, t) for k in ks):
                    judge.add(
                        where,
                        "cost_ratio",
                        f"total cost ÷ cost per person with an outcome gives {ks[0]} "
                        f"people; {judge.limit}",
                    )
                elif len(ks) == 1 and _outcome_hidden(docs, scope, outcome):
                    judge.add(
                        where,
                        "cost_ratio",
                        "total cost ÷ cost per person with an outcome pins a count "
                        "that a table hides",
                    )


def _outcome_hidden(docs: list[Doc], initiative: str, outcome: str) -> bool:
    keys = [
        w
        for w in re.findall(r"[a-z]+", outcome.lower())
        if len(w) > 4 and w not in ("child", "people")
    ]
    stems = [k[:6] for k in keys]
    for doc in docs:
        for table in doc.tables:
            if initiative and doc.scope_of(table) not in (initiative, ""):
                continue  # another initiative's table
            for row in table.rows:
                named = row and any(s in row[0].text.lower() for s in stems)
                if named and any(c.suppressed or c.text == SUPPRESSED for c in row[1:]):
                    return True
    return False


# ----------------------------------------------------------------------------- audit


def report_files(report_dir: Path) -> list[Path]:
    """Every file under ``report_dir``, sorted; hidden files included (they travel in a zip
    too), Office lock files (``~$...``) left out."""
    return sorted(p for p in report_dir.rglob("*") if p.is_file() and not p.name.startswith("~$"))


def _read(path: Path, relative: Path) -> Doc | None:
    suffix = path.suffix.lower()
    try:
        if suffix in HTML_SUFFIXES:
            return read_html(path, relative)
        if suffix in XLSX_SUFFIXES:
            return read_xlsx(path, relative)
        if suffix in NOTEBOOK_SUFFIXES:
            return read_notebook(path, relative)
        if suffix in TEXT_SUFFIXES:
            return read_text(path, relative)
    except Exception as error:  # fail safe: what cannot be read cannot be vouched for
        doc = Doc(relative, "unreadable")
        doc.found.append(
            (
                "whole file",
                "unreadable",
                f"cannot be read ({type(error).__name__}: {str(error)[:80]})",
            )
        )
        return doc
    return None


def audit_reports(
    report_dir: Path,
    data_root: Path | None = None,
    terms: Iterable[str] | None = None,
    threshold: int | None = None,
    *,
    fixed_wording_root: Path | None = None,
) -> AuditResult:
    """Check every file under ``report_dir`` for anything that could leak.

    Parameters
    ----------
    report_dir : Path
        A pack (``reports/<term>/commissioner``), or any folder holding packs.
    data_root : Path, optional
        Holds ``raw/<term>/...`` and ``processed/<term>/...``. Default: ``data``, then
        ``data/demo``, whichever matches the pack's data fingerprint.
    terms : iterable of str, optional
        Terms to check identities for besides those the files' metadata names.
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` must not be shown; default: each file's own
        ``dspl-eval-threshold`` (else 5). When given, the stricter of the two is used.
    fixed_wording_root : Path, optional
        Project folder whose ``dspl_eval`` and ``notebooks`` hold the fixed wording
        (default: this installation's).

    Returns
    -------
    AuditResult

    Raises
    ------
    ConfigError
        ``report_dir`` or an explicitly given ``data_root`` is not a folder.
    """
    report_dir = Path(report_dir)
    if not report_dir.is_dir():
        raise ConfigError(f"audit: {report_dir} is not a folder of reports")
    if data_root is not None and not Path(data_root).is_dir():
        raise ConfigError(f"audit: data folder {data_root} not found")
    result = AuditResult()
    docs: list[Doc] = []
    others: list[Path] = []
    for path in report_files(report_dir):
        relative = path.relative_to(report_dir)
        doc = _read(path, relative)
        if doc is None:
            others.append(relative)
        else:
            docs.append(doc)
            result.files.append(relative)
    findings: list[tuple[Path, str, str, str]] = []
    _settle_editions(docs, others, threshold, findings)
    metadata_terms = sorted({d.meta["term"] for d in docs if d.meta.get("term")})
    result.terms = tuple(dict.fromkeys([*metadata_terms, *(terms or [])]))
    identities = _identities(report_dir, docs, data_root, result, findings, fixed_wording_root)
    judges: dict[Path, _Judge] = {}

    def judge_for(doc: Doc) -> _Judge:
        return judges.setdefault(doc.path, _Judge(doc.threshold, fixed=identities.fixed))

    for doc in docs:
        findings += [(doc.path, *f) for f in doc.found]
        for block in doc.blocks:
            for kind, detail in identities.scan(block.text, names=block.names):
                findings.append((doc.path, block.where, kind, detail))
            if block.names and doc.edition != "analyst":
                if _SHA256.search(block.text) and doc.kind != "ipynb":
                    findings.append(
                        (doc.path, block.where, "file_hash", "a file hash (64 hex digits) is shown")
                    )
                if _SERVER_PATH.search(block.text) and block.prose and doc.kind in ("html", "xlsx"):
                    findings.append(
                        (doc.path, block.where, "server_path", "a server path is shown")
                    )
        if doc.edition == "analyst" or not doc.full:
            continue
        judge = judge_for(doc)
        for block in doc.blocks:
            if block.prose:
                judge_prose(block.text, block.where, judge)
        for table in doc.tables:
            judge_table(table, judge)
        for chart in doc.charts:
            judge_chart(chart, judge)
    by_folder: dict[Path, list[Doc]] = defaultdict(list)
    for doc in docs:
        if doc.full and doc.edition != "analyst":
            by_folder[doc.path.parent].append(doc)
    for folder_docs in by_folder.values():
        judge_pack(folder_docs, judge_for)
    for path, judge in judges.items():
        findings += [(path, *f) for f in judge.found]
    seen = set()
    for item in findings:
        if item not in seen:
            seen.add(item)
            result.findings.append(Finding(*item))
    result.checked.update(
        files=len(result.files),
        pages=sum(d.kind == "html" for d in docs),
        workbooks=sum(d.kind == "xlsx" for d in docs),
        notebooks=sum(d.kind == "ipynb" for d in docs),
        tables=sum(len(d.tables) for d in docs),
        charts=sum(len(d.charts) for d in docs),
        numbers=sum(j.numbers for j in judges.values()),
        commissioner=sum(d.edition == "commissioner" for d in docs),
        analyst=sum(d.edition == "analyst" for d in docs),
    )
    if not result.files:
        result.notes.append(f"no pages, workbooks, notebooks or text files under {report_dir}")
    return result


def _settle_editions(docs, others, threshold, findings) -> None:
    """Each file's edition and threshold from its metadata (else its folder's); a folder
    with both editions, or a commissioner folder holding more than the send pack, fails."""
    folders: dict[Path, set[str]] = defaultdict(set)
    for doc in docs:
        edition = doc.meta.get("edition")
        if edition in EDITIONS:
            doc.edition = edition
            folders[doc.path.parent].add(edition)
        elif edition:
            findings.append((doc.path, "metadata", "metadata", f"unknown edition {edition!r}"))
    for folder, editions in folders.items():
        if len(editions) > 1:
            findings.append(
                (
                    folder,
                    "whole folder",
                    "editions_mixed",
                    "this folder mixes the commissioner and analyst editions",
                )
            )
    for doc in docs:
        if doc.edition is None:
            inherited = folders.get(doc.path.parent, set())
            doc.edition = next(iter(inherited)) if len(inherited) == 1 else None
            if doc.kind in ("html", "xlsx") and doc.kind != "unreadable":
                findings.append(
                    (
                        doc.path,
                        "metadata",
                        "metadata",
                        "no dspl-eval edition metadata: checked as a commissioner file",
                    )
                )
        doc.full = doc.edition == "commissioner" or (
            doc.edition is None and doc.kind in ("html", "xlsx")
        )
        try:
            own = int(doc.meta.get("threshold", "") or 0)
        except ValueError:
            own = 0
            findings.append((doc.path, "metadata", "metadata", "unreadable dspl-eval-threshold"))
        base = own or DEFAULT_THRESHOLD
        doc.threshold = max(base, threshold) if threshold else base
    for folder in {d.path.parent for d in docs}:
        pack = [d for d in docs if d.path.parent == folder and d.kind in ("html", "xlsx")]
        thresholds = {d.meta.get("threshold") for d in pack if d.meta.get("threshold")}
        term_set = {d.meta.get("term") for d in pack if d.meta.get("term")}
        if len(thresholds) > 1:
            findings.append(
                (
                    folder,
                    "whole folder",
                    "metadata",
                    "pages in this folder state different thresholds",
                )
            )
        if len(term_set) > 1:
            findings.append(
                (folder, "whole folder", "metadata", "pages in this folder are for different terms")
            )
        if "commissioner" in folders.get(folder, set()):
            for doc in docs:
                if doc.path.parent == folder and doc.path.suffix.lower() not in SENDABLE_SUFFIXES:
                    findings.append(
                        (
                            doc.path,
                            "whole file",
                            "not_for_sending",
                            "a commissioner folder holds only pages, summary.xlsx and PDFs",
                        )
                    )
            for other in others:
                if other.parent == folder and other.suffix.lower() not in SENDABLE_SUFFIXES:
                    findings.append(
                        (
                            other,
                            "whole file",
                            "not_for_sending",
                            "a commissioner folder holds only pages, summary.xlsx and PDFs",
                        )
                    )
    for other in others:
        if other.suffix.lower() in PDF_SUFFIXES:
            twin = other.with_suffix(".html")
            if not any(d.path == twin for d in docs):
                findings.append(
                    (
                        other,
                        "whole file",
                        "unreadable",
                        "a PDF without its HTML page cannot be checked",
                    )
                )


def data_roots(data_root: Path | None) -> list[Path]:
    """Where to look for a term's data: the given root, else ``data`` then ``data/demo``."""
    if data_root is not None:
        return [Path(data_root)]
    roots = [DEFAULT_DATA] if DEFAULT_DATA.is_dir() else []
    if DEMO_DATA.is_dir() and is_demo(DEMO_DATA):
        roots.append(DEMO_DATA)
    return roots


def fingerprint(data_root: Path, term: str) -> str | None:
    """sha256 of ``processed/<term>/validation.json`` (None when it does not exist)."""
    path = Path(data_root) / "processed" / term / "validation.json"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _identities(report_dir, docs, data_root, result, findings, fixed_root) -> Identities:
    identities = Identities(fixed=fixed_wording(fixed_root))
    roots = data_roots(data_root)
    where = Path(".")
    if not result.terms:
        findings.append(
            (
                where,
                "whole folder",
                "identities_unchecked",
                "no term in the files' metadata: names and pupil ids could not be checked",
            )
        )
        return identities
    for term in result.terms:
        stated = {d.meta.get("data-fingerprint") for d in docs if d.meta.get("term") == term}
        stated.discard(None)
        stated.discard("")
        found = [
            (r, fingerprint(r, term))
            for r in roots
            if (r / "processed" / term).is_dir() or (r / "raw" / term).is_dir()
        ]
        if not found:
            looked = ", ".join(str(r) for r in roots) or "no data folder"
            findings.append(
                (
                    where,
                    "whole folder",
                    "identities_unchecked",
                    f"no data for term {term} (looked in {looked}): names and pupil ids "
                    "could not be checked",
                )
            )
            continue
        match = next((r for r, fp in found if fp and fp in stated), None)
        root = match or found[0][0]
        if match is None:
            if not stated:
                detail = (
                    f"the files state no data fingerprint for {term}: cannot tell they match {root}"
                )
            elif found[0][1] is None:
                detail = f"{root} has no processed/{term}/validation.json to match the pack"
            else:
                detail = f"the data in {root} is not the data the pack for {term} was built from"
            findings.append((where, "whole folder", "fingerprint", detail))
        result.notes.append(f"term {term}: identities from {root}")
        result.checked.setdefault("data", {})[term] = str(root)
        loaded = term_identities(root, term)
        identities.ids |= loaded.ids
        identities.names |= loaded.names
        identities.files |= loaded.files
        result.notes += loaded.notes
    return identities


def default_data_root(report_dir: Path | None = None) -> Path | None:
    """The first default data root that exists (kept for callers of the old API)."""
    roots = data_roots(None)
    return roots[0] if roots else None


def main(report_dir: Path, data_root: Path | None = None, threshold: int | None = None) -> int:
    """Run the audit and print the result; return 1 if anything was found, else 0.

    Prints the notes, what was checked, each finding as ``file, location: what``, then
    ``audit passed: ...`` or ``audit FAILED: ...``.
    """
    result = audit_reports(Path(report_dir), data_root, threshold=threshold)
    for note in result.notes:
        print(f"note: {note}")
    print(f"checked: {result.summary()}")
    if result.passed:
        print(f"audit passed: {len(result.files)} files checked")
        return 0
    for line in result.lines():
        print(line)
    print(f"audit FAILED: {len(result.findings)} problem(s) in {len(result.files)} files checked")
    return 1
