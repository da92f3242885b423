"""Wording of the Year 6/7 transition report that belongs to this initiative only.

Everything else — the worry score and the eleven areas (item-scale block), the share with
no worry (threshold-share block), the referral profile (profile tables), breakdowns and the
standard ending — is :mod:`dspl_eval.blocks` and :mod:`dspl_eval.reporting`, driven by the
definition (:mod:`dspl_eval.initiatives.transition`). Every count printed here is issued
by ``ctx.gate`` as a set of people.
"""

from __future__ import annotations

from dspl_eval import blocks
from dspl_eval import reporting as rp
from dspl_eval.initiatives.transition import WORRIES, WORRY_AREAS
from dspl_eval.reporting import Context

#: The family the eleven areas' p-values are Holm-adjusted over (named in the headings).
AREA_FAMILY = "worry areas"
SCORE_LABEL = "Total worry score (0-22)"
#: The yes/no characteristics of a referral: (heading, words for yes, words for no). Each
#: table's rows have words of their own, never a bare "Yes"/"No" (the audit compares rows of
#: the same name across tables).
FLAGS = {
    "ehcp": ("EHC plan", "Has an EHC plan", "No EHC plan"),
    "looked_after": ("Looked after", "Looked after", "Not looked after"),
    "other_agencies": (
        "Other agencies",
        "Working with other agencies",
        "Not working with other agencies",
    ),
    "previously_supported": (
        "Supported before",
        "Supported by a service before this referral",
        "Not supported before",
    ),
    "supported": ("Supported", "Supported by a service", "Not supported by a service"),
}


def flag_labels(column: str) -> dict[bool, str]:
    """``{True: words for yes, False: words for no}`` of a yes/no column (:data:`FLAGS`)."""
    _, yes, no = FLAGS[column]
    return {True: yes, False: no}


NO_RELIABLE_CHANGE = (
    "the worry questionnaire has no published reliability, so no reliable-change index "
    "can be worked out"
)


def referral_sentence(ctx: Context) -> str:
    """*138 children were referred by 25 primary schools (of the 28 expected to refer).*

    The number of schools is of schools, not children; the schools expected come from the
    settings file (``expected.transition``), when it lists them."""
    schools = ctx.data["school"].dropna().unique() if "school" in ctx.data else []
    expected = tuple(getattr(ctx.settings, "expected", {}).get(ctx.key, ()))
    of = f" (of the {len(expected)} expected to refer)" if expected else ""
    s = "" if len(schools) == 1 else "s"
    return (
        f"{rp.capital(ctx.count(ctx.members()))} were referred {ctx.period_words} by "
        f"{len(schools)} primary school{s}{of}."
    )


def services_sentence(ctx: Context, supported: Context, services: dict[str, frozenset]) -> str:
    """How many referred children were supported (share of those with an answer) and by
    how many of the services (a count of services, not of children)."""
    answered = ctx.members(ctx.data["supported"].notna())
    text = blocks.answer_sentence(
        ctx, supported.members(), answered, "were supported by a service",
        "a record of whether they were supported", "that record",
    )  # fmt: skip
    used = sum(1 for members in services.values() if members)
    if used:
        text += (
            f" Between them, {used} of the {len(services)} services supported the referred "
            "children (a child may have several)."
        )
    return text


def methods() -> list[str]:
    """The instrument's lines for *Methods and caveats*."""
    return [
        f"Worries about the move: each child rates {len(WORRY_AREAS)} areas ("
        + rp.join_words(list(WORRY_AREAS.values()))
        + ") as no worry (0), a little (1) or a lot (2), before support and after it. The "
        f"total worry score is the sum (0-{2 * len(WORRY_AREAS)}; lower is better), worked "
        f"out when at least {WORRIES.min_answered} of the {len(WORRY_AREAS)} areas are "
        "answered; where some are not, it is pro-rated (the mean of the answered areas "
        f"× {len(WORRY_AREAS)}), so a missing answer does not lower it.",
        "The answers are ordered words, so the total and each area are tested with the "
        "Wilcoxon signed-rank test, with the Hodges–Lehmann median change beside the mean "
        f"change; the {len(WORRY_AREAS)} areas are one family (Holm). The share with no "
        "worry is compared with McNemar's exact test (the same children before and after), "
        f"Holm-adjusted over the {len(WORRY_AREAS)} areas; 'no worry in any area' means a "
        "total of 0 (no worry in every area answered).",
        "Only supported children are asked again after support, so every before-and-after "
        "figure is of supported children; the referral profile is of everyone referred.",
    ]
