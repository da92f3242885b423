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

How it stays fast (the attack is over atoms, not people): people who belong to exactly
the same sets are interchangeable, so the gate keeps them as one atom with a multiplicity,
splitting atoms as new sets arrive (:class:`_Atoms`); each attack merges the atoms its
sets do not tell apart. Cheap exact checks come first (atoms, differences, a one-step move
that frees a hidden cell, feasible points kept from earlier programmes), the
linear programmes are solved for several cells at once, attack results are remembered,
and the small-union search is remembered per set of published figures (a subset of a safe
set is safe), split into independent parts and answered by disjoint bases or by listing
before any integer programme runs. Decisions are the same as when every attack was built
over people (``tests/test_gate_atoms.py`` compares them with that gate).

Limits, stated plainly: the intruder is assumed to know which people share a pattern of
cells (the strongest assumption) but not the people themselves; bounds of hidden cells are
found by linear programmes, whose range contains the integer range (no case where they
differ was found by the exhaustive intruder in ``tests/test_gate.py``); every report has its
own gate, so figures are consistent within a report and its index entry, and different
initiatives count different people.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from dspl_eval.disclosure import AUDIENCES, SUPPRESSED, check_threshold
from dspl_eval.errors import ConfigError, DisclosureError

try:  # optional: keeps the numerical libraries to one thread for the gate's small matrices
    from threadpoolctl import ThreadpoolController as _ThreadpoolController
except ImportError:  # pragma: no cover - without it they may spread over every core
    _ThreadpoolController = None

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
    known: list[Members] = field(default_factory=list)  # sizes known from another pack


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
        self._atoms = _Atoms()
        self._memo: dict[tuple, str | None] = {}
        self._unions: dict[frozenset, bool] = {}
        self._safe_unions: list[frozenset] = []
        self._leaking_unions: list[frozenset] = []
        self._witness_pool: list[np.ndarray] = []
        self._witness_version = -1
        self._other_packs: dict[Members, bool] = {}

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

    # ------------------------------------------------------------------ other packs

    def known(self, sets: Iterable[Iterable[Hashable]]) -> None:
        """Sets of people whose exact sizes an intruder already knows from another pack
        (the term packs, when this gate builds the year pack).

        Every attack counts them like published sets. A known set may hold people who are
        not in this report (a term's quarantined rows, a child who left): they are kept as
        people of their own, in atoms of their own, not cut away. Cutting them away would
        claim the intruder knows the size of the part inside this report, which they do
        not, and it would miss a leak: a set published here that leaves a few of those
        people as the difference with a known set. A known set asked again is shown (its
        size is out already) and is listed by :meth:`ledger`.

        Call it before anything is published. Raises DisclosureError when the known sets,
        with what this gate has published so far, already let a small group be worked
        out: no figure of this report could then be shown safely, and that is said, not
        left to a report of withheld tables.
        """
        added = [s for s in dict.fromkeys(members_of(m) for m in sets) if s]
        fresh = [s for s in added if s not in self._ledger.known]
        if not fresh:
            return
        self._ledger.known.extend(fresh)
        for s in fresh:
            self._ledger.decided.setdefault(s, Issued(float(len(s)), False))
        if not self.commissioner:
            return
        _UNION_SECONDS[0], before = _KNOWN_SECONDS, _UNION_SECONDS[0]
        try:
            found = self._attack([], {}, frozenset())
        finally:
            _UNION_SECONDS[0] = before
        if found is not None and not self._proven_leak():
            raise DisclosureError(
                f"the sets of {self.people} known from other packs could not be checked "
                f"within {_KNOWN_SECONDS:.0f} s (the search for a group of fewer than "
                f"{self.threshold} {self.people} they would give away ran out of time), so "
                "no figure of this report is shown: run it again on a less busy machine"
            )
        if found is not None:
            raise DisclosureError(
                f"the sets of {self.people} known from other packs already let a group of "
                f"fewer than {self.threshold} {self.people} be worked out ({found}; for example a "
                "term pack built with a lower threshold, or two packs whose populations "
                "differ by a few): this gate cannot protect it; rebuild the other packs "
                "with this threshold or leave their sets out knowingly"
            )

    def _proven_leak(self) -> bool:
        """Whether the last attack's finding is proven (not a search that timed out)."""
        published = [s for s in [*self._ledger.known, *self._ledger.published] if s]
        key = frozenset(self._atoms.add(s) for s in dict.fromkeys(published))
        return self._unions.get(key) is not True or any(
            leak <= key for leak in self._leaking_unions
        )

    @property
    def knows_other_packs(self) -> bool:
        """Whether this gate was told other packs' sets (:meth:`known`)."""
        return bool(self._ledger.known)

    def hidden_for_other_packs(self, members: Iterable[Hashable]) -> bool:
        """Whether a set was hidden only because of the other packs' figures
        (:meth:`known`): it is hidden to protect another figure, and showing it with
        everything this report has published would have been safe had the other packs not
        been published. So a reader can be told the true reason (in a year pack: the
        terms' reports, with which it would let, say, the few children counted in more
        than one term be worked out), not "another figure in this report". An analysis
        aid that publishes nothing; False for the analyst edition."""
        s = members_of(members)
        issued = self._ledger.decided.get(s)
        if not (self.commissioner and self._ledger.known and issued and issued.hidden):
            return False
        if issued.reason != PROTECTS:
            return False
        if s not in self._other_packs:
            small = {h: r for h, r in self._ledger.hidden.items() if r == SMALL}
            published = [*self._ledger.published, s]  # a known set shown here is in it
            found = attack(published, small, self.threshold, self._ledger.families)
            self._other_packs[s] = found is None
        return self._other_packs[s]

    def ledger(self) -> list[Members]:
        """Every set this gate published (shown) so far, in order: what its pack adds to
        what an intruder knows (a known set asked again is listed). Not the other known
        sets (:meth:`known`): they are in the other
        packs' own ledgers, in those packs' ids (a term gate holds another term's sets in
        its own ids, with year ids for people not in its returns, which would not
        translate back). Private: for the report's work folder, never a pack."""
        return list(dict.fromkeys(self._ledger.published))

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
            with _one_thread():
                self._decide(new)
        for s in dict.fromkeys(sets.values()):  # a known set shown here is published here
            if s in self._ledger.known and s not in self._ledger.published:
                self._ledger.published.append(s)
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
        if not withheld:
            hidden = self._pruned(new, hidden, family)
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

    def _pruned(
        self, new: list[Members], hidden: dict[Members, str], family: Members
    ) -> dict[Members, str]:
        """``hidden`` without the protecting cells that the shown cells pin down (a
        table's total minus its visible parts): the gate's fall-back, when no single
        cell is enough, can hide one that the cells hidden after it make pointless.
        Such a cell protects nothing, so it is shown again, and no ``c`` in a published
        table can be worked out from the others. Showing it adds a figure already fixed
        by the published ones, so nothing new can be worked out (no attack is re-run:
        the published row space is unchanged)."""
        protecting = [s for s, reason in hidden.items() if reason == PROTECTS and s]
        if not protecting:
            return hidden
        add = self._atoms.add
        known = set(self._ledger.known)
        shown = [*self._ledger.known, *self._ledger.published]
        shown += [s for s in new if s and s not in hidden]
        secret = {*self._ledger.hidden, *hidden} - known
        pub = [add(s) for s in dict.fromkeys(s for s in shown if s and s not in secret)]
        ids = [add(s) for s in protecting]
        if not pub:
            return hidden
        rows = self._atoms.matrix([*pub, *ids])
        cover = rows.any(axis=0)
        rows = rows[:, cover].astype(float)
        basis = _row_basis(rows[: len(pub)])
        pinned = _in_row_space(rows[len(pub) :], basis)
        shown_again = {s for s, fixed in zip(protecting, pinned, strict=True) if fixed}
        return {k: r for k, r in hidden.items() if k not in shown_again}

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
        add = self._atoms.add
        published = [*self._ledger.known, *self._ledger.published]
        published += [s for s in new if s and s not in hidden]
        known = set(self._ledger.known)
        secret = {s: r for s, r in {**self._ledger.hidden, **hidden}.items() if s not in known}
        pub = [add(s) for s in dict.fromkeys(s for s in published if s and s not in secret)]
        hid = {add(s): r for s, r in secret.items() if s}
        extra = [add(f) for f in dict.fromkeys([*self._ledger.families, family]) if f]
        # an earlier request's protecting cell must stay unknown (this one's are pruned)
        earlier = {add(s) for s, r in self._ledger.hidden.items() if r == PROTECTS and s}
        guarded = frozenset(h for h in earlier if h in hid)
        key = (tuple(pub), tuple(hid.items()), tuple(extra), guarded)
        if key not in self._memo:
            self._memo[key] = _attack_atoms(
                self._atoms, pub, hid, extra, self.threshold, self, guarded
            )
        return self._memo[key]

    # ------------------------------------------------------------------ caches

    def _union_search(self, pub: tuple[int, ...], run) -> bool:
        """The small-union search for the published sets ``pub`` (set ids), remembered:
        its answer depends only on which sets are published, a subset of sets found safe
        is safe (its row space is smaller) and a superset of sets proven to leak leaks."""
        key = frozenset(pub)
        if key in self._unions:
            return self._unions[key]
        if any(key <= safe for safe in self._safe_unions):
            return False
        if any(leak <= key for leak in self._leaking_unions):
            return True
        found, proven = run()
        self._unions[key] = found
        if not found:
            self._safe_unions.append(key)
        elif proven:  # a timeout is a leak for this question only (fail closed)
            self._leaking_unions.append(key)
        return found

    def _witnesses(self) -> list[np.ndarray]:
        """Points (sizes of the fine atoms) that fitted an earlier linear programme; any
        that fits the present one proves a hidden cell free without solving again."""
        if self._witness_version != self._atoms.version:
            self._witness_pool = []
            self._witness_version = self._atoms.version
        return self._witness_pool

    def _keep_witness(self, point: np.ndarray) -> None:
        pool = self._witnesses()
        pool.append(point)
        del pool[:-_WITNESSES]


