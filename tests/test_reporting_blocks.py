"""The report building blocks (dspl_eval.blocks) and the report hooks of issue 13/14/15.

Reference values carry their source: R's documented examples (``?wilcox.test``,
``?p.adjust``) and exact binomial arithmetic for McNemar's test.
"""

from __future__ import annotations

import ast
import inspect
import json
import math

import numpy as np
import pandas as pd
import pytest

from dspl_eval import blocks, measures
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.initiatives.base import ItemScale
from dspl_eval.reporting import from_frame

C = "c"

# R, ?wilcox.test (Hollander & Wolfe 1973, p. 29: depression scale, first and second
# visit): x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
#        y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
# wilcox.test(x, y, paired = TRUE)  ->  V = 40, p-value = 0.03906
R_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
R_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
R_WILCOXON_P = 0.03906


def _items_frame(n: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "a_pre": R_Y,
            "a_post": R_X,
            "b_pre": rng.integers(0, 3, n).astype(float),
            "b_post": rng.integers(0, 3, n).astype(float),
            "school": ["North"] * 5 + ["South"] * 4,
            "source_file": ["f.xlsx"] * n,
            "source_row": list(range(2, 2 + n)),
        }
    )


SCALE = ItemScale(
    name="worries",
    label="Worry score",
    items=(("a_pre", "a_post", "Item A"), ("b_pre", "b_post", "Item B")),
    levels=("no worry", "a little", "a lot"),
    direction="lower_is_better",
    combine="sum",
    min_answered=2,
)


def test_item_scale_block_scores_items_and_tests_each_with_wilcoxon():
    ctx = from_frame("nqt", _items_frame(), "analyst", 5)
    block = blocks.item_scale(ctx, SCALE, family="worry areas")
    # the score is the sum of both items (min_answered 2), lower is better
    data = block.ctx.data
    expected = data["a_pre"] + data["b_pre"]
    assert data["worries_score_pre"].tolist() == pytest.approx(expected.tolist())
    assert block.score.label == "Worry score" and not block.score.higher_is_better
    # each item: ordinal → Wilcoxon signed-rank primary (R ?wilcox.test example)
    item = block.items[0]
    assert item.primary_test == "Wilcoxon" and item.label == "Item A"
    assert item.primary_pvalue == pytest.approx(R_WILCOXON_P, abs=5e-6)
    # the family table names the test and the family; Holm over the two items
    table = blocks.items_table(ctx, block).frame
    column = "p (Wilcoxon, Holm over 2 worry areas)"
    assert column in table.columns
    p_a, p_b = (o.primary_pvalue for o in block.items)
    assert p_a < p_b  # Holm: the smaller p times 2, the larger at least that
    assert table.loc["Item A", column] == rp.fmt_p(2 * p_a) == "p = .078"
    assert table.loc["Item B", column] == rp.fmt_p(min(1.0, max(2 * p_a, p_b)))
    # the same people are behind every cell
    assert table.loc["Item A", "n"] == 9


def test_item_scale_uses_the_declared_scale_and_labels():
    data = pd.DataFrame(
        {
            **{
                f"conf_{t}_{w}": [3.0, 4.0, 2.0, 5.0, 4.0, 3.0]
                for t in (
                    "learning_environment",
                    "low_level_behaviour",
                    "visual_support",
                    "autism",
                    "adapting_environment",
                    "challenging_behaviour",
                )
                for w in ("pre", "post")
            },
        }
    )
    data.loc[0, "conf_autism_post"] = np.nan
    ctx = from_frame("nqt", data, "analyst", 5)
    block = blocks.item_scale(ctx, "confidence", min_answered=5)
    assert len(block.items) == 6 and block.score is not None
    # mean of the answered items, scored when at least 5 of 6 are answered
    assert block.ctx.data["confidence_score_post"].iloc[0] == pytest.approx(3.0)
    with pytest.raises(ConfigError, match="no item scale 'nope'"):
        blocks.scale_of(ctx, "nope")


