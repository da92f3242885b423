"""The item-scale block: a questionnaire block answered before and after support.

An :class:`~dspl_eval.initiatives.base.ItemScale` declares the items (before column, after
column, label), the answer levels, the direction (higher or lower is better), how answered
items combine into a score (sum or mean) and the fewest answered items for a score. From
it this block gives:

- the score before and after and its paired change (:attr:`ItemScaleBlock.score`);
- one paired outcome per item (:attr:`ItemScaleBlock.items`): ordinal items (word levels,
  Likert answers, percentiles) are tested with the Wilcoxon signed-rank test (R's
  ``wilcox.test`` rule) with the Hodges–Lehmann median change; the items are one family,
  Holm-adjusted (:func:`items_table`, the column names the test and the family);
- a forest chart of the item changes (:func:`show_items`), a sentence on how many items
  changed beyond chance (:func:`items_sentence`) and an ordinal change sentence for the
  score (:func:`score_sentence`);
- Cronbach's α of the items before and after (:func:`item_alphas`).

The statistics are :mod:`dspl_eval.stats` (checked there against R); Holm is
:func:`dspl_eval.stats.holm` (R ``p.adjust(method = "holm")``). Every count is issued by
``ctx.gate`` as a set of people.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dspl_eval import measures
from dspl_eval import reporting as rp
from dspl_eval.errors import ConfigError
from dspl_eval.gate import PROTECTS
from dspl_eval.initiatives.base import ItemScale
from dspl_eval.reporting import Context, PairedOutcome, Shown, Stat

#: The p-value below which an item counts as changed (after Holm's adjustment).
SIGNIFICANCE = 0.05


@dataclass
class ItemScaleBlock:
    """An item scale worked out for one report.

    Attributes
    ----------
    scale : ItemScale
        The declaration the block was built from.
    ctx : Context
        The report's context with the score columns added (same gate, same people).
    score_columns : tuple of str
        ``(f"{scale.name}_score_pre", f"{scale.name}_score_post")``.
    score : PairedOutcome or None
        The paired change of the score (None when built with ``score=False``).
    items : list of PairedOutcome
        One per item, in the declared order.
    family : str
        The family the items' p-values are Holm-adjusted over (named in headings),
        e.g. ``"confidence items"``.
    """

    scale: ItemScale
    ctx: Context
    score_columns: tuple[str, str]
    score: PairedOutcome | None
    items: list[PairedOutcome]
    family: str

    @property
    def item_columns(self) -> tuple[tuple[str, str, str], ...]:
        """``(before, after, label)`` per item, with the labels the block uses."""
        return tuple(
            (b, a, o.label) for (b, a, _), o in zip(self.scale.items, self.items, strict=True)
        )


def scale_of(ctx: Context, name: str) -> ItemScale:
    """The item scale ``name`` declared by the report's initiative
    (``Initiative.item_scales``); ConfigError naming the declared ones otherwise."""
    declared = getattr(ctx.initiative, "item_scales", ()) or ()
    for scale in declared:
        if scale.name == name:
            return scale
    names = ", ".join(s.name for s in declared) or "none"
    raise ConfigError(f"{ctx.key}: no item scale {name!r} is declared (declared: {names})")


def _direction(ctx: Context, before: str, scale: ItemScale) -> bool:
    """Whether higher is better for one item: its declared pair's direction, else the
    scale's."""
    pair_of = getattr(ctx.initiative, "pair_of", None)
    pair = pair_of(before) if pair_of else None
    if pair is not None and pair.higher_is_better is not None:
        return bool(pair.higher_is_better)
    return scale.higher_is_better