def _one_thread() -> contextlib.AbstractContextManager:
    """BLAS on one thread while the gate works: its matrices are small, and several
    report workers each spreading tiny SVDs over every core made them ~30x slower."""
    controller = _blas_controller()
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def _blas_controller() -> object | None:
    """One threadpoolctl controller per process, made once the libraries the gate uses
    are loaded (``threadpool_limits`` scans every loaded library on each call: ~12 ms,
    paid on every request before). Kept in a plain module variable, not a functools
    cache, so that warm kernels keep it between notebooks (it depends on no term)."""
    if _ThreadpoolController is None:
        return None
    if not _CONTROLLER:
        import scipy.linalg  # SciPy's BLAS, as well as NumPy's
        import scipy.optimize  # noqa: F401

        _CONTROLLER.append(_ThreadpoolController())
    return _CONTROLLER[0]


_CONTROLLER: list = []


#: seconds the integer programme of the small-union search may take (a time-out counts as
#: a leak: fail closed); :meth:`Gate.known` allows longer, it runs once on many sets
_UNION_SECONDS = [5.0]
_KNOWN_SECONDS = 120.0

_BLOCK = 512  # vectors tested against the row space at a time (memory)
_WITNESSES = 64  # feasible points kept per gate for the hidden-cell bounds
_TOL = 1e-7  # the rounding allowance of the linear programmes (as HiGHS's own)


