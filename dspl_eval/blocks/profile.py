"""Profile tables: how many people have each value of a category, or each of several
flags (a multi-select column: "the services that supported this child"), suppressed.

The counts of a table — every category, those with no answer and everyone in the returns —
are decided together by the gate, so no hidden cell can be worked out from the others.
A share is of the people who answered, with its 95% Wilson score interval
(:func:`dspl_eval.stats.proportion_ci`, checked against R ``prop.test(correct = FALSE)``),
shown only when both the people with that value and the rest of those who answered may be
(:meth:`dspl_eval.gate.Gate.share`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from dspl_eval import disclosure, plots, stats
from dspl_eval import reporting as rp
from dspl_eval.reporting import Context, Share, Shown

NOT_RECORDED = "Not recorded"
TOTAL = "Total (in the returns)"
SHARE_COLUMN = "% of those who answered (95% CI)"
SHARE_OF_ALL = "% of everyone in the returns (95% CI)"


def category_sets(
    ctx: Context,
    column: str | pd.Series,
    order: Sequence[object] | None = None,
    labels: Mapping[object, str] | None = None,
) -> dict[str, frozenset]:
    """People per value of a category column (or Series on ``ctx.data``'s index).

    ``order``: the values to show, in order (default: the declared ``Column.allowed`` of
    the definition, else the values present, sorted); a value nobody has still gets a row.
    ``labels``: words for values (default: the value, first letter in capitals).
    Missing values are in no set (see :func:`profile_table`'s missing row)."""
    values = ctx.data[column] if isinstance(column, str) else column
    if order is None and isinstance(column, str):
        try:
            order = ctx.initiative.column(column).allowed or None
        except KeyError:
            order = None
    if order is None:
        order = sorted(values.dropna().astype(str).unique())
    text = values.astype("string")
    out = {}
    for value in order:
        label = (labels or {}).get(value, rp.capital(str(value)))
        out[label] = ctx.members(text.str.lower().eq(str(value).lower()))
    return out


def flag_sets(ctx: Context, flags: pd.DataFrame | Mapping[str, pd.Series]) -> dict[str, frozenset]:
    """People with each flag true (one column per flag, e.g. ``clean.multi_flags`` of a
    multi-select column, or a declared group of yes/no columns)."""
    return {
        str(name): ctx.members(pd.Series(values).astype("boolean").eq(True))
        for name, values in flags.items()
    }


def profile_table(
    ctx: Context,
    sets: Mapping[str, frozenset],
    heading: str,
    missing_label: str = NOT_RECORDED,
    total_label: str = TOTAL,
    share: bool = True,
    exclusive: bool = True,
) -> Shown:
    """People per category, those with none, and everyone in the returns (all decided by
    the gate together), with each category's share.

    Columns: ``<ctx.people, capitalised>`` (counts) and, when ``share``, the share of
    those who answered (``exclusive``: one category each) or of everyone in the returns
    (``exclusive=False``: flags, a person may be in several rows) with its 95% Wilson
    interval; ``z`` on the missing and total rows."""
    answered = frozenset().union(*sets.values()) if sets else frozenset()
    everyone = ctx.members()
    people = ctx.people.capitalize()
    base = answered if exclusive else everyone
    column = SHARE_COLUMN if exclusive else SHARE_OF_ALL
    rows = []
    for label, members in sets.items():
        row = {heading: label, people: members}
        if share:
            row[column] = Share(members, base)
        rows.append(row)
    for label, members in ((missing_label, everyone - answered), (total_label, everyone)):
        row = {heading: label, people: members}
        if share:
            row[column] = disclosure.NOT_APPLICABLE
        rows.append(row)
    return rp.gated_table(ctx, pd.DataFrame(rows).set_index(heading), [people])


def answer_sentence(
    ctx: Context, k: frozenset, answered: frozenset, words: str, what: str, missing: str
) -> str:
    """``k`` of those who answered, with the share and its Wilson interval, when the gate
    lets the share be shown (``k`` and ``answered − k`` both 0 or at least the threshold);
    else ``k`` of everyone in the returns when that may be shown; else why not.

    ``words`` completes "k of the n who answered …" ("found the amount of content just
    right"); ``what`` completes "No teachers have …" ("rated the amount of content");
    ``missing`` completes "… do not have …" ("an answer")."""
    if not answered:
        return f"No {ctx.people} have {what} yet."
    k_issued, shared = ctx.gate.share(k, answered)
    if not shared.hidden:
        low, high = stats.proportion_ci(len(k), len(answered))
        text = (
            f"{k_issued} of the {ctx.count(answered)} who answered ({100 * shared.value:.0f}%, "
            f"95% CI {100 * low:.0f}% to {100 * high:.0f}%) {words}"
        )
        rest = ctx.members() - answered
        if rest:
            issued = ctx.gate.count(rest)
            verb = "does" if not issued.hidden and issued.value == 1 else "do"
            text += f"; {ctx.count_words(issued)} in the returns {verb} not have {missing}"
        return text + "."
    everyone = ctx.members()
    issued = ctx.gate.counts({"k": k, "all": everyone})
    if not (issued["k"].hidden or issued["all"].hidden):
        return (
            f"{issued['k']} of the {ctx.count_words(issued['all'])} in the returns {words}. "
            "The share of those who answered is not shown: the rest of them are too few to "
            f"show without identifying {ctx.people}."
        )
    return (
        f"How many {words} cannot be shown: the group, or the rest of those who answered, "
        f"is too small to show without identifying {ctx.people} (or would let such a group "
        "be worked out from another figure)."
    )


def show_profile(
    ctx: Context,
    sets: Mapping[str, frozenset],
    heading: str,
    title: str,
    chart: bool = False,
    **table_options: object,
) -> Shown:
    """:func:`profile_table` shown under ``title``, with category bars of the same issued
    table when ``chart`` (the missing and total rows left out of the bars). Returns the
    table (for ``rp.finish``)."""
    table = profile_table(ctx, sets, heading, **table_options)
    rp.show_table(ctx, table, title)
    people = ctx.people.capitalize()
    shown = people in table.frame.columns  # not when the gate withheld the whole table
    if chart and shown and len(table.frame) > 2 and not ctx.gate.count(ctx.members()).hidden:
        bars = table.frame.iloc[:-2][[people]]
        plots.display(
            plots.category_bars(bars, title[:1].lower() + title[1:], noun=ctx.people,
                                suppression_threshold=ctx.threshold)
        )  # fmt: skip
    return table
