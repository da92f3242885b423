"""Report building blocks on the disclosure gate, driven by an initiative's definition.

Each block turns declared measures into sets of people, statistics, gated tables,
sentences and charts, so that an outcomes module holds only the wording of its own
instrument (or is not needed at all). The signatures are listed in ``/work/blocks-api.md``
and in each function's docstring; every number a block prints is issued by ``ctx.gate``.

- :mod:`~dspl_eval.blocks.items` — an item scale (items, levels, direction, sum or mean,
  minimum answered): the score, a per-item table (Wilcoxon signed-rank for ordinal items,
  Holm over the items), a forest chart and a sentence; Cronbach's α.
- :mod:`~dspl_eval.blocks.shares` — a condition per item (agreeing, a concern, a high
  band, "no worry"), before vs after: McNemar's exact test, Holm over the items.
- :mod:`~dspl_eval.blocks.profile` — counts of a category or flags, suppressed, with
  shares of those who answered.

Breakdowns (:func:`dspl_eval.reporting.breakdown`) and the standard ending
(:func:`dspl_eval.reporting.show_ending`) live in :mod:`dspl_eval.reporting`.
"""

from dspl_eval.blocks.items import (
    ItemScaleBlock,
    Reliability,
    alpha_words,
    item_alphas,
    item_scale,
    items_sentence,
    items_table,
    reliability_sentence,
    reliability_table,
    scale_of,
    score_sentence,
    show_alphas,
    show_items,
    significant_items,
    withheld,
)
from dspl_eval.blocks.profile import (
    answer_sentence,
    category_sets,
    flag_sets,
    profile_table,
    show_profile,
)
from dspl_eval.blocks.shares import (
    absence_changes,
    condition_changes,
    holm_with_source,
    share_pvalues,
    share_sentence,
    share_table,
    show_shares,
)
from dspl_eval.initiatives.base import ItemScale

__all__ = [
    "ItemScale",
    "ItemScaleBlock",
    "Reliability",
    "absence_changes",
    "alpha_words",
    "answer_sentence",
    "category_sets",
    "condition_changes",
    "flag_sets",
    "holm_with_source",
    "item_alphas",
    "item_scale",
    "items_sentence",
    "items_table",
    "profile_table",
    "reliability_sentence",
    "reliability_table",
    "scale_of",
    "score_sentence",
    "share_pvalues",
    "share_sentence",
    "share_table",
    "show_alphas",
    "show_items",
    "show_profile",
    "show_shares",
    "significant_items",
    "withheld",
]