class _Atoms:
    """People grouped by the sets they belong to, kept up to date as sets arrive.

    Every set ever asked gets an id and a row of a boolean matrix over *fine atoms*:
    people who belong to exactly the same registered sets. A new set splits the atoms
    it cuts (one pass over its people), so everything after works on atoms with
    multiplicities, never on people. An attack on some of the sets merges the fine atoms
    that the sets it looks at do not tell apart (its own atoms)."""

    def __init__(self) -> None:
        self._atom_of: dict[Hashable, int] = {}
        self._people: list[set] = []
        self._sizes: list[int] = []
        self._ids: dict[Members, int] = {}
        self._rows = np.zeros((8, 8), dtype=bool)
        self.version = 0  # changes whenever the fine atoms change

    def add(self, s: Members) -> int:
        """The id of set ``s`` (registering it, and splitting atoms, when new)."""
        sid = self._ids.get(s)
        if sid is not None:
            return sid
        touched: dict[int, list] = {}
        fresh = []
        atom_of = self._atom_of
        for person in s:
            atom = atom_of.get(person)
            if atom is None:
                fresh.append(person)
            else:
                touched.setdefault(atom, []).append(person)
        sid = len(self._ids)
        self._ids[s] = sid
        self._grow(sid + 1, len(self._sizes) + len(touched) + 1)
        inside = []
        for atom, moved in touched.items():
            if len(moved) == self._sizes[atom]:
                inside.append(atom)
                continue
            part = self._new_atom(moved)
            self._rows[:, part] = self._rows[:, atom]
            self._sizes[atom] -= len(moved)
            self._people[atom].difference_update(moved)
            inside.append(part)
        if fresh:
            inside.append(self._new_atom(fresh))
        self._rows[sid, inside] = True
        if len(inside) != len(touched) or fresh:
            self.version += 1
        return sid

    def _new_atom(self, people: list) -> int:
        atom = len(self._sizes)
        self._sizes.append(len(people))
        self._people.append(set(people))
        for person in people:
            self._atom_of[person] = atom
        self.version += 1
        return atom

    def _grow(self, n_sets: int, n_atoms: int) -> None:
        rows, cols = self._rows.shape
        if n_sets > rows or n_atoms > cols:
            grown = np.zeros((max(rows, 2 * n_sets), max(cols, 2 * n_atoms)), dtype=bool)
            grown[:rows, :cols] = self._rows
            self._rows = grown

    def matrix(self, ids: list[int]) -> np.ndarray:
        """Sets (rows, in the order of ``ids``) × fine atoms."""
        return self._rows[ids, : len(self._sizes)]

    @property
    def sizes(self) -> np.ndarray:
        return np.asarray(self._sizes, dtype=float)

    def __len__(self) -> int:
        return len(self._sizes)


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
        The sets whose sizes are printed (or otherwise known to the intruder).
    hidden : mapping of frozenset to reason, or list of frozenset
        The sets shown as ``c``. A :data:`SMALL` cell is known to hold 1 to threshold − 1
        people, a :data:`PROTECTS` cell at least the threshold (the reader is told which);
        a cell given in a list only at least 1. A protecting cell that the published
        equations fix counts as worked out too (it would protect nothing).
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

    Everything is computed over atoms with multiplicities (people who belong to the same
    sets are interchangeable), so the cost depends on how many distinct patterns there
    are, not on how many people.
    """
    reasons = dict(hidden) if isinstance(hidden, Mapping) else dict.fromkeys(hidden, "")
    atoms = _Atoms()
    pub = [atoms.add(s) for s in dict.fromkeys(s for s in published if s and s not in reasons)]
    hid = {atoms.add(s): r for s, r in reasons.items() if s}
    extra = [atoms.add(f) for f in dict.fromkeys(families) if f]
    guarded = frozenset(h for h, r in hid.items() if r == PROTECTS)
    return _attack_atoms(atoms, pub, hid, extra, threshold, None, guarded)


def _attack_atoms(
    atoms: _Atoms,
    pub: list[int],
    hid: dict[int, str],
    extra: list[int],
    threshold: int,
    gate: Gate | None,
    guarded: frozenset[int] = frozenset(),
) -> str | None:
    """:func:`attack` on registered sets (ids), with the gate's caches when given.
    ``guarded``: protecting cells (ids) that must not be pinned by the published ones
    either."""
    hid_ids = [h for h in hid if h not in set(pub)]
    reasons = [hid[h] for h in hid_ids]
    n_pub, n_hid = len(pub), len(hid_ids)
    fine = atoms.matrix([*pub, *hid_ids])
    cover = fine.any(axis=0)
    if not cover.any():
        return None
    # families: only those within the published and hidden people, other than a published set
    extra = [f for f in dict.fromkeys(extra) if f not in set(pub)]
    if extra:
        rows = atoms.matrix(extra)
        extra = [f for f, row in zip(extra, rows, strict=True) if not (row & ~cover).any()]
    full = atoms.matrix([*pub, *hid_ids, *extra])[:, cover]
    unique, inverse = _unique_columns(full)
    sizes = np.bincount(inverse, weights=atoms.sizes[cover], minlength=len(unique))
    patterns = unique.T.astype(float)  # sets × atoms
    n_atoms = len(sizes)
    a_eq = patterns[:n_pub]
    a_hid = patterns[n_pub : n_pub + n_hid]
    basis = _row_basis(a_eq)

    def determined(vectors: np.ndarray) -> np.ndarray:
        return _in_row_space(vectors, basis)

    small_atoms = np.nonzero((sizes > 0) & (sizes < threshold))[0]
    if len(basis) and len(small_atoms):
        # a unit vector's squared distance to the row space is 1 − |its column of the
        # basis|²: far from 0 means surely not determined; the rest are checked in full
        near = 1.0 - (basis[:, small_atoms] ** 2).sum(axis=0) < 1e-6
        small_atoms = small_atoms[near]
    for start in range(0, len(small_atoms), _BLOCK):
        block = small_atoms[start : start + _BLOCK]
        unit = np.zeros((len(block), n_atoms))
        unit[np.arange(len(block)), block] = 1.0
        if determined(unit).any():
            return "a group of people in the same published cells"
    compared = np.vstack([patterns[:n_pub], patterns[n_pub + n_hid :]]).astype(bool)
    if len(compared) > 1:
        inc = compared.astype(float)  # whole numbers well below 2⁵³: exact in floats
        counts = inc * sizes
        overlap = np.round(counts @ inc.T)  # |s ∩ t|
        size_of = counts.sum(axis=1)
        diff = size_of[:, None] - overlap  # |s − t|
        rows, cols = np.nonzero((diff > 0) & (diff < threshold) & (overlap > 0))
        for start in range(0, len(rows), _BLOCK):
            r, c = rows[start : start + _BLOCK], cols[start : start + _BLOCK]
            if determined((compared[r] & ~compared[c]).astype(float)).any():
                return "the difference of two published figures"
    if n_hid:
        open_cells = [k for k in range(n_hid) if reasons[k] != PROTECTS]
        checked = [k for k, h in enumerate(hid_ids) if k in open_cells or h in guarded]
        if checked and determined(a_hid[checked]).any():
            return "a suppressed cell"
        if open_cells and _hidden_cell_pinned(
            a_eq, a_hid, sizes, reasons, threshold, open_cells, full, inverse, cover, gate
        ):
            return "a suppressed cell"
    if n_pub:

        def search() -> tuple[bool, bool]:
            return _small_union_in_row_space(a_eq, sizes, threshold, proven=True)

        found = gate._union_search(tuple(pub), search) if gate is not None else search()[0]
        if found:
            return "a group made of several published figures"
    return None


def _unique_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct columns of a boolean matrix, as rows in lexicographic order (as
    ``np.unique(matrix.T, axis=0)``), and each column's index among them. Columns are
    packed into bytes first, so the sort compares a few bytes, not one per set."""
    if not matrix.size:  # no rows (every column alike) or no columns
        n = matrix.shape[1]
        return np.zeros((min(n, 1), matrix.shape[0]), dtype=bool), np.zeros(n, dtype=np.int64)
    packed = np.ascontiguousarray(np.packbits(matrix, axis=0).T)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return matrix[:, first].T, inverse.reshape(-1)


