"""Published norm SDs and test–retest reliabilities for the reliable change index.

The fixed inputs of every RCI (:class:`InstrumentNorm`, :data:`RELIABLE_CHANGE_NORMS`,
:func:`reliable_change_norm`), kept apart from :mod:`dspl_eval.measures` so that reading
a settings file (which lists them) does not import SciPy and statsmodels: the batch's own
process reads the settings before any report starts. :mod:`dspl_eval.measures` re-exports
every name here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

NAN = math.nan

_MELTZER_2000 = (
    "Meltzer, Gatward, Goodman & Ford (2000), Mental health of children and adolescents in "
    "Great Britain (ONS): British norms, 5-15 year olds, sdqinfo.org/norms/UKSchoolNorm.html"
)
_GOODMAN_2001_RETEST = (
    "Goodman (2001) J Am Acad Child Adolesc Psychiatry 40:1337-1345, abstract: retest "
    "stability after 4 to 6 months, mean 0.62 over scales and informants"
)


@dataclass(frozen=True)
class InstrumentNorm:
    """Published norm SD and test–retest reliability of one scale, for the RCI.

    Attributes
    ----------
    instrument, informant, scale : str
        E.g. ``"sdq"``, ``"teacher"``, ``"total_difficulties"``.
    sd : float or None
        Standard deviation in the normative sample (None: none published).
    reliability : float or None
        Test–retest reliability (None: none published → no RCI).
    sd_source, reliability_source : str
        Where each number comes from.
    verified : bool
        True when the SD was read from a published table while writing this module;
        False when it was entered from the norms' known values but not re-checked against
        the source text (check before relying on it; see the report of issue 11).
    """

    instrument: str
    informant: str
    scale: str
    sd: float | None
    reliability: float | None
    sd_source: str
    reliability_source: str
    verified: bool = True

    @property
    def available(self) -> bool:
        """Both numbers are published, so a reliable change index can be given."""
        return self.sd is not None and self.reliability is not None

    @property
    def threshold(self) -> float:
        """Change in points needed to be reliable: ``1.96 · sd · sqrt(2 (1 − r))``; NaN
        when not available. The same every term (it never uses the cohort)."""
        if not self.available:
            return NAN
        from dspl_eval import stats

        return stats.reliable_change_threshold(self.sd, self.reliability)


def _sdq_norm(informant: str, scale: str, sd: float, source: str, verified: bool):
    return InstrumentNorm("sdq", informant, scale, sd, 0.62, source, _GOODMAN_2001_RETEST,
                          verified)  # fmt: skip


_TEACHER_SRC = (
    f"{_MELTZER_2000}; teacher sample n = 8,208, reprinted in Qual Life Res / PMC4830858 "
    "Table 2 (UKNorm1.pdf)"
)

#: The one place for reliable-change inputs: (instrument, informant, scale) → norm.
#: SDQ: British norm SDs by informant (Meltzer et al. 2000 via sdqinfo.org) and the
#: Goodman (2001) 4–6-month retest stability (0.62, the published mean; the paper's
#: per-scale table was not available here). Boxall: no published norm SD or
#: reliability (MEASURES.md), so no RCI. Override by passing your own mapping.
RELIABLE_CHANGE_NORMS: dict[tuple[str, str, str], InstrumentNorm] = {
    ("sdq", "teacher", "total_difficulties"): _sdq_norm(
        "teacher", "total_difficulties", 6.0, _TEACHER_SRC, True
    ),
    ("sdq", "teacher", "emotional"): _sdq_norm("teacher", "emotional", 1.9, _TEACHER_SRC, True),
    ("sdq", "teacher", "conduct"): _sdq_norm("teacher", "conduct", 1.6, _TEACHER_SRC, True),
    ("sdq", "teacher", "hyperactivity"): _sdq_norm(
        "teacher", "hyperactivity", 2.8, _TEACHER_SRC, True
    ),
    ("sdq", "teacher", "prosocial"): _sdq_norm("teacher", "prosocial", 2.4, _TEACHER_SRC, True),
    ("sdq", "parent", "total_difficulties"): _sdq_norm(
        "parent",
        "total_difficulties",
        5.8,
        f"{_MELTZER_2000}; parent sample n = 10,298 (mean 8.4, SD 5.8)",
        False,
    ),
    ("sdq", "self", "total_difficulties"): _sdq_norm(
        "self",
        "total_difficulties",
        5.2,
        f"{_MELTZER_2000}; self-report 11-15 year olds n = 4,228 (mean 10.3, SD 5.2)",
        False,
    ),
}

#: Instruments known to have no published norm SD or test–retest reliability at all
#: (any scale): the Boxall Profile (MEASURES.md).
NO_PUBLISHED_NORMS = ("boxall",)


def reliable_change_norm(
    instrument: str,
    informant: str,
    scale: str = "total_difficulties",
    norms: Mapping[tuple[str, str, str], InstrumentNorm] | None = None,
) -> InstrumentNorm:
    """The published RCI inputs for a scale, from :data:`RELIABLE_CHANGE_NORMS` (or
    ``norms``). An unknown combination gives an :class:`InstrumentNorm` with no numbers
    (``available`` False), so callers say "no RCI" rather than fail."""
    table = RELIABLE_CHANGE_NORMS if norms is None else norms
    key = (instrument.lower(), informant.lower(), scale)
    if key in table:
        return table[key]
    if instrument.lower() in NO_PUBLISHED_NORMS:
        words = ("no published norm SD (MEASURES.md)", "no published reliability (MEASURES.md)")
    else:
        words = ("no published norm configured", "no published reliability configured")
    return InstrumentNorm(instrument, informant, scale, None, None, *words)
