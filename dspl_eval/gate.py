"""The disclosure gate: the one place that issues every number a commissioner may see.

One :class:`Gate` serves one report (an initiative, a term and an edition). Every count of
people the report prints — in a table, a sentence, alt text, a chart label, a share, a
p-value or a cost ratio — is asked of the gate **as the set of people it counts**, not as a
bare number. Because the gate holds the sets, it knows how the populations nest without
being told (returns ⊇ with a baseline ⊇ with both; a file's rows = kept + quarantined;
K of N and its complement), and it can attack what has been published the way an intruder
would, in the spirit of ``sdcTable::attack()`` / tau-ARGUS:

- **Atoms.** People are grouped by which published and hidden sets they belong to; each
  such group ("atom") has an unknown size ``x ≥ 0`` to the intruder.
- **What the intruder knows.** Every published count is an equation ``Σ x = count``; every
  hidden cell (``c``) is at least 1 (zeros are always shown, so ``c`` never hides a 0).
- **Disclosure.** A group of 1 to ``threshold − 1`` people whose size the equations and
  bounds pin down exactly: an atom, the difference of two published sets (a remainder or
  a complement), or a hidden cell. Bounds are found by integer programmes
  (:func:`scipy.optimize.milp`), with a linear-algebra short cut for groups the equations
  alone determine.

Decisions are **first come, first served and never retracted**: a value, once issued, is
fixed for the rest of the report, and a later request that would make any group
derivable is refused (shown as ``c`` with the reason *suppressed to protect another
figure*). A report therefore asks for its headline figures first. Tables are decided as a
whole: primary suppression of small cells, then the fewest, smallest extra cells until the
attack finds nothing.

Statistics are functions of counts: a mean, interval or effect size needs at least
``threshold`` people; a share needs both ``k`` and ``n − k`` to be 0 or at least the
threshold; an exact p-value needs every count behind it (the discordant cells too) to be 0
or at least the threshold, and publishing it publishes those counts; a cost per outcome
publishes the outcome's count. The analyst edition issues everything as it is.

Issued values are :class:`Issued` objects. The table renderer in :mod:`dspl_eval.reporting`
(``gated_table`` / ``show_table``) refuses bare numbers and any table the gate did not
issue; charts for commissioners take only issued tables (:mod:`dspl_eval.plots`).

Limits, stated plainly: the intruder is assumed to know which people share a pattern of
cells (the strongest assumption) but not the people themselves; bounds of hidden cells are
found by linear programmes, whose range contains the integer range (no case where they
differ was found by the exhaustive intruder in ``tests/test_gate.py``); every report has its
own gate, so figures are consistent within a report and its index entry, and different
initiatives count different people.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from dspl_eval.disclosure import AUDIENCES, SUPPRESSED, check_threshold
from dspl_eval.errors import ConfigError

SMALL = "small"  # hidden in its own right: 1 to threshold − 1 people, or from too few
PROTECTS = "protects"  # hidden only so that another hidden figure cannot be worked out
WITHHELD = "withheld"  # a whole table not shown: no safe way to show any of it
REASONS = {
    SMALL: "suppressed: fewer than {threshold} {people}",
    PROTECTS: "suppressed to protect another figure",
    WITHHELD: "not shown: no part of it could be shown without letting a small group be worked out",
}

Members = frozenset


@dataclass(frozen=True)
class Issued:
    """A number the gate has issued.

    Attributes
    ----------
    value : float
        The exact value (keep it inside the analysis; never print it directly).
    hidden : bool
        True when the reader sees ``c``.
    reason : str
        ``""`` when shown; :data:`SMALL` or :data:`PROTECTS` when hidden.
    kind : str
        ``"count"`` (people), ``"events"``, ``"statistic"``, ``"share"``, ``"pvalue"``,
        ``"money"``.
    """

    value: float
    hidden: bool
    reason: str = ""
    kind: str = "count"

    @property
    def shown(self) -> object:
        """What a table cell holds: ``"c"`` when hidden, else the value (ints as ints)."""
        if self.hidden:
            return SUPPRESSED
        if (
            isinstance(self.value, float)
            and self.value.is_integer()
            and self.kind
            in (
                "count",
                "events",
            )
        ):
            return int(self.value)
        return self.value

    def __int__(self) -> int:
        return int(self.value)

    def __repr__(self) -> str:  # never the hidden value, even at the end of a notebook cell
        return f"Issued({self.shown!r}, {self.kind}{', ' + self.reason if self.reason else ''})"

    def __str__(self) -> str:
        if self.hidden:
            return SUPPRESSED
        if self.kind in ("count", "events"):
            return f"{int(self.value):,}"
        return str(self.value)


@dataclass
class _Ledger:
    """Everything issued so far: the published sets (with their sizes) and hidden sets."""

    published: list[Members] = field(default_factory=list)
    hidden: dict[Members, str] = field(default_factory=dict)  # set → SMALL or PROTECTS
    decided: dict[Members, Issued] = field(default_factory=dict)
    families: list[Members] = field(default_factory=list)  # unions of each request's cells


def members_of(values: Iterable[Hashable]) -> Members:
    """A set of people as the gate takes it (any hashable identifiers)."""
    return frozenset(values)


class Gate:
    """Issue the numbers of one report for one edition (see the module docstring).

    Parameters
    ----------
    threshold : int, default 5
        Groups of 1 to ``threshold − 1`` people are never shown or derivable.
    audience : {"commissioner", "analyst"}
        The analyst edition issues every value as it is.
    people : str
        The plural noun of the people counted (for reasons and footnotes).
    """

    def __init__(
        self, threshold: int = 5, audience: str = "commissioner", people: str = "children"
    ) -> None:
        if audience not in AUDIENCES:
            raise ConfigError(f"audience {audience!r}: expected one of {', '.join(AUDIENCES)}")
        self.threshold = check_threshold(threshold)
        self.audience = audience
        self.people = people
        self._ledger = _Ledger()

    # ------------------------------------------------------------------ properties

    @property
    def commissioner(self) -> bool:
        return self.audience == "commissioner"

    def small(self, n: float) -> bool:
        """Whether ``n`` people is a small, non-zero group (1 to threshold − 1)."""
        return self.commissioner and 0 < n < self.threshold

    def ok_size(self, n: float) -> bool:
        """Whether a group of ``n`` people may be published: 0, or at least the threshold."""
        return not self.small(n)

    def reason_text(self, issued: Issued) -> str:
        """The reader's words for why a value is hidden (empty when it is shown)."""
        if not issued.hidden:
            return ""
        return REASONS[issued.reason].format(threshold=self.threshold, people=self.people)

    # ------------------------------------------------------------------ counts

    def count(self, members: Iterable[Hashable]) -> Issued:
        """Issue the size of one set of people (for a sentence or a single cell)."""
        return self.counts({"value": members})["value"]

    def counts(self, cells: Mapping[Hashable, Iterable[Hashable]]) -> dict[Hashable, Issued]:
        """Issue the sizes of several sets decided together (a table, a chart's bars).

        Cells of 1 to threshold − 1 people are hidden; then, as long as the attack finds a
        derivable small group, the smallest non-zero shown cell of this request whose
        hiding removes it is hidden too. A set issued before keeps its earlier decision, and
        one set asked under two labels gets one decision. When no choice of cells makes the
        request safe, every new cell is *withheld* (the caller shows none of them).
        """
        sets = {label: members_of(m) for label, m in cells.items()}
        if not self.commissioner:
            return {k: Issued(float(len(s)), False) for k, s in sets.items()}
        new = [s for s in dict.fromkeys(sets.values()) if s not in self._ledger.decided]
        if new:
            self._decide(new)
        return {label: self._ledger.decided[s] for label, s in sets.items()}

    def _decide(self, new: list[Members]) -> None:
        hidden = {s: SMALL for s in new if self.small(len(s))}
        family = frozenset().union(*new)
        withheld = False
        while self._attack(new, hidden, family) is not None:
            candidates = sorted(
                (s for s in new if s not in hidden and s),
                key=lambda s: (len(s), sorted(map(repr, s))),
            )
            chosen = self._first_fix(new, hidden, family, candidates)
            if chosen is None:
                withheld = True
                break
            hidden[chosen] = PROTECTS
        for s in new:
            if withheld:
                issued = Issued(float(len(s)), True, WITHHELD)
            else:
                issued = Issued(float(len(s)), s in hidden, hidden.get(s, ""))
            self._ledger.decided[s] = issued
            if issued.reason in (SMALL, PROTECTS):
                self._ledger.hidden[s] = issued.reason
            elif not issued.hidden:
                self._ledger.published.append(s)
        if not withheld:
            self._ledger.families.append(family)

    def _first_fix(
        self,
        new: list[Members],
        hidden: dict[Members, str],
        family: Members,
        candidates: list[Members],
    ) -> Members | None:
        """The first candidate whose hiding leaves no derivable small group; else the first
        candidate (hiding more may still be needed), or None when there is none."""
        for s in candidates:
            if self._attack(new, {**hidden, s: PROTECTS}, family) is None:
                return s
        return candidates[0] if candidates else None

    def events(self, n: float) -> Issued:
        """A count of events (suspensions, sessions): hidden when 1 to threshold − 1."""
        return Issued(float(n), self.small(n), SMALL if self.small(n) else "", "events")

    # ------------------------------------------------------------------ statistics

    def statistic(self, value: float, members: Iterable[Hashable]) -> Issued:
        """A mean, interval, effect size or median computed from ``members``: shown only
        when they are at least the threshold and their own count is not hidden."""
        s = members_of(members)
        decided = self._ledger.decided.get(s)
        hide = self.commissioner and (
            len(s) < self.threshold or (decided is not None and decided.hidden)
        )
        return Issued(float(value), hide, SMALL if hide else "", "statistic")

    def share(self, k: Iterable[Hashable], n: Iterable[Hashable]) -> tuple[Issued, Issued]:
        """A share k of n (and its interval): shown only when k and n − k are each 0 or at
        least the threshold and publishing both sizes lets no small group be derived.
        Returns ``(k issued, share issued)``; the share's value is k / n."""
        ks, ns = members_of(k), members_of(n)
        issued = self.counts({"k": ks, "n": ns, "rest": ns - ks})
        value = len(ks) / len(ns) if ns else math.nan
        hide = any(issued[x].hidden for x in ("k", "n", "rest"))
        return issued["k"], Issued(value, hide, SMALL if hide else "", "share")

    def pvalue(self, p: float, counts: Iterable[Iterable[Hashable]]) -> Issued:
        """An exact p-value (McNemar, binomial) that, with its n, pins down ``counts`` (the
        discordant cells for McNemar): shown only when each is 0 or at least the threshold,
        and then those counts count as published."""
        sets = [members_of(c) for c in counts]
        if not self.commissioner:
            return Issued(float(p), False, "", "pvalue")
        if any(self.small(len(s)) for s in sets):
            return Issued(float(p), True, SMALL, "pvalue")
        issued = self.counts({i: s for i, s in enumerate(sets)})
        hide = any(v.hidden for v in issued.values())
        return Issued(float(p), hide, PROTECTS if hide else "", "pvalue")

    def per_outcome(self, total: float, members: Iterable[Hashable]) -> Issued:
        """A ratio such as cost per child with an outcome: it reveals the count, so it is
        shown only when the count is."""
        s = members_of(members)
        count = self.count(s)
        value = total / len(s) if s else math.nan
        return Issued(value, count.hidden, count.reason, "money")

    # ------------------------------------------------------------------ the attack

    def _attack(
        self, new: list[Members], hidden: dict[Members, str], family: Members
    ) -> str | None:
        """A description of the first derivable small group, or None when there is none."""
        published = self._ledger.published + [s for s in new if s and s not in hidden]
        secret = {**self._ledger.hidden, **hidden}
        families = [*self._ledger.families, family]
        return attack(published, secret, self.threshold, families)


