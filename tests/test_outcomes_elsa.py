"""ELSA report parts (dspl_eval.outcomes.elsa) on small hand-made processed frames.

Reference values are worked by hand in the comments, taken from R output pasted beside
them, or computed from published inputs (the SDQ norms). Leak tests build commissioner
contexts with ``reporting.from_frame`` in which a group of 1 to 4 children exists, run
every section the notebook runs, collect everything it would display (sentences, table
frames, chart data and alt text) and check that the group is neither shown nor derivable.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from dspl_eval import measures, plots, stats
from dspl_eval import reporting as rp
from dspl_eval.outcomes import elsa
from dspl_eval.reporting import Context, from_frame

SCALES = ("emotional", "conduct", "hyperactivity", "peer", "prosocial")
TERM = "2023-24-summer"  # last day 31 August 2024


def context(
    data: pd.DataFrame, audience: str = "analyst", threshold: int = 5, term: str = TERM
) -> Context:
    return from_frame("elsa", data, audience, threshold, term)


def sdq_frame(pre_totals, post_totals, informants=None) -> pd.DataFrame:
    """One row per child; the total is split over the four difficulty scales (≤ 10 each)."""
    rows = []
    informants = informants or ["teacher"] * len(pre_totals)
    for pre, post, who in zip(pre_totals, post_totals, informants, strict=True):
        row = {"sdq_informant": who, "sdq_impact_pre": 2, "sdq_impact_post": 1}
        for when, total in (("pre", pre), ("post", post)):
            parts = (
                [None] * 4 if total is None else [min(10, max(0, total - 10 * i)) for i in range(4)]
            )
            for scale, value in zip(SCALES[:4], parts, strict=True):
                row[f"sdq_{scale}_{when}"] = value
            row[f"sdq_prosocial_{when}"] = None if total is None else 5
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith("sdq_") and column != "sdq_informant":
            frame[column] = frame[column].astype("Int64")
    return frame


# ----------------------------------------------------------------------------- SDQ


def test_totals_and_informants_are_not_pooled():
    data = sdq_frame([20, 18, 16, 30, 25, 12], [15, 17, 10, 26, 20, None],
                     ["teacher", "teacher", "teacher", "parent", "parent", "teacher"])  # fmt: skip
    ctx = elsa.with_sdq_totals(context(data))
    assert ctx.data[elsa.TOTAL_PRE].tolist() == [20, 18, 16, 30, 25, 12]
    assert elsa.TOTAL_PRE not in data  # the input is not changed
    teacher = elsa.sdq_outcome(ctx, "teacher")
    reference = stats.paired_change([20, 18, 16, 12], [15, 17, 10, np.nan])
    assert teacher.n == reference.n == 3
    assert teacher.n_without_follow_up == 1
    assert teacher.result.mean_diff == pytest.approx(reference.mean_diff)  # (−5 −1 −6)/3
    assert teacher.result.mean_diff == pytest.approx(-4.0)
    assert teacher.scale == "interval" and teacher.primary_test == "paired t"
    parent = elsa.sdq_outcome(ctx, "parent")
    assert parent.n == 2 and parent.result.mean_diff == pytest.approx(-4.5)
    assert len(elsa.for_informant(ctx, "teacher").data) == 4
    # one gate for the whole report, whichever view a section is given
    assert elsa.for_informant(ctx, "teacher").gate is ctx.gate


def test_headline_effect_size_is_g_av_signed_so_that_plus_is_an_improvement():
    pre = [20, 18, 16, 22, 25, 19, 21, 17]
    post = [15, 17, 10, 20, 20, 16, 15, 16]
    ctx = elsa.with_sdq_totals(context(sdq_frame(pre, post)))
    outcome = elsa.sdq_outcome(ctx, "teacher")
    # g_av by hand (Lakens 2013): d_av = mean diff / mean of the two SDs, × (1 − 3/(8n − 9))
    a, b = np.array(pre, float), np.array(post, float)
    d_av = (b - a).mean() / ((a.std(ddof=1) + b.std(ddof=1)) / 2)
    g_av = d_av * (1 - 3 / (4 * 2 * len(a) - 9))
    assert outcome.effect.g == pytest.approx(-g_av)  # difficulties fell: + = improvement
    assert outcome.effect.g > 0
    table = rp.outcome_table(ctx, [outcome]).frame
    assert table.loc[outcome.label, rp.EFFECT_COLUMN].startswith(f"{-g_av:.2f} (")


def test_subscales_are_one_family_with_holm_over_the_named_test():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {f"sdq_{s}_{w}": rng.integers(0, 11, 12) for s in SCALES for w in ("pre", "post")}
    ).astype("Int64")
    data["sdq_informant"] = "teacher"
    ctx = elsa.with_sdq_totals(context(data))
    outcomes = elsa.subscale_outcomes(ctx, "teacher")
    table = rp.change_family_table(ctx, outcomes, elsa.SCALE_FAMILY).frame
    column = "p (paired t, Holm over 5 SDQ scales)"
    assert column in table.columns
    expected = stats.holm(
        [stats.paired_change(data[f"sdq_{s}_pre"], data[f"sdq_{s}_post"]).pvalue for s in SCALES]
    )
    assert table[column].tolist() == [rp.fmt_p(p) for p in expected]
    assert [o.higher_is_better for o in outcomes] == [False] * 4 + [True]


# ----------------------------------------------------------------------------- bands


# teacher bands of total difficulties: 0–11 / 12–15 / 16–18 / 19–40
PRE = [5, 10, 12, 13, 16, 17, 18, 19, 20, 25, 30, 30]
POST = [4, 8, 9, 12, 12, 15, 16, 16, 15, 22, 24, 30]


def test_band_counts_by_hand():
    ctx = elsa.with_sdq_totals(context(sdq_frame(PRE, POST)))
    frame = elsa.band_table(ctx).frame
    # before: 5, 10 close to average; 12, 13 slightly raised; 16, 17, 18 high; 5 very high
    assert frame["Before"].tolist() == [2, 2, 3, 5, 12]
    # after: 4, 8, 9 close; 12, 12, 15, 15 slightly raised; 16, 16 high; 22, 24, 30 very high
    assert frame["After"].tolist() == [3, 4, 2, 3, 12]
    movement = elsa.band_movement(ctx).frame.iloc[:, 0].tolist()
    # better: 12→9, 16→12, 17→15, 19→16, 20→15 (5); worse: none; same: 7
    assert movement == [5, 7, 0, 12]
    change = elsa.high_band_change(ctx)
    assert (len(change.before), len(change.after), len(change.n)) == (8, 5, 12)
    flags_pre = [t >= 16 for t in PRE]
    flags_post = [t >= 16 for t in POST]
    assert change.result.pvalue == stats.mcnemar(flags_pre, flags_post).pvalue


def test_band_counts_are_suppressed_for_commissioners():
    ctx = elsa.with_sdq_totals(context(sdq_frame(PRE, POST), audience="commissioner"))
    shown = elsa.band_table(ctx).frame
    assert shown.loc["Total", "Before"] == 12
    # every After band is 1–4; Before has one cell of 5 that would give the rest away
    assert (shown.drop(index="Total")["After"] == "c").all()
    hidden = shown.drop(index="Total")["Before"].eq("c")
    assert hidden.sum() >= 2  # never one hidden cell in a column with its total shown
    # the high-band sentence (8 of 12 before, 4 not) is withheld: 12 − 8 = 4 is small
    text = elsa.high_band_sentence(ctx)
    assert "too small to show" in text and not re.search(r"\b[1-4] of\b", text)


# ----------------------------------------------------------------------------- reliable change


def test_fixed_reliable_change_threshold_is_the_published_norm_formula():
    norm = elsa.reliable_norm("teacher")
    # UK teacher norms (Meltzer et al. 2000): total difficulties SD 6.0; Goodman (2001)
    # 4–6-month retest stability 0.62. Threshold = 1.96 · SD · sqrt(2 (1 − r)).
    assert (norm.sd, norm.reliability) == (6.0, 0.62)
    expected = 1.96 * 6.0 * math.sqrt(2 * (1 - 0.62))  # 10.2521...
    assert norm.threshold == pytest.approx(expected)
    assert expected == pytest.approx(10.2521, abs=1e-4)
    # the same every term: it does not move with the cohort
    low = elsa.reliable_change(elsa.with_sdq_totals(context(sdq_frame(PRE, POST))), "teacher")
    other = sdq_frame([30, 35, 40, 20], [29, 20, 28, 31])
    high = elsa.reliable_change(elsa.with_sdq_totals(context(other)), "teacher")
    assert low.threshold == high.threshold == pytest.approx(expected)
    # changes of −15 and −12 are reliable improvements, +11 a reliable deterioration,
    # −1 is not reliable (|change| ≤ 10.25)
    assert (high.n_improved, high.n_no_reliable_change, high.n_deteriorated) == (2, 1, 1)
    assert "10.3 points" in elsa.reliable_method("teacher")
    assert "Meltzer" in elsa.reliable_method("teacher")
    assert "Goodman (2001)" in elsa.reliable_method("teacher")


def test_reliable_change_table_counts_only_children_with_both_scores():
    data = sdq_frame([30, 35, 40, 20, 22], [29, 20, 28, 31, None])
    ctx = elsa.with_sdq_totals(context(data))
    summary = elsa.reliable_change(ctx, "teacher")
    assert summary.n == 4
    table = elsa.reliable_table(ctx, summary).frame.iloc[:, 0]
    assert table.tolist() == [2, 1, 1, 4]  # Total = 4 with both scores, not 5 rows


# ----------------------------------------------------------------------------- added value


def test_added_value_not_computed_for_teacher_ratings():
    ctx = context(sdq_frame([20, 18], [15, 17]))
    av = elsa.added_value(ctx)
    assert av.n == 0 and av.reason
    text = elsa.added_value_sentence(ctx, av)
    assert "not computed" in text and "parent-rated" in text
    assert not re.search(r"\d", text)  # no counts of informants in the reason


def test_added_value_for_parent_ratings_by_hand():
    data = sdq_frame([20, 18, 16, 12, 22], [15, 17, 10, 12, 20], ["parent"] * 5)
    av = elsa.added_value(context(data))
    # predicted = 2.3 + 0.8·T1 + 0.2·impact(2) − 0.3·emotional(T1 capped at 10)
    emotional = [min(10, t) for t in [20, 18, 16, 12, 22]]
    expected = [
        2.3 + 0.8 * t1 + 0.4 - 0.3 * e - t2
        for t1, e, t2 in zip([20, 18, 16, 12, 22], emotional, [15, 17, 10, 12, 20], strict=True)
    ]
    assert av.n == 5 and av.mean == pytest.approx(np.mean(expected))
    shown = elsa.added_value_table(context(data, audience="commissioner"), av).frame
    assert shown.loc["SDQ Added Value (parent-rated)", "n"] == 5
    small = elsa.added_value(context(data.iloc[:3]))
    commissioner = context(data.iloc[:3], audience="commissioner")
    assert "no figure is shown" in elsa.added_value_sentence(commissioner, small)
    hidden = elsa.added_value_table(commissioner, small).frame.iloc[0]
    assert hidden["n"] == "c" and hidden["Mean added value"] == "c"


# ----------------------------------------------------------------------------- exclusions

MONTH = pd.Timedelta(days=measures.DAYS_PER_MONTH)


def poisson_frame() -> pd.DataFrame:
    """Eight children each observed 100 months after support (follow-up end) and
    376.375 months before (their window): 800 and 3,011 child-months; 11 suspensions
    after and 21 before. A ninth child's support has not ended ("no follow-up yet") and
    a tenth ended after the term's last day: neither counts, whatever their counts say."""
    end = pd.Timestamp("2015-01-01")
    rows = [
        {"support_end": end, "follow_up_end": end + 100 * MONTH, "window_months": 376.375,
         "suspensions_before": b, "suspensions_after": a}
        for b, a in zip([4, 3, 5, 2, 4, 3, 0, 0], [3, 2, 0, 4, 2, 0, 0, 0], strict=True)
    ]  # fmt: skip
    rows.append({"support_end": pd.NaT, "follow_up_end": pd.NaT, "window_months": 6,
                 "suspensions_before": 3, "suspensions_after": 0})  # fmt: skip
    rows.append({"support_end": pd.Timestamp("2024-09-02"), "follow_up_end": pd.NaT,
                 "window_months": 6, "suspensions_before": 2, "suspensions_after": 0})  # fmt: skip
    frame = pd.DataFrame(rows)
    for column in ("suspensions_before", "suspensions_after"):
        frame[column] = frame[column].astype("Int64")
    frame["window_months"] = frame["window_months"].astype(float)
    return frame