def test_items_sentence_counts_items_that_changed_after_holm():
    ctx = from_frame("nqt", _items_frame(), "analyst", 5)
    block = blocks.item_scale(ctx, SCALE, family="worry areas")
    text = blocks.items_sentence(ctx, block, "Worry", "areas")
    assert "Holm-adjusted over the 2 worry areas" in text
    # item A: raw p .039; Holm doubles the smaller p, so whether it is "changed"
    # depends on item B — the sentence must agree with the table's adjusted values
    adjusted = rp.family(ctx, block.items)
    changed = sum(p < 0.05 for p in adjusted)
    assert ("did not change on any" in text) == (changed == 0)


def test_holm_with_source_matches_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm") -> 0.03 0.06 0.06 0.02
    adjusted, source = blocks.holm_with_source([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # 0.04's adjusted value is set by 0.03 × 2 (it pins that item's p too)
    assert source == [0, 2, 2, 3]
    adjusted, source = blocks.holm_with_source([0.6, math.nan])
    assert adjusted[0] == pytest.approx(0.6) and math.isnan(adjusted[1]) and source[1] is None


def _flags_frame() -> pd.DataFrame:
    # 10 people; condition (score 0 = "no worry") before/after: 1 lost it, 7 gained it,
    # 2 had it both times.
    before = [0, 2, 2, 2, 2, 2, 2, 2, 0, 0]
    after = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    return pd.DataFrame(
        {
            "a_pre": np.array(before, dtype=float),
            "a_post": np.array(after, dtype=float),
            "source_file": ["f.xlsx"] * 10,
            "source_row": list(range(2, 12)),
        }
    )


def test_threshold_share_block_mcnemar_exact():
    ctx = from_frame("nqt", _flags_frame(), "analyst", 5)
    [change] = blocks.condition_changes(ctx, [("a_pre", "a_post", "Item A")], lambda s: s == 0)
    assert (len(change.n), len(change.before), len(change.after)) == (10, 3, 9)
    assert (len(change.worse), len(change.better)) == (7, 1)
    # McNemar exact = binomial on the 8 discordant pairs: 2 × P(X ≤ 1 | 8, ½)
    # = 2 × 9 / 256 = 0.0703125 (R: binom.test(1, 8)$p.value)
    assert change.result.pvalue == pytest.approx(0.0703125)
    table = blocks.share_table(ctx, [change], "worry areas", "Area", "With no worry")
    frame = table.frame
    assert list(frame.columns) == [
        "n",
        "With no worry before",
        "With no worry after",
        "% with no worry before (95% CI)",
        "% with no worry after (95% CI)",
        "p (McNemar exact, Holm over 1 worry areas)",
    ]
    assert frame.loc["Item A", "With no worry after"] == 9


def test_threshold_share_block_suppresses_small_discordant_counts():
    ctx = from_frame("nqt", _flags_frame(), "commissioner", 5)
    [change] = blocks.condition_changes(ctx, [("a_pre", "a_post", "Item A")], lambda s: s == 0)
    frame = rp.flag_table(ctx, [change]).frame
    # 3 before (small) → c; the p-value pins the discordant 1 and 7 → c
    assert frame.loc["Item A", "Before"] == C
    assert frame.loc["Item A", "McNemar p"] == C


def test_missing_answers_stay_missing_whatever_the_condition_says():
    data = _flags_frame()
    data.loc[0, "a_post"] = np.nan
    ctx = from_frame("nqt", data, "analyst", 5)
    [change] = blocks.condition_changes(ctx, [("a_pre", "a_post", "A")], lambda s: s.isna() | True)
    assert len(change.n) == 9


def test_profile_table_counts_missing_and_total_decided_together():
    data = pd.DataFrame(
        {
            "satisfaction": ["just right"] * 6 + ["too much"] * 2 + [None] * 4,
            "source_file": ["f.xlsx"] * 12,
            "source_row": list(range(2, 14)),
        }
    )
    ctx = from_frame("nqt", data, "commissioner", 5)
    sets = blocks.category_sets(ctx, "satisfaction", order=("too little", "just right", "too much"))
    assert [len(s) for s in sets.values()] == [0, 6, 2]
    frame = blocks.profile_table(ctx, sets, "Amount of content", "Not answered").frame
    people = "Teachers"
    assert frame[people].tolist()[:2] == [0, 6]
    assert frame.loc["Too much", people] == C
    # the rest (not answered, 4) would give the 2 away from the total: hidden too
    assert frame.loc["Not answered", people] == C
    assert frame.loc["Total (in the returns)", people] == 12
    assert frame.loc["Just right", blocks.profile.SHARE_COLUMN] == C  # rest of answered: 2


def test_flag_profile_shares_are_of_everyone_for_multi_select():
    flags = pd.DataFrame({"Service A": [True] * 6 + [False] * 4, "Service B": [True] * 10})
    data = pd.DataFrame({"source_file": ["f"] * 10, "source_row": range(10)})
    ctx = from_frame("nqt", data, "analyst", 5)
    sets = blocks.flag_sets(ctx, flags.set_axis(data.index))
    frame = blocks.profile_table(ctx, sets, "Service", exclusive=False).frame
    assert frame.loc["Service A", blocks.profile.SHARE_OF_ALL].startswith("60%")
    assert frame.loc["Service B", "Teachers"] == 10


def test_breakdown_columns_leave_out_a_grouping_that_repeats_an_earlier_one():
    data = _items_frame()
    data["group"] = data["school"].map({"North": "N1", "South": "S1"})
    data["sex"] = ["F", "M"] * 4 + ["F"]
    ctx = from_frame("nqt", data, "analyst", 5)
    assert rp.breakdown_columns(ctx, ("school", "group", "sex", "absent")) == ("school", "sex")
    assert rp.group_words(ctx, "sen_status") == "SEN status"
    assert rp.group_words(ctx, "group", {"group": "nurture group"}) == "nurture group"


def test_join_words():
    assert rp.join_words([]) == "" and rp.join_words(["a"]) == "a"
    assert rp.join_words(["a", "b", "c"]) == "a, b and c"


# ----------------------------------------------------------------------------- hooks


def test_ids_use_gate_id_when_the_data_has_one():
    data = _items_frame().assign(gate_id=[f"p{i}" for i in range(9)])
    ctx = from_frame("nqt", data, "analyst", 5)
    assert ctx.members() == frozenset(f"p{i}" for i in range(9))
    ctx = from_frame("nqt", _items_frame(), "analyst", 5)
    assert "f.xlsx#2" in ctx.members()


def test_a_year_is_a_period_and_terms_still_are():
    assert rp.check_period("2023-24") == "2023-24"
    assert rp.check_period("2023-24-summer") == "2023-24-summer"
    with pytest.raises(ConfigError, match="YYYY-YY for an academic year"):
        rp.check_period("2023-25")
    ctx = from_frame("nqt", _items_frame(), "analyst", 5, term="2023-24")
    assert ctx.is_year and ctx.period_words == "this year"
    assert measures.term_last_day("2023-24") == pd.Timestamp(2024, 8, 31)


def test_nouns_come_from_the_definition():
    assert from_frame("ebsa", _items_frame()).people == "young people"
    assert from_frame("ebsa", _items_frame()).person == "young person"
    assert from_frame("nqt", _items_frame()).people == "teachers"
    assert rp._plural("young person") == "young people" and rp._plural("child") == "children"


def test_settings_fall_back_to_the_notebook_parameter_unless_set():
    ctx = from_frame("ebsa", _items_frame())
    # a default setting never overrides the notebook's parameter
    assert ctx.setting("thresholds", "persistent_absence_percent", 12.5) == 12.5
    settings = rp.settings_from_parameters({"thresholds": {"persistent_absence_percent": 15}})
    set_by = getattr(settings, "sources", {}).get("thresholds.persistent_absence_percent")
    ctx.settings = settings
    expected = 12.5 if set_by in (None, "default") else 15.0
    assert ctx.setting("thresholds", "persistent_absence_percent", 12.5) == expected
    assert ctx.setting("thresholds", "no such threshold", 3) == 3


def test_about_table_shows_the_settings_without_folders_for_commissioners():
    ctx = from_frame("ebsa", _items_frame(), "commissioner", 5)

    class Fake:
        def about_rows(self, initiative=None, **_):
            return [("Persistent absence", "10%", "dspl-eval.toml (/srv/la/dspl-eval.toml)")]

    ctx.settings = Fake()
    frame = rp.about_table(ctx, {}).frame
    assert frame.loc["Setting: Persistent absence", "Value"] == "10% (dspl-eval.toml)"
    assert "/srv" not in frame.to_string()


def test_ledger_is_written_and_known_sets_are_read(tmp_path):
    ctx = from_frame("nqt", _items_frame(), "commissioner", 5)
    ctx.gate.count(ctx.members())
    path = tmp_path / "work" / "ledger.json"
    rp.write_ledger(ctx.gate, path)
    sets = json.loads(path.read_text("utf-8"))
    assert sets == sorted(sets) and sorted(ctx.members()) in sets
    assert rp.read_known_sets(path) == [frozenset(s) for s in sets]
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1}')
    with pytest.raises(ConfigError, match="expected a JSON list of id lists"):
        rp.read_known_sets(bad)


def test_show_ending_runs_the_four_sections_in_order(monkeypatch):
    calls = []
    for name in ("show_value_for_money", "show_data_quality", "show_methods", "show_about"):
        monkeypatch.setattr(rp, name, lambda *a, _n=name, **k: calls.append(_n))
    monkeypatch.setattr(rp, "show_markdown", lambda text: calls.append(text))
    rp.show_ending(from_frame("nqt", _items_frame()), frozenset(), [], {})
    assert calls == [
        "## Value for money",
        "show_value_for_money",
        "## Data quality",
        "show_data_quality",
        "## Methods and caveats",
        "show_methods",
        "## About this report",
        "show_about",
    ]


def _string_constants(module: object) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    }