def item_scale(
    ctx: Context,
    scale: ItemScale | str,
    *,
    family: str | None = None,
    labels: Mapping[str, str] | Sequence[str] | None = None,
    score_label: str | None = None,
    score_scale: str = "ordinal",
    item_scale_kind: str = "ordinal",
    min_answered: int | None = None,
    decimals: int = 1,
    score: bool = True,
    data: pd.DataFrame | None = None,
) -> ItemScaleBlock:
    """Scores and paired outcomes of an item scale.

    Parameters
    ----------
    ctx : Context
    scale : ItemScale or str
        The declaration, or the name of one declared by the initiative (:func:`scale_of`).
    family : str
        The items' family in words, plural (``"confidence items"``); default
        ``f"{scale.name} items"``.
    labels : mapping or sequence of str
        Item labels for the report (by before column, or in order); default the
        declared labels.
    score_label : str
        The score's label; default ``scale.label``.
    score_scale, item_scale_kind : "ordinal" or "interval"
        How the score's and the items' changes are tested
        (:func:`dspl_eval.reporting.paired_outcome`): ordinal → Wilcoxon signed-rank and
        Hodges–Lehmann primary; interval → paired t.
    min_answered : int
        Overrides the declaration's fewest answered items for a score.
    decimals : int
        Decimals of means and changes.
    score : bool
        False for a profile of items with no total (PASS): no score is worked out.
    data : DataFrame
        Rows of ``ctx.data`` to use (e.g. one informant); default all.

    Returns
    -------
    ItemScaleBlock
    """
    if isinstance(scale, str):
        scale = scale_of(ctx, scale)
    names = [label for _, _, label in scale.items]
    if isinstance(labels, Mapping):
        names = [labels.get(b, n) for (b, _, _), n in zip(scale.items, names, strict=True)]
    elif labels is not None:
        if len(labels) != len(names):
            raise ConfigError(f"labels: expected {len(names)} item labels, got {len(labels)}")
        names = list(labels)
    columns = (f"{scale.name}_score_pre", f"{scale.name}_score_post")
    need = scale.min_answered if min_answered is None else min_answered
    full = ctx.data.copy()
    rows = full.index if data is None else data.index
    if score:
        for column, items in zip(columns, (scale.before, scale.after), strict=True):
            values = measures.item_scale_score(full.loc[rows], items, scale.combine, need)
            full[column] = values.reindex(full.index)
    view = ctx.with_data(full)
    subset = None if data is None else view.data.loc[rows]
    outcome = (
        rp.paired_outcome(
            view,
            *columns,
            score_label or scale.label,
            higher_is_better=scale.higher_is_better,
            decimals=decimals,
            scale=score_scale,
            data=subset,
        )
        if score
        else None
    )
    items = [
        rp.paired_outcome(
            view,
            before,
            after,
            name,
            higher_is_better=_direction(ctx, before, scale),
            decimals=decimals,
            scale=item_scale_kind,
            data=subset,
        )
        for (before, after, _), name in zip(scale.items, names, strict=True)
    ]
    return ItemScaleBlock(scale, view, columns, outcome, items, family or f"{scale.name} items")


# ----------------------------------------------------------------------------- sentences


def withheld(ctx: Context, members: frozenset, what: str) -> str | None:
    """Why figures computed from ``members`` (people with answers before and after) are
    not shown, or None when they may be."""
    if not members:
        return f"{what}: no {ctx.people} have answers before and after yet."
    issued = ctx.gate.count(members)
    if issued.hidden and issued.reason == PROTECTS and not ctx.too_few(len(members)):
        return (
            f"{what}: not shown, because the number of {ctx.people} with answers before and "
            "after would let a smaller group be worked out from another figure in this report."
        )
    if issued.hidden or ctx.too_few(len(members)):
        return (
            f"{what}: fewer than {ctx.threshold} {ctx.people} have answers before and after, "
            "so no figures are shown."
        )
    return None


def score_sentence(ctx: Context, outcome: PairedOutcome, what: str) -> str:
    """One sentence on an ordinal before/after measure: means, mean change with its 95% CI,
    the Hodges–Lehmann median change with its interval, the Wilcoxon p and g_av, e.g.
    *Self-rated understanding rose from 45% to 71% for the 24 teachers with answers before
    and after (mean change +26 points, 95% CI +21 to +31; median change +25 points, 95% CI
    +20 to +30; Wilcoxon signed-rank p < .001; effect size g_av 1.90, 1.30 to 2.50).*"""
    why = withheld(ctx, outcome.both, what)
    if why:
        return why
    r = outcome.result
    unit, dp = outcome.unit, outcome.decimals
    low, high = r.confidence_interval()
    mean_ci = f", 95% CI {rp.fmt_interval(low, high, '', dp)}" if math.isfinite(low) else ""
    parts = [f"mean change {rp.fmt_change(r.mean_diff, unit, dp)}{mean_ci}"]
    median = rp.median_change_text(outcome)
    if median != "x":
        parts.append(f"median change (Hodges–Lehmann) {median.replace(' (', ', 95% CI ', 1)}")
        parts[-1] = parts[-1].removesuffix(")")
    if math.isfinite(outcome.primary_pvalue):
        parts.append(f"Wilcoxon signed-rank {rp.fmt_p(outcome.primary_pvalue)}")
    effect = rp.effect_text(outcome)
    if effect != "x":
        parts.append(f"effect size g_av {effect.replace(' (', ', 95% CI ', 1).removesuffix(')')}")
    n = ctx.gate.count(outcome.both)
    text = (
        f"{what} {rp.direction_word(r.mean_diff)} from {rp.fmt(r.mean_pre, unit, dp)} to "
        f"{rp.fmt(r.mean_post, unit, dp)} for the {ctx.count_words(n)} with answers before "
        f"and after ({'; '.join(parts)})."
    )
    return text + rp.missing_sentence(ctx, outcome.without_follow_up, "no after answers yet")