def attack(
    published: list[Members],
    hidden: Mapping[Members, str] | list[Members],
    threshold: int,
    families: Iterable[Members] = (),
) -> str | None:
    """Find a group of 1 to ``threshold − 1`` people whose size can be worked out.

    Parameters
    ----------
    published : list of frozenset
        The sets whose sizes are printed.
    hidden : mapping of frozenset to reason, or list of frozenset
        The sets shown as ``c``. A :data:`SMALL` cell is known to hold 1 to threshold − 1
        people, a :data:`PROTECTS` cell at least the threshold (the reader is told which);
        a cell given in a list only at least 1.
    threshold : int
    families : iterable of frozenset
        Unions of the cells of earlier requests (a table's rows together): their
        differences with published sets are tried too.

    Returns
    -------
    str or None
        ``None`` when nothing can be worked out; else a short description (no values).

    Notes
    -----
    Groups are people with the same pattern of membership ("atoms") and unions of them.
    A group's size is *worked out* when the published equations alone fix it — its
    indicator vector lies in the row space of the published sets — or, for a hidden cell,
    when the equations and the bounds above leave it one whole value (linear programmes).
    The fast checks try every atom, every difference of two overlapping published sets or
    request unions, and every hidden cell; an integer programme then searches every union
    of atoms at once for one in the row space with 1 to threshold − 1 people in it.
    """
    reasons = dict(hidden) if isinstance(hidden, Mapping) else dict.fromkeys(hidden, "")
    pub = list(dict.fromkeys(s for s in published if s and s not in reasons))
    hid = [s for s in dict.fromkeys(reasons) if s]
    everyone = frozenset().union(*pub, *hid)
    if not everyone:
        return None
    people = {p: i for i, p in enumerate(everyone)}
    extra = [f for f in dict.fromkeys(families) if f and f not in set(pub) and f <= everyone]
    all_sets = pub + hid + extra
    incidence = np.zeros((len(all_sets), len(people)), dtype=bool)
    for i, members in enumerate(all_sets):
        incidence[i, [people[p] for p in members]] = True
    # atoms: people with the same membership pattern; patterns is sets × atoms
    unique, sizes = np.unique(incidence.T, axis=0, return_counts=True)
    patterns = unique.T.astype(float)
    n_pub, n_hid = len(pub), len(hid)
    a_eq, b_eq = patterns[:n_pub], incidence[:n_pub].sum(axis=1).astype(float)
    a_hid = patterns[n_pub : n_pub + n_hid]
    low = np.array([threshold if reasons[s] == PROTECTS else 1 for s in hid], dtype=float)
    high = np.array([threshold - 1 if reasons[s] == SMALL else np.inf for s in hid])
    null = _null_space(a_eq, len(sizes))

    def determined(vectors: np.ndarray) -> np.ndarray:
        if null.size == 0:
            return np.ones(len(vectors), dtype=bool)
        return np.abs(vectors @ null).max(axis=1, initial=0) < 1e-9

    small_atoms = (sizes > 0) & (sizes < threshold)
    if small_atoms.any() and determined(np.eye(len(sizes))[small_atoms]).any():
        return "a group of people in the same published cells"
    compared = np.vstack([patterns[:n_pub], patterns[n_pub + n_hid :]]).astype(bool)
    if len(compared) > 1:
        counts = compared.astype(np.int64) * sizes
        inc = compared.astype(np.int64)
        overlap = counts @ inc.T  # |s ∩ t|
        size_of = counts.sum(axis=1)
        diff = size_of[:, None] - overlap  # |s − t|
        rows, cols = np.nonzero((diff > 0) & (diff < threshold) & (overlap > 0))
        if len(rows) and determined((compared[rows] & ~compared[cols]).astype(float)).any():
            return "the difference of two published figures"
    hidden_sizes = (a_hid * sizes).sum(axis=1) if n_hid else np.zeros(0)
    for k, s in enumerate(hid):
        if reasons[s] == PROTECTS:
            continue  # known to be ≥ threshold: pinning it reveals no small group itself
        v = a_hid[k]
        if determined(v[None, :])[0]:
            return "a suppressed cell"
        if _one_step_free(k, a_eq, a_hid, sizes, hidden_sizes, low, high):
            continue
        if _pinned(v, len(s), a_eq, b_eq, a_hid, low, high):
            return "a suppressed cell"
    if n_pub and _small_union_in_row_space(a_eq, sizes, threshold):
        return "a group made of several published figures"
    return None