#: issue 13: the shared modules that must not name an initiative (and the ones added since)
SHARED_MODULES = [
    "ingest",
    "clean",
    "identity",
    "synth",
    "template",
    "measures",
    "stats",
    "disclosure",
    "plots",
    "reporting",
    "runner",
    "index",
    "summary",
    "audit",
    "export",
    "cli",
    "gate",
    "term_check",
    "settings",
    "year",
    "trends",
    "frontpage",
    "tracker",
    "feedback",
    "kernels",
    "blocks.items",
    "blocks.shares",
    "blocks.profile",
]


@pytest.mark.parametrize("name", SHARED_MODULES)
def test_no_initiative_key_is_a_literal_in_shared_modules(name):
    import importlib

    from dspl_eval.initiatives import INITIATIVES

    module = importlib.import_module(f"dspl_eval.{name}")

    found = _string_constants(module) & set(INITIATIVES)
    assert not found, f"{module.__name__} names initiatives {sorted(found)}"


def test_breakdown_of_several_outcomes_when_a_group_has_none_of_one():
    # Outcome B has no pairs in the South school: its cells there are 0 people and x,
    # never a bare number (found on the rewritten demo data: DisclosureError before).
    data = _items_frame()
    data.loc[data["school"] == "South", "b_post"] = np.nan
    ctx = from_frame("nqt", data, "analyst", 5)
    a = rp.paired_outcome(ctx, "a_pre", "a_post", "A", scale="ordinal")
    b = rp.paired_outcome(ctx, "b_pre", "b_post", "B", scale="ordinal")
    frame = rp.breakdown(ctx, [a, b], "school").frame
    assert frame.loc["South", "n (B)"] == 0
    assert frame.loc["South", "Mean change (B)"] == "x"
    assert frame.loc["South", "n (A)"] == 4
