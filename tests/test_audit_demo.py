"""End to end: the audit on the project's own commissioner output.

One demo term is built by the batch (:func:`dspl_eval.runner.run_term`) from freshly
written synthetic returns into a temporary folder. The audit must find nothing in that
pack (no false alarms on the reports' own wording, the index's per-initiative sections or
the workbook), and a copy of the pack with one small count planted in it must fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dspl_eval import audit
from dspl_eval.initiatives import INITIATIVES

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="demo")]

#: The spring term: its pages hold the "K of N ...; m ... do not have an answer" wording
#: and by-group tables with a merged "Other groups" row on several pages.
TERM = "2023-24-spring"
SUPPRESSED_CELL = re.compile(r'<td class="num suppressed" data-suppressed(?:="")?>c</td>')


@pytest.fixture
def built(demo_run):
    """The spring term of the session's demo run (``tests/conftest.py``)."""
    outcome = demo_run.outcomes[TERM]
    folder = outcome.pack or outcome.unpublished
    assert folder is not None and folder.is_dir(), outcome.audit_findings
    return demo_run.data, folder, outcome


def test_the_projects_own_commissioner_pack_passes_the_audit(built):
    data, folder, outcome = built
    result = audit.audit_reports(folder, data)
    assert result.findings == [], "\n".join(result.lines())
    pages = len(INITIATIVES) + 1  # one per initiative, and the index
    assert result.checked["pages"] == pages and result.checked["workbooks"] == 1
    assert result.checked["commissioner"] == pages + 1 and result.terms == (TERM,)
    assert outcome.audit_passed is True and outcome.ready, outcome.audit_findings
    assert outcome.pack is not None and outcome.pack.name == "commissioner"


def _plant_cell(folder: Path) -> None:
    page = folder / "nurture.html"
    text = page.read_text("utf-8")
    assert SUPPRESSED_CELL.search(text), "the page has no suppressed cell to un-suppress"
    page.write_text(SUPPRESSED_CELL.sub('<td class="num">3</td>', text, count=1), "utf-8")


def _plant_sentence(folder: Path) -> None:
    page = folder / "index.html"
    text = page.read_text("utf-8")
    section = '<section data-dspl-initiative="elsa">'
    assert section in text
    planted = section + "<p>2 children left the school before the review.</p>"
    page.write_text(text.replace(section, planted, 1), "utf-8")


@pytest.mark.parametrize(
    ("plant", "kind"),
    [(_plant_cell, "small_count"), (_plant_sentence, "small_count")],
    ids=["unsuppressed table cell", "sentence on the index"],
)
def test_a_copy_with_one_planted_small_count_fails(built, tmp_path, plant, kind):
    data, folder, _ = built
    copy = tmp_path / "commissioner"
    shutil.copytree(folder, copy)
    plant(copy)
    result = audit.audit_reports(copy, data)
    assert not result.passed
    assert kind in {f.kind for f in result.findings}, result.lines()
    assert audit.main(copy, data) == 1
