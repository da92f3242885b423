"""The threshold-share block: a yes/no condition per item, before vs after support.

A condition turns an item's answers into yes / no (missing stays missing): agreeing
(a Likert answer of 4 or more), a concern (a PASS percentile below 31), a high band (SDQ
total difficulties 16 or more), "no worry" (an answer of 0). Per item the block gives the
people with the condition before and after among those answering both times, the shares
with Wilson score intervals, and McNemar's exact test (:func:`dspl_eval.stats.mcnemar`,
checked against R ``mcnemar.exact``/``binom.test``) Holm-adjusted over the items
(:func:`holm_with_source`, R ``p.adjust(method = "holm")``). An exact p-value is shown only
when every discordant count it pins down may be (:class:`dspl_eval.reporting.PValue`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd

from dspl_eval import measures, plots
from dspl_eval import reporting as rp
from dspl_eval.reporting import Context, FlagChange, PValue, Share, Shown

Condition = Callable[[pd.Series], pd.Series]


def condition_changes(
    ctx: Context,
    items: Sequence[tuple[str, str, str]],
    condition: Condition,
    data: pd.DataFrame | None = None,
) -> list[FlagChange]:
    """Per item ``(before column, after column, label)``: the people meeting ``condition``
    before and after (:func:`dspl_eval.reporting.flag_change`, McNemar on the pairs).

    ``condition`` maps a column (numbers, the processed scores) to booleans; missing
    answers stay missing whatever it returns for them. ``data``: rows of ``ctx.data`` to
    use (default all)."""
    frame = ctx.data if data is None else data
    out = []
    for before, after, label in items:
        flags = []
        for column in (before, after):
            values = frame[column].astype("Float64")
            flags.append(pd.Series(condition(values), index=frame.index).astype("boolean")
                         .where(values.notna()))  # fmt: skip
        out.append(rp.flag_change(ctx, flags[0], flags[1], label))
    return out


def absence_changes(
    ctx: Context, thresholds: measures.AbsenceThresholds, severe: bool = True
) -> list[FlagChange]:
    """Persistent (and, with ``severe``, severe) absence before vs after support
    (:func:`dspl_eval.measures.attendance` flags on ``attendance_before``/``_after`` or the
    sessions; McNemar on the pairs), labelled with their thresholds."""
    before = measures.attendance(ctx.data, "before", thresholds)
    after = measures.attendance(ctx.data, "after", thresholds)
    kinds = [("persistent_absence", "Persistent", thresholds.persistent)]
    if severe:
        kinds.append(("severe_absence", "Severe", thresholds.severe))
    return [
        rp.flag_change(ctx, before[flag], after[flag], f"{word} absence (missing {t:g}% or more)")
        for flag, word, t in kinds
    ]


def holm_with_source(pvalues: list[float]) -> tuple[list[float], list[int | None]]:
    """Holm-adjusted p-values (NaN left out of the family, as
    :func:`dspl_eval.reporting.family`) and, for each, the position of the raw p-value that
    sets it: Holm's ``p̃_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j))`` equals one scaled raw
    p-value (or 1), so publishing it publishes that p-value too. ``None`` where the value
    is 1 or NaN (it then pins no other item)."""
    finite = [i for i, p in enumerate(pvalues) if math.isfinite(p)]
    m = len(finite)
    adjusted: list[float] = [math.nan] * len(pvalues)
    source: list[int | None] = [None] * len(pvalues)
    order = sorted(finite, key=lambda i: pvalues[i])
    best, best_at = -1.0, None
    for rank, i in enumerate(order):
        scaled = (m - rank) * pvalues[i]
        if scaled > best:
            best, best_at = scaled, i
        adjusted[i] = min(1.0, best)
        source[i] = best_at if best < 1 else None
    return adjusted, source


def share_pvalues(changes: list[FlagChange], holm: bool = True) -> list[PValue]:
    """Each item's McNemar p — Holm-adjusted over the items when ``holm`` — with the sets
    it pins: its own discordant cells and those of the item whose p sets the adjusted
    value."""
    raw = [c.result.pvalue if c.n else math.nan for c in changes]
    if not holm:
        return [PValue(p, (c.better, c.worse)) for c, p in zip(changes, raw, strict=True)]
    adjusted, source = holm_with_source(raw)
    out = []
    for i, (c, p) in enumerate(zip(changes, adjusted, strict=True)):
        pinned = [c.better, c.worse]
        j = source[i]
        if j is not None and j != i:
            pinned += [changes[j].better, changes[j].worse]
        out.append(PValue(p, tuple(pinned)))
    return out


def p_column(changes: list[FlagChange], family: str | None) -> str:
    """``p (McNemar exact, Holm over 6 confidence items)``, or ``McNemar p`` (no family)."""
    if not family:
        return "McNemar p"
    m = sum(1 for c in changes if c.n and math.isfinite(c.result.pvalue))
    return f"p (McNemar exact, Holm over {m} {family})"


def share_table(
    ctx: Context,
    changes: list[FlagChange],
    family: str | None = None,
    heading: str = "Measure",
    counted: str = "",
) -> Shown:
    """Per item: people answering both times (``n``), with the condition before and after,
    the shares with 95% Wilson intervals and McNemar's exact p (Holm over the items when
    ``family`` names them; shown only when every discordant count it pins may be).

    Columns: ``n``, ``"<counted> before"``, ``"<counted> after"`` (counts of people; with
    ``counted=""`` just ``Before``/``After``), ``"% <counted> before (95% CI)"``,
    ``"% <counted> after (95% CI)"`` and :func:`p_column`."""
    word = f"{counted} " if counted else ""
    before, after = f"{word}before".capitalize(), f"{word}after".capitalize()
    column = p_column(changes, family)
    rows = [
        {
            heading: c.label,
            "n": c.n,
            before: c.before,
            after: c.after,
            f"% {word.lower()}before (95% CI)": Share(c.before, c.n),
            f"% {word.lower()}after (95% CI)": Share(c.after, c.n),
            column: p,
        }
        for c, p in zip(changes, share_pvalues(changes, holm=bool(family)), strict=True)
    ]
    return rp.gated_table(ctx, pd.DataFrame(rows).set_index(heading), ["n", before, after])


def share_sentence(
    ctx: Context, changes: list[FlagChange], words: str, family: str, items: str = "topics"
) -> str:
    """The item whose share with the condition rose most (among those the gate lets be
    shown), with McNemar (Holm-adjusted over the items), e.g. *The share who felt
    confident (agree or strongly agree) rose most for using visual support: from 38% to
    79% of the 24 teachers who answered both times (McNemar exact test, Holm-adjusted
    over the confidence items, p = .012).* ``words`` completes "the share who …"."""
    pvalues = dict(zip([c.label for c in changes], share_pvalues(changes), strict=True))
    showable = []
    for c in changes:
        if not c.n:
            continue
        _, before = ctx.gate.share(c.before, c.n)
        _, after = ctx.gate.share(c.after, c.n)
        if not (before.hidden or after.hidden):
            showable.append((c, before.value, after.value))
    if not showable:
        return (
            f"The share of {ctx.people} who {words} cannot be shown by "
            f"{items.removesuffix('s')}: a group would be too small to show without "
            f"identifying {ctx.people}."
        )
    best, before, after = max(showable, key=lambda t: t[2] - t[1])
    p = pvalues[best.label]
    issued = ctx.gate.pvalue(p.p, p.counts)
    test = (
        f"McNemar exact test, Holm-adjusted over the {family}, {rp.fmt_p(p.p)}"
        if not issued.hidden and math.isfinite(p.p)
        else "the exact test is not shown: it would reveal how many changed, a small number"
    )
    share = (
        f"from {100 * before:.0f}% to {100 * after:.0f}% of the {ctx.count(best.n)} who "
        f"answered both times ({test})"
    )
    if after > before:
        return f"The share who {words} rose most for {best.label.lower()}: {share}."
    return (
        f"The share who {words} rose on none of the {items} that can be shown; "
        f"for {best.label.lower()} it went {share}."
    )


def show_shares(
    ctx: Context,
    changes: list[FlagChange],
    title: str,
    family: str | None = None,
    heading: str = "Measure",
    counted: str = "",
    chart_label: str | None = None,
    sentence: str | None = None,
) -> None:
    """[``sentence``,] :func:`share_table` and before/after bars drawn from the same issued
    table (labelled ``chart_label``, default the title)."""
    if sentence:
        rp.show_markdown(sentence)
    table = share_table(ctx, changes, family, heading, counted)
    rp.show_table(ctx, table, title)
    word = f"{counted} " if counted else ""
    columns = [f"{word}before".capitalize(), f"{word}after".capitalize()]
    if all(not c.n or ctx.too_few(len(c.n)) for c in changes):
        return
    if not set(columns) <= set(table.frame.columns):  # the gate withheld the whole table
        return
    bars = table.frame[columns]
    bars.columns = ["Before", "After"]
    label = chart_label or title.removesuffix(" before and after support")
    plots.display(
        plots.category_bars(bars, label, noun=ctx.people, suppression_threshold=ctx.threshold)
    )
