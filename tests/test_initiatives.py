"""Tests for the initiative definitions (``dspl_eval.initiatives``): discovery, declared
pairs, the ordinal and multi kinds, and demo data generated from a definition alone."""

from __future__ import annotations

import collections
import importlib
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dspl_eval.clean import CellError, multi_flags, parse_column, parser_for
from dspl_eval.errors import ConfigError
from dspl_eval.initiatives import INITIATIVES, discover, discover_demos, get
from dspl_eval.initiatives.base import (
    Column,
    CostLine,
    DemoModel,
    DemoReturn,
    Initiative,
    Outcome,
    Rule,
    normalise_header,
    pre_post,
    pupil_identity,
    yes_no,
)
from dspl_eval.paths import DEMO_MARKER
from dspl_eval.synth import DEMO_TERMS, write_demo

# ----------------------------------------------------------------------------- discovery


def test_every_module_with_an_initiative_is_discovered_sorted() -> None:
    assert list(INITIATIVES) == sorted(INITIATIVES)
    assert {"ebsa", "elsa", "nqt", "nurture", "transition"} <= set(INITIATIVES)
    assert get("transition").title.startswith("Year 6/7")


def test_a_new_module_in_a_package_is_picked_up(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "made_up_initiatives"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("X = 1\n")  # no INITIATIVE: ignored
    (package / "zeta.py").write_text(
        textwrap.dedent(
            """
            from dspl_eval.initiatives.base import Column, Initiative, pupil_identity
            INITIATIVE = Initiative("zeta", "Zeta", "child", "pupil_id", pupil_identity())
            """
        )
    )
    (package / "alpha.py").write_text(
        textwrap.dedent(
            """
            from dspl_eval.initiatives.base import DemoModel, Initiative, pupil_identity
            INITIATIVE = Initiative("alpha", "Alpha", "child", "pupil_id", pupil_identity())
            DEMO = DemoModel(rows=(3, 4))
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = discover("made_up_initiatives")
        assert list(found) == ["alpha", "zeta"]
        demos = discover_demos("made_up_initiatives")
        assert demos["zeta"] is None and demos["alpha"].rows == (3, 4)
        (package / "again.py").write_text("from made_up_initiatives.zeta import INITIATIVE\n")
        importlib.invalidate_caches()
        with pytest.raises(ConfigError, match="defined twice"):
            discover("made_up_initiatives")
    finally:
        for name in [m for m in sys.modules if m.startswith("made_up_initiatives")]:
            del sys.modules[name]


def test_nouns_and_short_labels() -> None:
    assert (get("ebsa").person, get("ebsa").people) == ("young person", "young people")
    for key in ("elsa", "nurture", "transition"):
        assert (get(key).person, get(key).people) == ("child", "children")
    assert (get("nqt").person, get("nqt").people) == ("teacher", "teachers")
    assert get("elsa").short == "ELSA" and get("ebsa").short == "EBSA"


# ----------------------------------------------------------------------------- pairs


def test_pairs_are_declared_and_looked_after_is_never_half_of_one() -> None:
    transition = get("transition")
    assert transition.pair_of("looked_after") is None
    assert transition.column("looked_after").pair is None
    keys = transition.column("looked_after").header_keys()
    assert "lookedpost" not in keys and "lookedend" not in keys
    assert all("looked" not in p.name for p in transition.pairs)
    assert len([p for p in transition.pairs if p.name.startswith("worry_")]) == 11
    worry = transition.pair("worry_bullying")
    assert (worry.before, worry.after, worry.higher_is_better, worry.scale) == (
        "worry_bullying_before",
        "worry_bullying_after",
        False,
        "ordinal",
    )
    with pytest.raises(KeyError, match="declares no pair"):
        transition.pair("looked")


def test_existing_pairs_with_direction_and_scale() -> None:
    nurture, elsa, nqt, ebsa = (get(k) for k in ("nurture", "elsa", "nqt", "ebsa"))
    assert nurture.pair("boxall_developmental").higher_is_better is True
    assert nurture.pair("boxall_diagnostic").higher_is_better is False
    assert elsa.pair("sdq_prosocial").higher_is_better is True
    assert elsa.pair("sdq_emotional").higher_is_better is False
    assert elsa.pair("permanent_exclusion").columns == (
        "permanent_exclusion_before",
        "permanent_exclusion_after",
    )
    assert nqt.pair("conf_autism").scale == "ordinal"
    assert ebsa.pair("attendance").scale == "interval"
    assert ebsa.pair("pass_self_regard").scale == "ordinal"
    for initiative in INITIATIVES.values():
        paired = {c for p in initiative.pairs for c in p.columns}
        for column in initiative.columns:
            assert (column.pair is not None) == (column.name in paired), column.name


def test_a_name_ending_in_after_is_no_pair_without_a_declaration() -> None:
    column = yes_no("looked_after", "Looked after")
    assert column.pair is None
    assert column.header_keys() == {"lookedafter"}
    before, after = pre_post("score", "integer", "Score", aliases=("points {}",))
    assert before.pair is after.pair and before.occasion == "before"
    assert {"scorepre", "baselinescore", "pointsbefore"} <= before.header_keys()
    assert {"scorepost", "pointsfollowup", "scoreend"} <= after.header_keys()


def test_item_scales_name_real_columns() -> None:
    worries = get("transition").item_scale("worries")
    assert len(worries.items) == 11 and worries.combine == "sum"
    assert worries.min_answered == 9 and worries.direction == "lower_is_better"
    assert get("nqt").item_scale("confidence").min_answered == 6
    assert get("ebsa").item_scale("pass").higher_is_better
    assert get("elsa").item_scale("sdq_total_difficulties").combine == "sum"


# ----------------------------------------------------------------------------- kinds

WORRY = Column(
    "w",
    "ordinal",
    "Worry",
    levels=("no worry", "a little", "a lot"),
    value_synonyms={"a bit": "a little", "lots": "a lot"},
)


@pytest.mark.parametrize(
    ("cell", "score"),
    [
        ("no worry", 0),
        ("A  Little", 1),
        (" A LOT ", 2),
        ("a bit", 1),
        ("Lots", 2),
        (0, 0),
        (2, 2),
        ("1", 1),
        (2.0, 2),
        (5, 5),  # a number beyond the scores: left to the range check
    ],
)
def test_ordinal_reads_words_synonyms_and_scores(cell: object, score: int) -> None:
    assert parser_for(WORRY)(cell) == score


@pytest.mark.parametrize("cell", ["sort of", "little worry", "1.5", "yes"])
def test_ordinal_refuses_other_text(cell: str) -> None:
    with pytest.raises(CellError, match="no worry \\(0\\) / a little \\(1\\) / a lot \\(2\\)"):
        parser_for(WORRY)(cell)


def test_ordinal_with_own_scores_and_range() -> None:
    column = Column("x", "ordinal", "X", levels=("low", "mid", "high"), scores=(1, 3, 5))
    assert (column.minimum, column.maximum) == (1.0, 5.0)
    parse = parser_for(column)
    assert [parse("LOW"), parse("mid"), parse(5)] == [1, 3, 5]
    with pytest.raises(CellError):
        parse(2)  # inside the range but no level's score


def test_likert_is_the_agree_case_of_ordinal() -> None:
    column = get("nqt").column("conf_autism_pre")
    assert column.kind == "likert" and column.scores == (1, 2, 3, 4, 5)
    parse = parser_for(column)
    assert [parse("Strongly agree"), parse("neutral"), parse("Disagree"), parse(4)] == [5, 3, 2, 4]
    parsed = parse_column(pd.Series(["agree", 7, None, "maybe"]), column)
    assert parsed.values.dtype == "Int64"
    assert parsed.values.tolist()[:2] == [4, 7] and parsed.values.isna().tolist()[2:] == [1, 1]
    assert parsed.errors.notna().tolist() == [False, False, False, True]


SERVICES = get("transition").column("services")


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("STLS", "STLS"),
        ("stls; early help", "STLS; Early help"),
        ("Early help, STLS", "STLS; Early help"),
        ("EP/SALT", "Educational psychology; Speech and language therapy"),
        ("speech and language therapy", "Speech and language therapy"),
        (
            "STLS and Speech and language therapy and Young carers",
            "STLS; Young carers; Speech and language therapy",
        ),
        (
            "MHST + transition visits",
            "Mental health support team; Secondary SENCo transition visits",
        ),
        ("STLS; STLS", "STLS"),
    ],
)
def test_multi_reads_several_values_in_allowed_order(cell: str, value: str) -> None:
    assert parser_for(SERVICES)(cell) == value


@pytest.mark.parametrize("cell", ["STLS; the vicar", "see notes", ";"])
def test_multi_refuses_unknown_values(cell: str) -> None:
    with pytest.raises(CellError, match="one or more of"):
        parser_for(SERVICES)(cell)


def test_multi_flags_one_column_per_value() -> None:
    parsed = parse_column(pd.Series(["EP; STLS", None, "early help", "nonsense"]), SERVICES)
    assert parsed.errors.notna().tolist() == [False, False, False, True]
    flags = multi_flags(parsed.values, SERVICES.allowed)
    assert list(flags.columns) == list(SERVICES.allowed)
    assert flags.dtypes.eq(bool).all()
    assert flags["Educational psychology"].tolist() == [True, False, False, False]
    assert flags["STLS"].tolist() == [True, False, False, False]
    assert flags["Early help"].tolist() == [False, False, True, False]
    assert int(flags.to_numpy().sum()) == 3
    with pytest.raises(ValueError, match="not in allowed"):
        multi_flags(pd.Series(["STLS; Magic"]), SERVICES.allowed)


# ----------------------------------------------------------------------------- demo data


def _minimal() -> Initiative:
    """A made-up initiative the demo has never heard of."""
    return Initiative(
        key="mentoring",
        title="Peer mentoring",
        unit="child",
        id_column="pupil_id",
        columns=(
            *pupil_identity(),
            Column("start", "date", "Date mentoring started", required=True),
            Column("finish", "date", "Date mentoring ended"),
            Column(
                "mood",
                "category",
                "Mood",
                allowed=("calm", "worried"),
                value_synonyms={"ok": "calm"},
            ),
            Column("clubs", "multi", "Clubs", allowed=("chess", "choir", "coding")),
            *pre_post(
                "wellbeing",
                "integer",
                "Wellbeing score (0-20)",
                minimum=0,
                maximum=20,
                higher_is_better=True,
                aliases=("wb {}",),
            ),
            *pre_post(
                "feeling",
                "ordinal",
                "Feeling about school",
                levels=("bad", "ok", "good"),
                higher_is_better=True,
            ),
        ),
        rules=(Rule("order", "start", "finish", "mentoring ends before it starts"),),
        outcomes=(Outcome("wellbeing", ("wellbeing_pre", "wellbeing_post")),),
    )


def _ingest_matches_manifest(root: Path, manifest, initiative: Initiative) -> None:
    from dspl_eval.identity import Key
    from dspl_eval.ingest import ingest_file

    key = Key(b"test key for the demo checks", "test")
    for file in manifest.files:
        result = ingest_file(file.path, initiative, key)
        assert result.error is None, (file.path.name, result.error)
        planted = {p.row for p in file.invalid}
        quarantined = set(result.quarantine["row"].astype(int)) if len(result.quarantine) else set()
        assert quarantined == planted, file.path.name
        assert result.rows_read == file.expected.read


def test_demo_for_a_definition_without_a_model_is_plain_no_change(tmp_path: Path) -> None:
    initiative = _minimal()
    manifest = write_demo(
        tmp_path, terms=DEMO_TERMS[:2], initiatives={"mentoring": initiative}, models={}
    )
    assert {f.initiative for f in manifest.files} == {"mentoring"}
    assert (tmp_path / "raw" / DEMO_MARKER).is_file()
    _ingest_matches_manifest(tmp_path, manifest, initiative)
    from dspl_eval.identity import Key
    from dspl_eval.ingest import ingest_file

    key = Key(b"test key for the demo checks", "test")
    kept = pd.concat([ingest_file(f.path, initiative, key).kept for f in manifest.files])
    assert len(kept) >= 20
    both = kept.dropna(subset=["wellbeing_pre", "wellbeing_post"])
    assert len(both) >= 10 and (both["wellbeing_pre"] == both["wellbeing_post"]).all()
    feel = kept.dropna(subset=["feeling_pre", "feeling_post"])
    assert (feel["feeling_pre"] == feel["feeling_post"]).all()
    assert set(kept["mood"].dropna()) <= {"calm", "worried"}
    assert set(kept["clubs"].dropna()) <= {
        "chess",
        "choir",
        "coding",
        "chess; choir",
        "chess; coding",
        "choir; coding",
    }
    # costs.csv has no line for an initiative without a cost
    costs = pd.read_csv(tmp_path / "raw" / DEMO_TERMS[0] / "costs.csv")
    assert costs.empty


def _broken(effect) -> DemoModel:
    return DemoModel(effect=effect, cost=CostLine("Mentors", 1000.0, "term"))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (_broken(lambda rng, row: 1 / 0), "effect failed \\(ZeroDivisionError"),
        (_broken(lambda rng, row: ["not", "a", "dict"]), "must return a dict"),
        (_broken(lambda rng, row: {"nonsense": 1}), "names no column nonsense"),
        (_broken(lambda rng, row: {"mood": "furious"}), "'furious' is not one of calm, worried"),
        (
            _broken(lambda rng, row: {"wellbeing_post": "lots"}),
            "wellbeing_post: 'lots' is not a value of kind integer",
        ),
        (
            _broken(lambda rng, row: {"finish": row["start"].replace(year=2001)}),
            "break a rule: mentoring ends before it starts",
        ),
        (_broken("not callable"), "effect must be a function"),
        (DemoModel(rows=(5, 2)), "rows must be"),
        (DemoModel(follow_up=1.5), "follow_up must be a share"),
        (DemoModel(baseline={"nothing": 1}), "baseline names no column nothing"),
        ("not a model", "must be a DemoModel"),
    ],
)
def test_a_broken_model_is_a_config_error(tmp_path: Path, model, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        write_demo(
            tmp_path,
            terms=DEMO_TERMS[:1],
            initiatives={"mentoring": _minimal()},
            models={"mentoring": model},
        )


def test_marker_is_written_first_so_a_crashed_demo_can_be_rerun(tmp_path: Path) -> None:
    initiative = _minimal()

    def crash_in_second_term(rng: np.random.Generator, row: dict) -> dict:
        if row["start"].year == 2024:
            raise RuntimeError("model bug")
        return {}

    with pytest.raises(ConfigError, match="model bug"):
        write_demo(
            tmp_path,
            terms=DEMO_TERMS,
            initiatives={"mentoring": initiative},
            models={"mentoring": DemoModel(effect=crash_in_second_term)},
        )
    assert (tmp_path / "raw" / DEMO_MARKER).is_file()
    (tmp_path / "raw" / DEMO_TERMS[0] / "mentoring").mkdir(parents=True, exist_ok=True)
    (tmp_path / "raw" / DEMO_TERMS[0] / "mentoring" / "partial.csv").write_text("upn\n")
    manifest = write_demo(tmp_path, terms=DEMO_TERMS, initiatives={"mentoring": initiative})
    written = {p for p in (tmp_path / "raw").rglob("*") if p.is_file()}
    assert written == {f.path for f in manifest.files} | set(manifest.costs) | {manifest.marker}


def test_real_returns_in_another_term_are_never_marked_as_demo(tmp_path: Path) -> None:
    real = tmp_path / "raw" / "2022-23-summer" / "elsa" / "school.xlsx"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"real")
    with pytest.raises(ConfigError, match="not demo data"):
        write_demo(tmp_path, terms=DEMO_TERMS[:1])
    assert not (tmp_path / "raw" / DEMO_MARKER).exists()
    assert real.read_bytes() == b"real"


def test_transition_demo_matches_the_plan(tmp_path: Path) -> None:
    transition = get("transition")
    manifest = write_demo(tmp_path, initiatives={"transition": transition})
    _ingest_matches_manifest(tmp_path, manifest, transition)
    from dspl_eval.identity import Key
    from dspl_eval.ingest import ingest_file

    key = Key(b"test key for the demo checks", "test")
    per_term = collections.defaultdict(list)
    for file in manifest.files:
        per_term[file.term].append(ingest_file(file.path, transition, key).kept)
    year = pd.concat([pd.concat(v) for v in per_term.values()])
    for frames in per_term.values():
        term = pd.concat(frames)
        assert 36 <= len(term) <= 56
        assert 0.5 <= term["supported"].mean() <= 0.85
    assert year["school"].nunique() == 25
    assert set(year["year_group"]) == {6}
    supported = year[year["supported"].fillna(False)]
    assert supported["services"].notna().mean() > 0.95
    assert year.loc[~year["supported"].fillna(True), "services"].isna().all()
    flags = multi_flags(supported["services"], transition.column("services").allowed)
    assert (flags.sum() > 0).sum() == 8  # every service supports someone
    items = transition.item_scale("worries")
    before = supported[list(items.before)].sum(axis=1, min_count=9)
    after = supported[list(items.after)].sum(axis=1, min_count=9)
    change = (after - before).dropna()
    assert len(change) >= 60 and change.mean() < -2 and (change > 0).sum() >= 1
    lot = supported["worry_bullying_before"] == 2
    drop_lot = (supported.loc[lot, "worry_bullying_after"] < 2).mean()
    little = supported["worry_bullying_before"] == 1
    drop_little = (supported.loc[little, "worry_bullying_after"] < 1).mean()
    assert drop_lot > drop_little
    assert year.loc[~year["supported"].fillna(True), list(items.after)].isna().all().all()


def test_header_keys_of_every_stem_spelling_still_match() -> None:
    """The spellings the DATA_CONTRACT promises, through declared pairs."""
    lookup = get("nurture").header_lookup()
    for header, meaning in {
        "Attendance % (before)": "attendance_before",
        "ATTENDANCE_AFTER": "attendance_after",
        "Developmental strands (pre)": "boxall_developmental_pre",
        "Follow up diagnostic": "boxall_diagnostic_post",
        "FTE before": "suspensions_before",
    }.items():
        assert lookup[normalise_header(header)] == meaning, header
    elsa = get("elsa").header_lookup()
    assert elsa[normalise_header("PEx (post)")] == "permanent_exclusion_after"
    assert get("ebsa").header_lookup()[normalise_header("PASS self regard pre")] == (
        "pass_self_regard_pre"
    )


def test_demo_returns_are_declared_beside_the_definitions() -> None:
    from dspl_eval.initiatives import DEMOS

    for key, model in DEMOS.items():
        assert isinstance(model, DemoModel), key
        assert model.cost is not None and model.cost.amount_gbp > 0
        assert all(isinstance(r, DemoReturn) for r in model.returns)