def _one_step_free(
    k: int,
    a_eq: np.ndarray,
    a_hid: np.ndarray,
    sizes: np.ndarray,
    hidden_sizes: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> bool:
    """A quick proof that hidden cell ``k`` is not pinned: one person moved between two
    atoms in exactly the same published cells keeps every published count, keeps every
    hidden cell within its bounds and changes cell ``k`` by one (starting from the true
    sizes, which fit everything). When no such move exists the linear programmes decide."""
    inside = a_hid[k] > 0
    published_pattern = [tuple(col) for col in a_eq.T.astype(int)] if len(a_eq) else None
    groups: dict[tuple, list[int]] = {}
    for atom in range(len(sizes)):
        key = published_pattern[atom] if published_pattern is not None else ()
        groups.setdefault(key, []).append(atom)
    for atoms in groups.values():
        ins = [a for a in atoms if inside[a]]
        outs = [a for a in atoms if not inside[a]]
        for a in ins:
            for b in outs:
                for source, target in ((a, b), (b, a)):
                    if sizes[source] < 1:
                        continue
                    change = a_hid[:, target] - a_hid[:, source]
                    moved = hidden_sizes + change
                    if np.all(moved >= low) and np.all(moved <= high):
                        return True
    return False


def _small_union_in_row_space(a_eq: np.ndarray, sizes: np.ndarray, threshold: int) -> bool:
    """Whether some union of atoms with 1 to threshold − 1 people has a size fixed by the
    published equations: an integer programme over z ∈ {0, 1}^atoms and real y with
    ``Aᵀ y = z`` and ``1 ≤ sizes · z ≤ threshold − 1`` (feasible → such a group exists).
    A search that runs out of time counts as finding one (fail closed: hide more, never
    publish a figure that was not checked)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_pub, n_atoms = a_eq.shape
    if threshold <= 1:
        return False
    # variables: y (n_pub, free) then z (n_atoms, binary)
    link = np.hstack([a_eq.T, -np.eye(n_atoms)])
    size = np.concatenate([np.zeros(n_pub), sizes.astype(float)])
    constraints = [
        LinearConstraint(link, 0, 0),
        LinearConstraint(size[None, :], 1, threshold - 1),
    ]
    integrality = np.concatenate([np.zeros(n_pub), np.ones(n_atoms)])
    bounds = Bounds(
        np.concatenate([np.full(n_pub, -np.inf), np.zeros(n_atoms)]),
        np.concatenate([np.full(n_pub, np.inf), np.ones(n_atoms)]),
    )
    result = milp(
        np.zeros(n_pub + n_atoms),
        constraints=constraints,
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": 5.0},
    )
    if result.status == 1:  # time limit reached without an answer: assume the worst
        return True
    return result.status == 0 and result.x is not None


def _null_space(a: np.ndarray, width: int) -> np.ndarray:
    """An orthonormal basis (columns) of the null space of ``a``."""
    if a.size == 0:
        return np.eye(width)
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > 1e-9 * max(1.0, s.max(initial=0))).sum())
    return vt[rank:].T


def _pinned(
    v: np.ndarray,
    actual: int,
    a_eq: np.ndarray,
    b_eq: np.ndarray,
    a_hid: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> bool:
    """Whether ``v · x`` can take only one whole value over every ``x ≥ 0`` that fits the
    published counts, with every hidden cell within its known bounds.

    Solved as linear programmes (HiGHS): the range found holds the integer range, so a
    cell is called pinned when at most one whole number lies in it. The true value
    ``actual`` is in the range, so the cell is free as soon as the range reaches one more
    or one fewer (usually the first programme, the maximum, settles it).
    """
    from scipy.optimize import linprog

    kwargs: dict = {"bounds": (0, None), "method": "highs"}
    if len(a_eq):
        kwargs.update(A_eq=a_eq, b_eq=b_eq)
    if len(a_hid):
        finite = np.isfinite(high)
        kwargs.update(
            A_ub=np.vstack([-a_hid, a_hid[finite]]), b_ub=np.concatenate([-low, high[finite]])
        )
    highest = linprog(-v, **kwargs)
    if highest.status == 3:
        return False  # unbounded above
    if highest.status == 0 and math.floor(-highest.fun + 1e-7) >= actual + 1:
        return False
    lowest = linprog(v, **kwargs)
    if lowest.status != 0:
        return False
    return math.ceil(lowest.fun - 1e-7) > actual - 1