def _shown(ctx: Context, outcome: PairedOutcome) -> bool:
    return bool(outcome.both) and withheld(ctx, outcome.both, outcome.label) is None


def _sign(outcome: PairedOutcome) -> float:
    """The sign of the change: the Hodges–Lehmann median change, else the mean change."""
    s = outcome.signed_rank
    if s is not None and math.isfinite(s.estimate) and s.estimate != 0:
        return s.estimate
    return outcome.result.mean_diff


def significant_items(ctx: Context, outcomes: list[PairedOutcome]) -> tuple[list[str], list[str]]:
    """Labels of the items (among those shown) that rose / fell with a Holm-adjusted
    primary-test p below :data:`SIGNIFICANCE`."""
    adjusted = rp.family(ctx, outcomes)
    up, down = [], []
    for o, p in zip(outcomes, adjusted, strict=True):
        if not _shown(ctx, o) or not (math.isfinite(p) and p < SIGNIFICANCE):
            continue
        (up if _sign(o) > 0 else down).append(o.label)
    return up, down


def items_sentence(
    ctx: Context,
    block: ItemScaleBlock | list[PairedOutcome],
    subject: str,
    topics: str = "topics",
    family: str | None = None,
) -> str:
    """How many items changed beyond chance (primary test, Holm over the items), e.g.
    *Confidence rose on all 6 topics by more than chance would explain (Wilcoxon
    signed-rank test, Holm-adjusted over the 6 confidence items, p < .05).*

    ``subject`` is what changed ("Confidence", "Worry"), ``topics`` the items in words
    (plural: "topics", "factors", "areas")."""
    outcomes = block.items if isinstance(block, ItemScaleBlock) else list(block)
    family = family or (block.family if isinstance(block, ItemScaleBlock) else "items")
    shown = [o for o in outcomes if _shown(ctx, o)]
    k = len(outcomes)
    if not shown:
        return (
            f"{subject} by {topics.removesuffix('s')}: not shown (too few {ctx.people} with "
            "answers before and after, or a number that would let a small group be worked out)."
        )
    up, down = significant_items(ctx, outcomes)
    tests = {o.primary_test for o in outcomes}
    test = (
        "Wilcoxon signed-rank test" if tests == {"Wilcoxon"} else f"{'/'.join(sorted(tests))} test"
    )
    test += f", Holm-adjusted over the {k} {family}"
    hidden = "" if len(shown) == k else f" ({k - len(shown)} of the {k} {topics} are not shown)"
    if not up and not down:
        return (
            f"{subject} did not change on any of the {k} {topics} by more than chance would "
            f"explain ({test}){hidden}."
        )
    parts = []
    if up:
        parts.append(f"rose on {'all' if len(up) == k else f'{len(up)} of the'} {k} {topics}")
    if down:
        parts.append(f"fell on {len(down)} ({'; '.join(d.lower() for d in down)})")
    return (
        f"{subject} {' and '.join(parts)} by more than chance would explain "
        f"({test}, p < .05){hidden}."
    )


# ----------------------------------------------------------------------------- table, chart


def items_table(ctx: Context, block: ItemScaleBlock) -> Shown:
    """:func:`dspl_eval.reporting.change_family_table` over the items: n, means, change
    with its unadjusted and simultaneous (Bonferroni) 95% intervals, the Hodges–Lehmann
    median change (ordinal items), g_av (+ = improvement) and the primary test's p
    Holm-adjusted over the items (the column says which test and which family)."""
    return rp.change_family_table(ctx, block.items, block.family)