def test_rate_ratio_on_person_months_equals_r_poisson_test_on_the_totals():
    ctx = context(poisson_frame())
    ex = elsa.exclusion_changes(ctx, window_months=6)
    r = ex.rate
    assert (r.events_after, r.events_before, r.n) == (11, 21, 8)
    assert r.exposure_after == pytest.approx(800.0)
    assert r.exposure_before == pytest.approx(3011.0)
    # R 4.2:  poisson.test(c(11, 21), c(800, 3011))
    #   rate ratio 1.971488, 95 percent CI 0.8584264 4.2772659, p-value = 0.07967
    assert r.estimate == pytest.approx(1.971488, abs=5e-7)
    assert r.pvalue == pytest.approx(0.07967, abs=5e-6)
    assert r.confidence_interval() == pytest.approx((0.8584264, 4.2772659), abs=5e-7)
    # the per-child robust ratio sits beside it: same estimate (independence GEE)
    assert ex.robust.estimate == pytest.approx(1.971488, abs=5e-6)
    assert ex.robust.n == 8 and ex.robust.se_log > 0
    # the two children without observed time after support are "no follow-up yet"
    assert len(ex.no_follow_up) == 2 and len(ex.used) == 8
    text = elsa.exclusion_sentence(ctx, ex)
    assert "3,011 child-months before" in text and "800.0 child-months after" in text
    assert "rate ratio of 1.97 (95% CI 0.86 to 4.28, exact test p = .080)" in text
    assert "robust interval" in text
    row = elsa.exclusion_table(ctx, ex).frame.iloc[0]
    assert row["Child-months before"] == "3,011" and row["Child-months after"] == "800.0"
    assert row["Rate ratio (95% CI, exact)"] == "1.97 (0.86 to 4.28)"
    assert "no follow-up yet" in elsa.follow_up_sentence(ctx, ex)