def _row_basis(a: np.ndarray) -> np.ndarray:
    """An orthonormal basis (rows) of the row space of ``a`` (thin SVD: the cost grows
    with the number of atoms, not its square)."""
    if a.size == 0:
        return np.zeros((0, a.shape[1]))
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((s > 1e-9 * max(1.0, s.max(initial=0))).sum())
    return vt[:rank]


def _in_row_space(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Whether each row of ``vectors`` lies in the span of ``basis`` (orthonormal rows).

    The distance to the row space is the norm of the vector's projection on the null
    space. The allowance, 1e-9 × √atoms, is never stricter than the one before atoms
    were merged (1e-9 on the largest null-space coordinate), so nothing found then is
    missed now (more is called determined only in the 1e-9 rounding band)."""
    if not len(vectors):
        return np.zeros(0, dtype=bool)
    rest = vectors - (vectors @ basis.T) @ basis if len(basis) else vectors
    allowance = 1e-9 * math.sqrt(max(1, vectors.shape[1]))
    return np.sqrt((rest * rest).sum(axis=1)) < allowance


def _hidden_cell_pinned(
    a_eq: np.ndarray,
    a_hid: np.ndarray,
    sizes: np.ndarray,
    reasons: list[str],
    threshold: int,
    open_cells: list[int],
    full: np.ndarray,
    inverse: np.ndarray,
    cover: np.ndarray,
    gate: Gate | None,
) -> bool:
    """Whether some hidden cell in ``open_cells`` can take only one whole value over every
    ``x ≥ 0`` that fits the published counts, with every hidden cell within its bounds.

    Atoms that the published and hidden cells do not tell apart are merged first (a
    family row tells nothing here). Then, cheapest first: a one-step move of a person
    between two atoms in the same published cells that keeps every bound (all cells at
    once); feasible points remembered from earlier programmes; one programme maximising
    all the remaining cells together; and then, for each cell still open, its maximum
    and minimum (HiGHS). Every point any programme returns fits the constraints, so it
    frees every cell whose value there is a whole person away from the truth. The range
    found holds the integer range, so a cell is pinned when at most one whole number lies
    in it. A programme that fails counts as pinning the cell (fail closed)."""
    n_pub = len(a_eq)
    low = np.array([threshold if r == PROTECTS else 1 for r in reasons], dtype=float)
    high = np.array([threshold - 1 if r == SMALL else np.inf for r in reasons])
    columns = np.vstack([a_eq, a_hid])
    lp_unique, lp_of = _unique_columns(columns > 0.5)
    x_true = np.bincount(lp_of, weights=sizes, minlength=len(lp_unique))
    eq = lp_unique[:, :n_pub].T.astype(float)
    hid = lp_unique[:, n_pub:].T.astype(float)
    b_eq = eq @ x_true
    actual = hid @ x_true
    hidden_sizes = actual
    remaining = set(open_cells)

    def free_at(point: np.ndarray) -> None:
        values = hid @ point
        for k in list(remaining):
            if values[k] >= actual[k] + 1 - _TOL or values[k] <= actual[k] - 1 + _TOL:
                remaining.discard(k)

    # one step: atoms in the same published cells, moving one person keeps every bound
    remaining -= _one_step_free(eq, hid, hidden_sizes, low, high)
    if not remaining:
        return False
    # points kept from earlier programmes (over the fine atoms)
    fine_to_lp = lp_of[inverse]  # covered fine atom → programme variable
    if gate is not None:
        for point in gate._witnesses():
            x = np.bincount(fine_to_lp, weights=point[cover], minlength=len(x_true))
            if _fits(x, eq, b_eq, hid, low, high):
                free_at(x)
                if not remaining:
                    return False

    from scipy.optimize import linprog

    # HiGHS's presolve took ~90% of each solve here (a few thousand 0/1 columns, a few
    # hundred rows: 0.6 s with it, 0.04 s without, same optimum on every programme of the
    # ×100 demo); a solve that fails is still taken as pinning the cell
    kwargs: dict = {"bounds": (0, None), "method": "highs", "options": {"presolve": False}}
    if n_pub:
        kwargs.update(A_eq=eq, b_eq=b_eq)
    finite = np.isfinite(high)
    kwargs.update(A_ub=np.vstack([-hid, hid[finite]]), b_ub=np.concatenate([-low, high[finite]]))

    def keep(x: np.ndarray) -> None:
        free_at(x)
        if gate is not None:
            fine_point = np.zeros(len(gate._atoms))
            covered = np.nonzero(cover)[0]
            share = gate._atoms.sizes[covered] / x_true[fine_to_lp]
            fine_point[covered] = x[fine_to_lp] * share
            gate._keep_witness(fine_point)

    if len(remaining) > 1:
        together = linprog(-hid[sorted(remaining)].sum(axis=0), **kwargs)
        if together.status == 0 and together.x is not None:
            keep(together.x)
    for k in open_cells:
        if k not in remaining:
            continue
        v = hid[k]
        highest = linprog(-v, **kwargs)
        if highest.status == 3:  # unbounded above
            remaining.discard(k)
            continue
        if highest.status == 0 and highest.x is not None:
            keep(highest.x)
            if math.floor(-highest.fun + _TOL) >= actual[k] + 1:
                remaining.discard(k)
            if k not in remaining:
                continue
        lowest = linprog(v, **kwargs)
        if lowest.status != 0 or lowest.x is None:
            return True  # no answer: assume the worst
        keep(lowest.x)
        if math.ceil(lowest.fun - _TOL) > actual[k] - 1:
            return True
        remaining.discard(k)
    return False


def _fits(
    x: np.ndarray,
    eq: np.ndarray,
    b_eq: np.ndarray,
    hid: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> bool:
    """Whether ``x`` fits the published counts and the hidden cells' bounds (within the
    programmes' rounding allowance, scaled to the counts)."""
    if (x < -_TOL).any():
        return False
    slack = 10 * _TOL * max(1.0, float(np.abs(b_eq).max(initial=0)))
    if len(eq) and np.abs(eq @ x - b_eq).max() > slack:
        return False
    values = hid @ x
    return bool(np.all(values >= low - slack) and np.all(values <= high + slack))


def _one_step_free(
    eq: np.ndarray,
    hid: np.ndarray,
    hidden_sizes: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> set[int]:
    """The hidden cells proven not pinned by one move: one person moved between two atoms
    in exactly the same published cells keeps every published count; if it keeps every
    hidden cell within its bounds too (starting from the true sizes, which fit
    everything), every cell the two atoms differ on can take another value. ``eq`` and
    ``hid`` are over atoms that differ somewhere (each holds at least one person)."""
    freed: set[int] = set()
    n_atoms = hid.shape[1]
    if n_atoms < 2:
        return freed
    # only cells at a bound can stop a move: one that cannot lose or cannot gain a person
    floor = hidden_sizes - 1 < low
    ceiling = hidden_sizes + 1 > high
    if len(eq):
        _, group_of = _unique_columns(eq > 0.5)
    else:
        group_of = np.zeros(n_atoms, dtype=np.int64)
    order = np.argsort(group_of, kind="stable")
    splits = np.nonzero(np.diff(group_of[order]))[0] + 1
    for members in np.split(order, splits):
        if len(members) < 2:
            continue
        h = hid[:, members] > 0.5  # cells × atoms of the group
        lose, gain = h[floor], h[ceiling]
        for start in range(0, len(members), 64):  # targets in blocks (memory)
            stop = start + 64
            # source → target: a floor cell may not lose (in source, not in target),
            # a ceiling cell may not gain (in target, not in source)
            bad = (lose[:, :, None] & ~lose[:, None, start:stop]).any(axis=0)
            bad |= (~gain[:, :, None] & gain[:, None, start:stop]).any(axis=0)
            sources, targets = np.nonzero(~bad)
            if not len(sources):
                continue
            differ = h[:, sources] != h[:, start:stop][:, targets]
            freed.update(np.nonzero(differ.any(axis=1))[0].tolist())
    return freed


def _small_union_in_row_space(
    a_eq: np.ndarray, sizes: np.ndarray, threshold: int, proven: bool = False
) -> bool | tuple[bool, bool]:
    """Whether some union of atoms with 1 to threshold − 1 people has a size fixed by the
    published equations, i.e. a 0/1 vector ``z`` in the row space of ``a_eq`` with
    ``1 ≤ sizes · z ≤ threshold − 1``.

    Atoms with the same published pattern always go together (merged: ``z`` is the same
    on them), and an atom of ``threshold`` or more people cannot be in such a union.
    Then a quick exact proof that there is none: a nonzero ``z`` of the row space is
    nonzero somewhere on every basis of the atoms' columns (if ``z`` vanished on a basis
    it would vanish everywhere), so when bases can be found whose small atoms are
    disjoint (big atoms may be shared) and their smallest small atoms add up to at least
    the threshold, every such union holds at least the threshold. Many people in few
    patterns make this the usual case. Otherwise an integer programme over ``z ∈ {0,
    1}`` on the small atoms and real ``y`` with ``Aᵀ y = z`` (0 on big atoms) decides. A
    search that runs out of time counts as finding one (fail closed: hide more, never
    publish a figure that was not checked); so does a solver failure.

    With ``proven=True`` returns ``(found, proven)``, ``proven`` False when the answer is
    a time-out or failure (assumed, not shown)."""

    def answer(found: bool, sure: bool = True) -> bool | tuple[bool, bool]:
        return (found, sure) if proven else found

    if threshold <= 1 or not a_eq.size:
        return answer(False)
    columns, of = _unique_columns(a_eq > 0.5)
    merged = np.bincount(of, weights=sizes, minlength=len(columns))
    keep = columns.any(axis=1)  # in no published set: never fixed
    a = columns[keep].T.astype(float)
    merged = merged[keep]
    small = (merged > 0) & (merged < threshold)
    if not small.any():
        return answer(False)
    if _disjoint_bases(a, small, merged, threshold) >= threshold:
        return answer(False)
    parts = _components(a, small)
    if parts is None:  # the decomposition could not be trusted: the whole programme
        return answer(*_small_union_programme(a, merged, small, threshold))
    sure = True
    for t_part, atoms in parts:
        if _disjoint_bases(t_part, np.ones(len(atoms), dtype=bool), merged[atoms], threshold) >= (
            threshold
        ):
            continue
        listed = _list_unions(t_part, merged[atoms], threshold)
        if listed is not None:
            if listed:
                return answer(True)
            continue
        found, proven_here = _small_union_programme(
            t_part, merged[atoms], np.ones(len(atoms), dtype=bool), threshold
        )
        if found and proven_here:
            return answer(True)
        sure = sure and not found
        if found:
            return answer(True, False)
    return answer(False, sure)


_LIST_WORK = 100_000_000  # combinations × their size² listed at most before the programme (about
# 2.5 s and 0.3 GiB at most: an exact answer sooner than a programme that may time out)


def _list_unions(t_part: np.ndarray, sizes: np.ndarray, threshold: int) -> bool | None:
    """Whether a small union lies in the row space ``{Tᵀ w}`` of one part, by listing:
    halves of the unions matched (:func:`_list_by_halves`) or every combination of basis
    rows (:func:`_list_by_basis`), whichever lists fewer first (many atoms on a few basis
    rows, or the other way round), then the other. None when both would take too long."""
    r, n = t_part.shape
    limit = threshold - 1
    by_basis = sum(math.comb(r, k) for k in range(1, min(r, limit) + 1))
    by_halves = sum(math.comb(n, k) for k in range(1, (min(n, limit) + 1) // 2 + 1))
    listings = [_list_by_halves, _list_by_basis]
    if by_basis <= by_halves:
        listings.reverse()
    for listing in listings:
        found = listing(t_part, sizes, threshold)
        if found is not None:
            return found
    return None


_HALVES = 2_000_000  # half-unions listed at most (each a few numbers: about 0.1 GiB)
_SIFT = 1e-5  # ten times the most a union within 1e-6 of the row space can miss 0 by (per |g|₁)


def _list_by_halves(t_part: np.ndarray, sizes: np.ndarray, threshold: int) -> bool | None:
    """Whether a small union lies in the row space ``{Tᵀ w}`` of one part, by matching
    halves (meet in the middle).

    ``T`` holds the identity on one atom of each basis row (its *own* atom: ``z`` there
    is ``w``), so a 0/1 vector ``z`` is ``Tᵀ w`` exactly when, on the other atoms,
    ``z_O = T_Oᵀ z_own``; for any vector ``g`` over the other atoms that makes
    ``Σ_a z_a p_a = 0`` with ``p_O = g`` and ``p_own = −T_O g``. A union has at most
    ``threshold − 1`` atoms (every atom holds a person), and every union of ``k`` atoms is
    its first ``⌈k/2⌉`` atoms (in index order) and the rest: so the sets of at most
    ``⌈(threshold − 1)/2⌉`` atoms with at most ``threshold − 1`` people are listed once,
    and pairs of them, the first ending before the second begins, are matched where
    their sums of ``p`` cancel (sorted, on two fixed random ``g``; a vector within 1e-6
    of ``Tᵀ w`` misses 0 by at most ``1e-6 |g|₁``, the window is ten times that). Each
    match is then checked in full as :func:`_list_by_basis` checks one. The cost grows
    with the number of halves (about ``atoms^⌈(threshold−1)/2⌉``), not with their square
    or the number of basis rows. None when the part is not in that form or has too many
    halves."""
    r, n = t_part.shape
    limit = threshold - 1
    if limit < 1 or not n:
        return False
    single = (np.abs(t_part) >= 1e-9).sum(axis=0) == 1
    rows, cols = np.nonzero((np.abs(t_part - 1) < 1e-9) & single)
    owner = np.full(r, -1)
    owner[rows] = cols  # each basis row's own atom (the last of them, when it has several)
    if (owner < 0).any():
        return None
    small = sizes <= limit
    most = int(min(n, limit // max(1.0, sizes.min(initial=1))))
    half = (most + 1) // 2
    if sum(math.comb(int(small.sum()), k) for k in range(1, half + 1)) > _HALVES:
        return None
    others = np.setdiff1d(np.arange(n), owner)
    g = np.random.default_rng(0).standard_normal((len(others), 2))
    p = np.zeros((n, 2))
    p[others] = g
    p[owner] = -t_part[:, others] @ g
    window = _SIFT * (1 + np.abs(g).sum(axis=0))
    candidates = np.nonzero(small)[0]
    lists: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # atoms, people, sums of p
    combos = np.zeros((1, 0), dtype=np.int64)
    for _ in range(half):
        combos = _extend(combos, len(candidates))
        people = sizes[candidates[combos]].sum(axis=1)
        combos = combos[people <= limit]
        atoms = candidates[combos]
        lists.append((atoms, people[people <= limit], p[atoms].sum(axis=1)))

    def fits(members: np.ndarray) -> bool:
        step = max(1, 2_000_000 // n)  # vectors checked at a time (memory)
        for begin in range(0, len(members), step):
            chunk = members[begin : begin + step]
            z = np.zeros((len(chunk), n))
            np.put_along_axis(z, chunk, 1.0, axis=1)
            near = (np.abs(z[:, owner] @ t_part - z) < 1e-6).all(axis=1)
            weight = z @ sizes
            if (near & (weight >= 1) & (weight <= limit)).any():
                return True
        return False

    atoms, _, sums = lists[0]
    if fits(atoms[(np.abs(sums) <= window).all(axis=1)]):
        return True
    for k in range(2, most + 1):
        a_atoms, a_people, a_sums = lists[(k + 1) // 2 - 1]
        b_atoms, b_people, b_sums = lists[k // 2 - 1]
        order = np.argsort(b_sums[:, 0], kind="stable")
        b_atoms, b_people, b_sums = b_atoms[order], b_people[order], b_sums[order]
        low = np.searchsorted(b_sums[:, 0], -a_sums[:, 0] - window[0], side="left")
        high = np.searchsorted(b_sums[:, 0], -a_sums[:, 0] + window[0], side="right")
        if (high - low).sum() > 2 * _HALVES:
            return None  # the projections do not tell the halves apart well enough here
        for start in range(0, len(a_atoms), 4096):
            width = (high - low)[start : start + 4096]
            if not width.sum():
                continue
            a_index = np.repeat(np.arange(start, start + len(width)), width)
            offsets = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
            b_index = np.repeat(low[start : start + 4096], width) + offsets
            keep = a_atoms[a_index, -1] < b_atoms[b_index, 0]  # the first half ends first
            keep &= a_people[a_index] + b_people[b_index] <= limit
            keep &= np.abs(a_sums[a_index, 1] + b_sums[b_index, 1]) <= window[1]
            if keep.any() and fits(np.hstack([a_atoms[a_index[keep]], b_atoms[b_index[keep]]])):
                return True
    return False


def _list_by_basis(t_part: np.ndarray, sizes: np.ndarray, threshold: int) -> bool | None:
    """Whether a small union lies in the row space ``{Tᵀ w}`` of one part, by listing.

    ``T`` (basis rows × atoms) holds the identity on the basis atoms, so a vector of the
    row space equals ``w`` there: a 0/1 vector is ``Tᵀ w`` for a 0/1 ``w``, and a union
    of fewer than ``threshold`` people has fewer than ``threshold`` people on the basis.
    Every such ``w`` is tried. Two exact identities of a 0/1 vector ``z = Tᵀ w`` sift them
    on numbers of the basis alone — its people ``sizes · z = Σ_w (T sizes)`` must be 1 to
    threshold − 1, and ``Σ sizes z² = sizes · z`` (a quadratic form of ``w``) — and
    those left are checked in full (values within 1e-6 of 0 or 1 count as 0/1, which errs
    towards finding one). Returns None when there are too many to list (the integer
    programme decides)."""
    r, n = t_part.shape
    unit = (np.abs(t_part) < 1e-9) | (np.abs(t_part - 1) < 1e-9)
    unit &= (np.abs(t_part) >= 1e-9).sum(axis=0) == 1
    basis_sizes = (np.where(unit, t_part, 0.0) @ sizes).round()
    if (basis_sizes < 1).any():
        return None  # no atom of its own for some row: not the expected form
    limit = threshold - 1
    most = int(min(r, limit // max(1.0, basis_sizes.min(initial=1))))
    work = sum(math.comb(r, k) * k * k for k in range(1, most + 1))
    if work > _LIST_WORK:
        return None
    people = t_part @ sizes  # people of each row's vector
    square = (t_part * sizes) @ t_part.T  # Σ sizes z² = wᵀ square w
    scale = np.abs(t_part).sum(axis=1)
    combos = np.zeros((1, 0), dtype=np.int64)
    for _ in range(most):
        combos = _extend(combos, r)
        combos = combos[basis_sizes[combos].sum(axis=1) <= limit]
        for start in range(0, len(combos), 200_000):
            chunk = combos[start : start + 200_000]
            total = people[chunk].sum(axis=1)
            allowance = 1e-6 * (1 + scale[chunk].sum(axis=1)) ** 2
            keep = (total >= 1 - allowance) & (total <= limit + allowance)
            chunk, total, allowance = chunk[keep], total[keep], allowance[keep]
            if not len(chunk):
                continue
            quadratic = square[chunk[:, :, None], chunk[:, None, :]].sum(axis=(1, 2))
            chunk = chunk[np.abs(quadratic - total) <= allowance * (1 + np.abs(total))]
            for begin in range(0, len(chunk), max(1, 2_000_000 // max(1, n))):
                z = t_part[chunk[begin : begin + max(1, 2_000_000 // max(1, n))]].sum(axis=1)
                whole = np.round(z)
                fits = (np.abs(z - whole) < 1e-6).all(axis=1)
                fits &= ((whole == 0) | (whole == 1)).all(axis=1)
                weight = whole @ sizes
                if (fits & (weight >= 1) & (weight <= limit)).any():
                    return True
    return False


def _extend(combos: np.ndarray, r: int) -> np.ndarray:
    """Every increasing row of ``combos`` (indices below ``r``) with one more index."""
    last = combos[:, -1] if combos.shape[1] else np.full(len(combos), -1)
    counts = r - 1 - last
    start = np.repeat(last + 1, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.hstack([np.repeat(combos, counts, axis=0), (start + offsets)[:, None]])


def _components(a: np.ndarray, small: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The row space of ``a`` on its small atoms, split into independent parts.

    A vector ``z = Aᵀ y`` that is 0 on the big atoms has ``y`` orthogonal to their
    columns, so on the small atoms it lies in the row space of ``a``'s small columns with
    the span of the big ones projected out. Writing every small column in a basis of
    those (``T``), the row space is ``{Tᵀ w}``; atoms linked by a nonzero of ``T`` form
    one part, ``T`` is block-diagonal over the parts, and a 0/1 vector of the row space is
    0/1 on each part. So a small union exists iff one exists within some part (rows of
    ``T``, atoms) — usually small parts and one large, well-connected part. Returns None
    when a check of the arithmetic fails (the caller then solves the whole)."""
    from scipy.linalg import qr
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    big = ~small
    a_small = a[:, small]
    if big.any():
        q_big, r_big, _ = qr(a[:, big], mode="economic", pivoting=True)
        d = np.abs(np.diag(r_big))
        rank = int((d > 1e-9 * max(1.0, d.max(initial=0))).sum())
        q_big = q_big[:, :rank]
        if np.abs(a[:, big] - q_big @ (q_big.T @ a[:, big])).max(initial=0) > 1e-8:
            return None
        a_small = a_small - q_big @ (q_big.T @ a_small)
    atoms = np.nonzero(small)[0]
    if np.abs(a_small).max(initial=0) < 1e-9:
        return []
    chosen = _spanning_columns(a_small, np.zeros(0, dtype=int), np.arange(a_small.shape[1]))
    if chosen is None:
        return None
    t_all = np.linalg.lstsq(a_small[:, chosen], a_small, rcond=None)[0]
    if np.abs(a_small[:, chosen] @ t_all - a_small).max() > 1e-8:
        return None
    r, n = t_all.shape
    rows, cols = np.nonzero(np.abs(t_all) > 1e-10)
    graph = coo_matrix((np.ones(len(rows)), (rows, r + cols)), shape=(r + n, r + n))
    _, label = connected_components(graph, directed=False)
    parts = []
    for part in np.unique(label[r:]):
        members = np.nonzero(label[r:] == part)[0]
        basis_rows = np.nonzero(label[:r] == part)[0]
        if not len(basis_rows):
            continue  # 0 on these atoms in every vector of the row space
        parts.append((t_all[np.ix_(basis_rows, members)], atoms[members]))
    return parts


def _disjoint_bases(a: np.ndarray, small: np.ndarray, sizes: np.ndarray, enough: int) -> float:
    """The sum, over bases of the columns of ``a`` found greedily whose small columns are
    disjoint, of the size of each basis' smallest small column (``inf`` when a basis has
    no small column: then no union of small atoms lies in the row space at all). Stops
    at ``enough``. Each basis is checked to span every column (no rank is trusted). The
    big columns' part of every basis is the same: it is found once."""
    total = 0.0
    used = np.zeros(len(sizes), dtype=bool)
    start = _span(a, np.nonzero(~small)[0], np.zeros((a.shape[0], 0)), [])
    while total < enough:
        chosen = _spanning_columns(a, np.zeros(0, dtype=int), np.nonzero(small & ~used)[0], start)
        if chosen is None:
            break
        part = [j for j in chosen if small[j]]
        if not part:
            return math.inf
        total += float(sizes[part].min())
        used[part] = True
    return total


def _span(
    a: np.ndarray, group: np.ndarray, q: np.ndarray, chosen: list[int]
) -> tuple[np.ndarray, list[int]]:
    """``q`` (orthonormal columns) and ``chosen`` extended by the columns of ``group``
    that add to their span (QR with pivoting)."""
    from scipy.linalg import qr

    if not len(group) or q.shape[1] >= a.shape[0]:
        return q, chosen
    rest = a[:, group] - q @ (q.T @ a[:, group])
    q_r, r_r, pivots = qr(rest, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r_r))
    rank = int((diagonal > 1e-9 * max(1.0, diagonal.max(initial=0))).sum())
    if not rank or diagonal.max(initial=0) < 1e-9:
        return q, chosen
    chosen = chosen + [int(j) for j in group[pivots[:rank]]]
    q, _ = np.linalg.qr(np.hstack([q, q_r[:, :rank]]))
    return q, chosen


def _spanning_columns(
    a: np.ndarray,
    first: np.ndarray,
    then: np.ndarray,
    start: tuple[np.ndarray, list[int]] | None = None,
) -> list[int] | None:
    """Columns of ``a`` (indices) spanning all its columns, taken among ``first`` as far
    as they go and then among ``then`` (QR with pivoting), after those of ``start`` (a
    :func:`_span` already found); None when these cannot span them all (checked: every
    column of ``a`` lies within their span)."""
    q, chosen = start if start is not None else (np.zeros((a.shape[0], 0)), [])
    for group in (first, then):
        q, chosen = _span(a, group, q, chosen)
    if not chosen:
        return None
    basis, singular, _ = np.linalg.svd(a[:, chosen], full_matrices=False)
    if singular.min() < 1e-7 * singular.max():
        return None  # not clearly independent: do not rely on it
    rest = a - basis @ (basis.T @ a)
    if np.abs(rest).max(initial=0) > 1e-8:
        return None
    return chosen


def _small_union_programme(
    a: np.ndarray, sizes: np.ndarray, small: np.ndarray, threshold: int
) -> tuple[bool, bool]:
    """The integer programme: z ∈ {0, 1} on the small atoms and real y with ``Aᵀ y = z``
    there, ``Aᵀ y = 0`` on the big atoms and ``1 ≤ sizes · z ≤ threshold − 1``. Returns
    ``(found, proven)``: a time-out or failure is ``(True, False)`` (fail closed)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_pub = a.shape[0]
    a_small, a_big = a[:, small], a[:, ~small]
    n_z = a_small.shape[1]
    constraints = [
        LinearConstraint(np.hstack([a_small.T, -np.eye(n_z)]), 0, 0),
        LinearConstraint(
            np.concatenate([np.zeros(n_pub), sizes[small]])[None, :], 1, threshold - 1
        ),
    ]
    if a_big.shape[1]:
        constraints.append(
            LinearConstraint(np.hstack([a_big.T, np.zeros((a_big.shape[1], n_z))]), 0, 0)
        )
    result = milp(
        np.zeros(n_pub + n_z),
        constraints=constraints,
        integrality=np.concatenate([np.zeros(n_pub), np.ones(n_z)]),
        bounds=Bounds(
            np.concatenate([np.full(n_pub, -np.inf), np.zeros(n_z)]),
            np.concatenate([np.full(n_pub, np.inf), np.ones(n_z)]),
        ),
        options={"time_limit": _UNION_SECONDS[0]},
    )
    if result.status == 2:  # infeasible: no such group
        return False, True
    return True, result.status == 0 and result.x is not None