def show_items(
    ctx: Context,
    block: ItemScaleBlock,
    title: str,
    subject: str | None = None,
    topics: str = "topics",
) -> None:
    """The sentence (when ``subject`` is given), the family table and a forest chart of
    the item changes with their unadjusted 95% intervals (the Hodges–Lehmann median for
    ordinal items, the mean otherwise): :func:`dspl_eval.reporting.show_change_table`."""
    if subject:
        rp.show_markdown(items_sentence(ctx, block, subject, topics))
    rp.show_change_table(ctx, block.items, title, family_name=block.family)


# ----------------------------------------------------------------------------- reliability


@dataclass(frozen=True)
class Reliability:
    """Cronbach's α of the items at one time point and the people it is computed from."""

    alpha: measures.CronbachAlpha
    members: frozenset


def item_alphas(ctx: Context, block: ItemScaleBlock | ItemScale) -> dict[str, Reliability]:
    """Cronbach's α of the items before and after (:func:`dspl_eval.measures.cronbach_alpha`,
    Cronbach 1951), both from the same people: those who answered every item both times,
    so the two values compare like with like."""
    scale = block.scale if isinstance(block, ItemScaleBlock) else block
    pre, post = ctx.data[list(scale.before)], ctx.data[list(scale.after)]
    complete = pre.notna().all(axis=1) & post.notna().all(axis=1)
    members = ctx.members(complete)
    return {
        "Before": Reliability(measures.cronbach_alpha(pre[complete]), members),
        "After": Reliability(measures.cronbach_alpha(post[complete]), members),
    }


def alpha_words(alpha: float) -> str:
    """α in plain words (George & Mallery 2003 rule of thumb; .70 is the usual minimum)."""
    if not math.isfinite(alpha):
        return "cannot be worked out"
    if alpha >= 0.9:
        return (
            "very high: the items hang together very closely, and some may ask nearly "
            "the same thing"
        )
    if alpha >= 0.8:
        return "good: the items hang together well, so one score summarises them fairly"
    if alpha >= 0.7:
        return "acceptable: the items hang together well enough to add up into one score"
    if alpha >= 0.6:
        return "questionable: read the score alongside the separate items"
    return (
        "low: the items do not hang together, so the score mixes different things; read "
        "the items one by one"
    )


def reliability_table(ctx: Context, alphas: dict[str, Reliability]) -> Shown:
    """α before and after with the people answering every item and a one-word reading."""
    rows = []
    for when, r in alphas.items():
        a = r.alpha
        rows.append(
            {
                "Questionnaire": when,
                "n": r.members,
                "Cronbach's α": Stat(rp.fmt(a.alpha, "", 2), r.members),
                "Reading": Stat(alpha_words(a.alpha).split(":")[0] if not a.reason else "x",
                                r.members),
            }
        )  # fmt: skip
    return rp.gated_table(ctx, pd.DataFrame(rows).set_index("Questionnaire"), ["n"])


def reliability_sentence(
    ctx: Context, alphas: dict[str, Reliability], occasion: str = "support"
) -> str:
    """Plain-words summary of α before and after (markdown bullets), e.g.
    *- Before the programme: α = 0.84, good: …* (``occasion``: "the programme")."""
    lines = []
    for when, r in alphas.items():
        a = r.alpha
        if not r.members or ctx.too_few(len(r.members)) or ctx.gate.count(r.members).hidden:
            lines.append(f"- {when} {occasion}: not shown (too few {ctx.people}, or a number "
                         "that would let a small group be worked out).")  # fmt: skip
        elif not math.isfinite(a.alpha):
            lines.append(f"- {when} {occasion}: α cannot be worked out ({a.reason}).")
        else:
            lines.append(
                f"- {when} {occasion}: α = {rp.fmt(a.alpha, '', 2)}, {alpha_words(a.alpha)}."
            )
    return "\n".join(lines)


def show_alphas(
    ctx: Context, alphas: dict[str, Reliability], title: str, occasion: str = "support"
) -> None:
    """The α sentence and table."""
    rp.show_markdown(reliability_sentence(ctx, alphas, occasion))
    rp.show_table(ctx, reliability_table(ctx, alphas), title)