def short_follow_up_frame(n: int = 12, full: int = 0) -> pd.DataFrame:
    """Children whose support ended on 1 July 2024, followed up to 31 July (1.0 month
    after, well short of the 6-month window); the first ``full`` ended a year earlier and
    were followed to 1 July 2024 (a full window)."""
    end, follow = pd.Timestamp("2024-07-01"), pd.Timestamp("2024-07-31")
    frame = pd.DataFrame(
        {
            "support_end": [end - pd.Timedelta(days=365) if i < full else end for i in range(n)],
            "follow_up_end": [end if i < full else follow for i in range(n)],
            "suspensions_before": pd.array([1, 0] * (n // 2), dtype="Int64"),
            "suspensions_after": pd.array([1, 1, 0, 0] * (n // 4), dtype="Int64"),
            "permanent_exclusion_before": pd.array([False] * n, dtype="boolean"),
            "permanent_exclusion_after": pd.array([False] * n, dtype="boolean"),
        }
    )
    return frame


def test_time_at_risk_is_the_time_observed_not_the_window():
    ctx = context(short_follow_up_frame())
    ex = elsa.exclusion_changes(ctx, window_months=6)
    # 12 children × 30 days after (1 July to 31 July) = 360 days = 360 / 30.4375 months
    assert ex.rate.exposure_after == pytest.approx(12 * 30 / measures.DAYS_PER_MONTH)
    assert ex.rate.exposure_before == pytest.approx(12 * 6)
    # 6 after in 11.83 months vs 6 before in 72: R poisson.test(c(6, 6), c(360/30.4375, 72))
    reference = stats.rate_ratio(6, 12 * 30 / measures.DAYS_PER_MONTH, 6, 72)
    assert (
        ex.rate.estimate == pytest.approx(reference.estimate) == pytest.approx(72 / 11.8275, 1e-4)
    )
    # nobody has a full window after support: "any suspension" is not compared
    assert ex.any_suspension is None and ex.permanent is None
    assert "not compared" in elsa.comparison_sentence(ctx, ex)


def test_any_suspension_compared_only_over_full_windows():
    data = short_follow_up_frame(n=12, full=8)
    ctx = context(data)
    ex = elsa.exclusion_changes(ctx, window_months=6)
    assert len(ex.full_window) == 8
    change = ex.any_suspension
    assert len(change.n) == 8
    before = [1, 0] * 4
    after = [1, 1, 0, 0] * 2
    reference = stats.mcnemar([b > 0 for b in before], [a > 0 for a in after])
    assert change.result.pvalue == pytest.approx(reference.pvalue)
    assert "observed for the whole 6-month window" in elsa.comparison_sentence(ctx, ex)


def test_window_months_must_be_positive():
    with pytest.raises(Exception, match="window_months"):
        elsa.exclusion_changes(context(short_follow_up_frame()), 0)


# ----------------------------------------------------------------------------- suspension-free


def survival_frame() -> pd.DataFrame:
    end = pd.Timestamp("2024-01-01")
    # months: 1 (suspended), 2 (censored), 4 (suspended), 5 (censored), 7 (censored), and
    # one child followed up to the day support ended (no follow-up yet: left out)
    return pd.DataFrame(
        {
            "support_end": [end] * 6,
            "next_suspension_date": [end + MONTH, pd.NaT, end + 4 * MONTH, pd.NaT, pd.NaT,
                                     pd.NaT],
            "follow_up_end": [pd.NaT, end + 2 * MONTH, end + 6 * MONTH, end + 5 * MONTH,
                              end + 7 * MONTH, end],
        }
    )  # fmt: skip


def test_suspension_free_kaplan_meier_by_hand():
    ctx = context(survival_frame(), threshold=3)
    sf = elsa.suspension_free(ctx, (3, 6))
    assert sf.km.n == 5 and sf.km.n_events == 2 and len(sf.no_follow_up) == 1
    h3, h6 = sf.km.table.to_dict("records")
    # S(3) = 1 − 1/5 = 0.8, 3 still at risk (times 4, 5, 7); R survfit's log interval:
    # summary(survfit(Surv(c(1, 2, 4, 5, 7), c(1, 0, 1, 0, 0)) ~ 1), times = 3)
    # lower = 0.8 · exp(−1.96 · sqrt(1 / (5 · 4))), upper capped at 1
    assert h3["survival"] == pytest.approx(0.8) and h3["n_at_risk"] == 3
    assert 1 - h3["upper_ci"] == pytest.approx(0.8 * math.exp(-1.959964 * math.sqrt(1 / 20)))
    # at 6 months only 1 child is still at risk: fewer than the threshold (3), no estimate
    assert h6["n_at_risk"] == 1 and not h6["estimable"]
    shown = elsa.suspension_free_table(ctx, sf).frame
    column = "Still suspension-free (Kaplan–Meier, 95% CI)"
    assert shown.loc["3 months", column] == "80% (52% to 100%)"
    assert shown.loc["6 months", column] == "x"
    text = elsa.suspension_free_sentence(ctx, sf)
    assert "80% (52% to 100%) at 3 months" in text and "No estimate is given at 6 months" in text
    assert "at most" not in text and "runs to" not in text  # no maximum of follow-up


def test_suspension_free_without_dates():
    frame = survival_frame().assign(support_end=pd.NaT)
    sf = elsa.suspension_free(context(frame))
    assert "not computed" in elsa.suspension_free_sentence(context(frame), sf)


# ----------------------------------------------------------------------------- leak tests


PEOPLE = re.compile(r"(\d[\d,]*)\s+(?:children|child)\b")


def report_frame() -> pd.DataFrame:
    """24 children with a small group in every part of the report: 3 parent-rated
    (an informant of 1–4), 2 teacher-rated without an after score, 2 whose support has
    not ended, 3 with a reliable improvement, 1 with a further suspension."""
    rng = np.random.default_rng(11)
    n = 24
    informants = ["parent"] * 3 + ["teacher"] * (n - 3)
    pre = [int(v) for v in rng.integers(14, 26, n)]
    post = [p - int(d) for p, d in zip(pre, rng.integers(0, 6, n), strict=True)]
    post[3], post[4], post[5] = pre[3] - 13, pre[4] - 12, pre[5] - 14  # reliable improvers
    post[-1] = post[-2] = None  # teacher-rated, no after score yet
    data = sdq_frame(pre, post, informants)
    end = pd.Timestamp("2024-06-01")
    data["support_end"] = [pd.NaT, pd.NaT] + [end] * (n - 2)
    data["follow_up_end"] = [pd.NaT, pd.NaT] + [pd.Timestamp("2024-07-20")] * (n - 2)
    data["next_suspension_date"] = [pd.NaT] * (n - 1) + [pd.Timestamp("2024-06-20")]
    data["suspensions_before"] = pd.array(list(rng.integers(0, 3, n)), dtype="Int64")
    data["suspensions_after"] = pd.array(list(rng.integers(0, 2, n)), dtype="Int64")
    data["permanent_exclusion_before"] = pd.array([False] * n, dtype="boolean")
    data["permanent_exclusion_after"] = pd.array([False] * n, dtype="boolean")
    data["school"] = ["Oak"] * 12 + ["Ash"] * 10 + ["Elm"] * 2
    data["sex"] = ["female", "male"] * 12
    return data


def run_report(ctx: Context, monkeypatch) -> dict[str, list]:
    """Every section the notebook runs, in its order, collecting what it displays."""
    shown: dict[str, list] = {"text": [], "tables": [], "charts": []}
    monkeypatch.setattr(rp, "show_markdown", lambda text: shown["text"].append(text))
    monkeypatch.setattr(rp, "show_table", lambda c, table, caption: shown["tables"].append(table))
    monkeypatch.setattr(plots, "display", lambda chart: shown["charts"].append(chart))
    ctx = elsa.with_sdq_totals(ctx)
    teacher = elsa.for_informant(ctx, "teacher")
    teacher_sdq = elsa.sdq_outcome(ctx, "teacher")
    parent_sdq = elsa.sdq_outcome(ctx, "parent")
    subscales = elsa.subscale_outcomes(ctx, "teacher")
    rci = elsa.reliable_change(ctx, "teacher")
    av = elsa.added_value(ctx)
    ex = elsa.exclusion_changes(ctx, 6)
    sf = elsa.suspension_free(ctx, (3, 6))
    shown["text"] += [
        rp.coverage_sentence(ctx),
        rp.outcome_sentence(ctx, teacher_sdq),
        elsa.reliable_sentence(ctx, rci, teacher_sdq, "teacher-rated"),
        elsa.high_band_sentence(teacher),
        elsa.exclusion_sentence(ctx, ex),
        elsa.informant_sentence(ctx),
    ]
    rp.show_outcome(ctx, teacher_sdq)
    rp.show_outcome(ctx, parent_sdq, charts=("before_after",))
    elsa.show_subscales(ctx, subscales, "teacher")
    elsa.show_bands(teacher)
    elsa.show_reliable_change(ctx, rci, "SDQ total difficulties (teacher-rated)", "teacher")
    elsa.show_added_value(ctx, av)
    elsa.show_exclusions(ctx, ex)
    elsa.show_suspension_free(ctx, sf)
    elsa.show_breakdowns(ctx, teacher_sdq)
    elsa.value_for_money(ctx, rci)
    tables = elsa.summary_tables(ctx, teacher, [teacher_sdq, parent_sdq], rci, ex, av, sf)
    shown["tables"] += [table for _, table in tables.values()]
    shown["objects"] = [ctx, teacher_sdq, parent_sdq, rci, ex]
    return shown


def _published_counts(shown: dict[str, list]) -> list[object]:
    values = []
    for table in shown["tables"]:
        for column in table.counts:
            values += table.frame[column].tolist()
    for chart in shown["charts"]:
        for column in chart.counts:
            values += chart.data[column].tolist()
    texts = shown["text"] + [chart.alt for chart in shown["charts"]]
    for text in texts:
        values += [int(m.replace(",", "")) for m in PEOPLE.findall(text)]
    return values


@pytest.mark.parametrize("threshold", [5, 10])
def test_no_count_of_one_to_threshold_minus_one_is_shown(monkeypatch, threshold):
    ctx = context(report_frame(), audience="commissioner", threshold=threshold)
    shown = run_report(ctx, monkeypatch)
    values = _published_counts(shown)
    assert values  # the report does publish counts
    bad = [v for v in values if v != "c" and isinstance(v, int) and 0 < v < threshold]
    assert not bad
    assert all(not chart.per_person for chart in shown["charts"])
    for text in shown["text"]:  # no maxima or "follow-up runs to" wording
        assert "at most" not in text and "runs to" not in text
    # charts for commissioners are drawn only from issued aggregate tables
    kinds = {chart.kind for chart in shown["charts"]}
    assert kinds <= {"means", "histogram", "category_bars", "forest"}
    if threshold == 5:
        assert {"means", "category_bars"} <= kinds
        _no_small_group_derivable(shown)


def _no_small_group_derivable(shown: dict[str, list]) -> None:
    full, teacher_sdq, _, rci, ex = shown["objects"]
    gate = full.gate
    # the small groups of the frame, as sets
    small = {
        "parent-rated": full.members(elsa._informants(full).eq("parent")),
        "teacher-rated without an after score": teacher_sdq.without_follow_up,
        "no follow-up yet": ex.no_follow_up,
        "reliable improvement": elsa.reliable_sets(full, rci)["Improved"],
    }
    for name, members in small.items():
        assert 0 < len(members) < 5, name
        assert gate.count(members).hidden, name  # not shown directly
    # an intruder's attack over everything the gate published finds nothing
    from dspl_eval.gate import attack

    assert attack(gate._ledger.published, gate._ledger.hidden, 5) is None
    # and the obvious differences are not both published
    pairs = [
        (full.members(elsa._informants(full).eq("teacher")), teacher_sdq.with_pre),
        (teacher_sdq.with_pre, teacher_sdq.both),
        (full.members(), ex.used | ex.missing_counts),
    ]
    for bigger, smaller in pairs:
        diff = len(bigger - smaller)
        if 0 < diff < 5:
            assert gate.count(bigger).hidden or gate.count(smaller).hidden
    # a cost per reliable improvement would reveal the small count: it is not shown
    text = " ".join(shown["text"])
    assert str(len(small["reliable improvement"])) + " improved" not in text


def test_analyst_edition_shows_everything_and_per_person_charts(monkeypatch):
    shown = run_report(context(report_frame(), audience="analyst"), monkeypatch)
    assert any(chart.per_person for chart in shown["charts"])
    assert "c" not in _published_counts(shown)
