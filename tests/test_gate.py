"""Red-team tests of the disclosure gate (dspl_eval.gate): try to work out a small group.

The tests carry their OWN intruder (:func:`intruder`), written without the gate's code: it
takes what a reader saw — which sets of people were published with which sizes, which
were shown as ``c`` (each ``c`` ≥ 1, zeros being always shown) — and brute-forces every
whole-number assignment of sizes to the atoms (groups of people with the same membership
pattern) that fits. A group of 1 to threshold − 1 people whose size is the same in every
assignment is worked out. With ``informed=True`` it also reads the reason printed beside a
``c`` ("fewer than 5", so 1 to 4; "suppressed to protect another figure", which the
table's note says is not itself small, so at least the threshold).

Small universes only (at most a dozen people), so the enumeration is exact and fast.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dspl_eval.errors import ConfigError
from dspl_eval.gate import PROTECTS, SMALL, WITHHELD, Gate, Issued, attack

C = "c"

# -------------------- intruder


@dataclass(frozen=True)
class Seen:
    """One figure a reader saw: a set of people and its size (None = shown as ``c``)."""

    members: frozenset
    size: int | None
    reason: str = ""


@dataclass(frozen=True)
class Found:
    """A group of people whose size the intruder worked out."""

    members: frozenset
    size: int


class Reader:
    """Collects what a reader sees from a sequence of gate calls (only the public results:
    ``Issued.hidden`` / ``.shown`` / ``.reason``), then hands it to :func:`intruder`."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.seen: list[Seen] = []

    def _see(self, members: Iterable[Hashable], issued: Issued) -> None:
        members = frozenset(members)
        if issued.reason == WITHHELD:
            return  # a withheld figure is not printed at all, not even as c
        if issued.hidden:
            assert issued.shown == C
            assert str(issued) == C
            self.seen.append(Seen(members, None, issued.reason))
        else:
            assert issued.shown == len(members)  # a shown count is the true count
            self.seen.append(Seen(members, int(issued.shown)))

    def counts(self, cells: Mapping[Hashable, Iterable[Hashable]]) -> dict:
        cells = {k: frozenset(v) for k, v in cells.items()}
        out = self.gate.counts(cells)
        for label, members in cells.items():
            self._see(members, out[label])
        return out

    def count(self, members: Iterable[Hashable]) -> Issued:
        return self.counts({"value": members})["value"]

    def share(self, k: Iterable[Hashable], n: Iterable[Hashable]) -> Issued:
        """A share printed as ``k of n (x%)``: when shown the reader learns k, n and n − k."""
        k, n = frozenset(k), frozenset(n)
        k_issued, share = self.gate.share(k, n)
        self._see(k, k_issued)
        if not share.hidden:
            assert share.value == pytest.approx(len(k) / len(n))
            for members in (n, n - k):
                self.seen.append(Seen(members, len(members)))
        return share

    def pvalue(self, p: float, counts: Iterable[Iterable[Hashable]]) -> Issued:
        """An exact p-value printed with its n and margins pins the counts behind it."""
        counts = [frozenset(c) for c in counts]
        issued = self.gate.pvalue(p, counts)
        if not issued.hidden:
            for members in counts:
                self.seen.append(Seen(members, len(members)))
        return issued

    def per_outcome(self, total: float, members: Iterable[Hashable]) -> Issued:
        """A cost per outcome printed beside the total cost reveals the outcome's count."""
        members = frozenset(members)
        issued = self.gate.per_outcome(total, members)
        if not issued.hidden and members:
            assert round(total / issued.value) == len(members)
            self.seen.append(Seen(members, len(members)))
        return issued


MAX_SOLUTIONS = 3_000_000


def intruder(
    seen: Iterable[Seen],
    threshold: int,
    informed: bool = False,
    groups: str = "all",
) -> list[Found]:
    """Every group of 1 to ``threshold − 1`` people whose size ``seen`` pins down.

    The intruder knows which atoms exist (how the populations nest: the report describes
    them) but not their sizes. Each atom gets a whole size ≥ 0 (≥ 1 is not assumed); a
    published set fixes the sum of its atoms; a ``c`` says the sum is ≥ 1 (informed: 1 to
    t − 1 for "fewer than t", ≥ t for "to protect another figure"). Every assignment that
    fits is enumerated. ``groups``: ``"all"`` tries every union of atoms; ``"cells"`` only
    atoms, hidden cells and differences ``S − T`` of published sets (what a table
    publishes and its remainders).
    """
    seen = [s for s in seen if s.members]
    if not seen:
        return []
    everyone = sorted(frozenset().union(*(s.members for s in seen)), key=repr)
    patterns: dict[tuple[bool, ...], list] = {}
    for person in everyone:
        key = tuple(person in s.members for s in seen)
        patterns.setdefault(key, []).append(person)
    keys = list(patterns)
    atom_people = [frozenset(patterns[k]) for k in keys]
    truth = np.array([len(p) for p in atom_people])
    inc = np.array(keys, dtype=int).T  # figures × atoms
    n_atoms = len(keys)

    eq = [(inc[i], s.size) for i, s in enumerate(seen) if s.size is not None]
    lo = [(inc[i], 1) for i, s in enumerate(seen) if s.size is None]
    hi = []
    if informed:
        for i, s in enumerate(seen):
            if s.size is None and s.reason == SMALL:
                hi.append((inc[i], threshold - 1))
            if s.size is None and s.reason == PROTECTS:
                lo.append((inc[i], threshold))
    caps = np.full(n_atoms, -1)
    for row, target in eq + hi:
        for j in np.nonzero(row)[0]:
            caps[j] = target if caps[j] < 0 else min(caps[j], target)
    bounded = np.nonzero(caps >= 0)[0]
    free = np.nonzero(caps < 0)[0]  # in hidden sets only: unbounded above
    big = 10 * (len(everyone) + threshold)

    # enumerate the bounded atoms (free atoms sit at a large value: it meets every ≥)
    solutions = np.zeros((1, 0), dtype=np.int64)
    rows_eq = np.array([r for r, _ in eq], dtype=np.int64).reshape(len(eq), n_atoms)
    t_eq = np.array([t for _, t in eq], dtype=np.int64)
    rows_hi = np.array([r for r, _ in hi], dtype=np.int64).reshape(len(hi), n_atoms)
    t_hi = np.array([t for _, t in hi], dtype=np.int64)
    order = list(bounded)
    for step, j in enumerate(order):
        values = np.arange(caps[j] + 1)
        solutions = np.hstack(
            [
                np.repeat(solutions, len(values), axis=0),
                np.tile(values, len(solutions))[:, None],
            ]
        )
        done = order[: step + 1]
        rest = order[step + 1 :]
        if len(eq):
            partial = solutions @ rows_eq[:, done].T
            reach = partial + (rows_eq[:, rest] * caps[rest]).sum(axis=1)
            keep = (partial <= t_eq).all(axis=1) & (reach >= t_eq).all(axis=1)
            solutions = solutions[keep]
        if len(hi):
            solutions = solutions[((solutions @ rows_hi[:, done].T) <= t_hi).all(axis=1)]
        assert len(solutions) <= MAX_SOLUTIONS, "universe too large for the brute force"
    full = np.full((len(solutions), n_atoms), big, dtype=np.int64)
    full[:, order] = solutions
    ok = np.ones(len(full), dtype=bool)
    for row, target in eq:
        ok &= full @ row == target
    for row, target in lo:
        ok &= full @ row >= target
    for row, target in hi:
        ok &= full @ row <= target
    full = full[ok]
    # the truth always fits: otherwise the intruder (or the reader's record) is wrong
    assert (full[:, order] == truth[order]).all(axis=1).any(), "the truth does not fit"

    assert len(full), "nothing fits what was seen"

    if groups == "all":
        vectors = [
            np.array(v)
            for v in itertools.product((0, 1), repeat=n_atoms)
            if any(v) and not any(v[j] for j in free)
        ]
    else:
        vectors = list(np.eye(n_atoms, dtype=int))
        members = [np.array(k, dtype=bool) for k in zip(*keys, strict=True)]  # per figure
        for i, s in enumerate(seen):
            if s.size is None:
                vectors.append(members[i].astype(int))
        for i, j in itertools.permutations(range(len(seen)), 2):
            if seen[i].size is not None and seen[j].size is not None:
                vectors.append((members[i] & ~members[j]).astype(int))
        vectors = [v for v in vectors if v.any() and not v[free].any()]
    found = []
    for v in vectors:
        values = full @ v
        if values.min() == values.max() and 0 < values[0] < threshold:
            group = frozenset().union(*(atom_people[j] for j in np.nonzero(v)[0]))
            assert len(group) == values[0]
            found.append(Found(group, int(values[0])))
    return found


def assert_safe(reader: Reader, informed: bool = False, groups: str = "all") -> None:
    found = intruder(reader.seen, reader.gate.threshold, informed, groups)
    assert not found, f"worked out: {found[:3]} from {reader.seen}"


def people(n: int, start: int = 0, prefix: str = "p") -> frozenset:
    return frozenset(f"{prefix}{i}" for i in range(start, start + n))


# -------------------- the intruder itself


def test_intruder_finds_what_a_naive_report_leaks():
    """Without a gate, '22 of 37 returned; 13 still attending' leaves 2, and two 1s in a
    row whose total is 2 are 1 each: the intruder must see both."""
    returned, attending = people(22), people(13, 22)
    everyone = people(37)
    seen = [Seen(everyone, 37), Seen(returned, 22), Seen(attending, 13)]
    found = intruder(seen, 5)
    assert Found(everyone - returned - attending, 2) in found
    row = [Seen(people(2), 2), Seen(people(1), None), Seen(people(1, 1), None)]
    assert {f.size for f in intruder(row, 5)} == {1, 2}
    # a hidden cell whose row leaves it 1 to 7 is not worked out
    assert intruder([Seen(people(8), 8), Seen(people(1), None)], 5) == []
    # informed: "fewer than 5" twice in a row of 8 → 4 and 4
    small = [Seen(people(8), 8), Seen(people(4), None, SMALL), Seen(people(4, 4), None, SMALL)]
    assert intruder(small, 5) == []
    assert {f.size for f in intruder(small, 5, informed=True)} == {4}


def test_intruder_agrees_with_a_plain_search_on_tiny_cases():
    """On random tiny set systems the vectorised enumeration gives what looping over every
    assignment gives."""
    rnd = random.Random(3)
    for _ in range(40):
        n = rnd.randint(1, 5)
        universe = list(range(n))
        seen = []
        for _ in range(rnd.randint(1, 3)):
            members = frozenset(p for p in universe if rnd.random() < 0.5)
            hide = members and rnd.random() < 0.4  # a c never hides a zero
            seen.append(Seen(members, None if hide else len(members)))
        fast = {f.members for f in intruder(seen, 3)}
        slow = set()
        everyone = frozenset().union(*(s.members for s in seen))
        atoms = {}
        for p in everyone:
            atoms.setdefault(tuple(p in s.members for s in seen), set()).add(p)
        keys = list(atoms)
        fits = []
        for sizes in itertools.product(range(n + 1), repeat=len(keys)):
            ok = True
            for i, s in enumerate(seen):
                total = sum(x for k, x in zip(keys, sizes, strict=True) if k[i])
                if (s.size is not None and total != s.size) or (s.size is None and total < 1):
                    ok = False
            # an atom in no published set is unbounded: any group holding it is not pinned
            if ok:
                fits.append(sizes)
        free = {
            j
            for j, k in enumerate(keys)
            if not any(k[i] and s.size is not None for i, s in enumerate(seen))
        }
        for v in itertools.product((0, 1), repeat=len(keys)):
            if not any(v) or any(v[j] for j in free):
                continue
            values = {sum(a * b for a, b in zip(v, f, strict=True)) for f in fits}
            if len(values) == 1 and 0 < next(iter(values)) < 3:
                slow.add(frozenset().union(*(atoms[k] for k, b in zip(keys, v, strict=True) if b)))
        assert fast == slow


# -------------------- leak kinds of issue 10


def test_k_of_n_then_a_remainder_in_another_sentence():
    """'22 of 37 returned; 13 still attending' would leave 2: the second figure is held."""
    everyone, returned, attending = people(37), people(22), people(13, 22)
    reader = Reader(Gate())
    assert str(reader.count(everyone)) == "37"
    assert not reader.share(returned, everyone).hidden  # 22 of 37, the other 15 ≥ 5
    late = reader.count(attending)
    assert late.hidden and late.reason == PROTECTS
    assert_safe(reader)


def test_share_with_a_small_complement_is_held():
    """'20 of 24 found the content just right' leaves 4."""
    respondents, right = people(24), people(20)
    reader = Reader(Gate())
    assert reader.share(right, respondents).hidden
    reader.count(respondents)  # "24 answered" in another sentence
    reader.count(right)  # "20 found it just right" in a third
    assert_safe(reader)


@pytest.mark.parametrize("cost_first", [True, False])
def test_cost_per_outcome_and_the_outcome_table(cost_first):
    """£14,433 / £2,887 per reliable improvement gives 5 improved; with the total and the
    other categories that would give 1 deteriorated."""
    improved, same, worse = people(5), people(18, 5), people(1, 23)
    total = improved | same | worse
    reader = Reader(Gate())
    table = {"Improved": improved, "No change": same, "Deteriorated": worse, "Total": total}
    if cost_first:
        money = reader.per_outcome(14_433.0, improved)
        assert not money.hidden and f"£{money.value:,.0f}" == "£2,887"
        out = reader.counts(table)
        assert out["Deteriorated"].hidden and out["Deteriorated"].reason == SMALL
        assert sum(v.hidden for v in out.values()) >= 2
    else:
        out = reader.counts(table)
        assert out["Deteriorated"].hidden
        money = reader.per_outcome(14_433.0, improved)
        assert money.hidden == out["Improved"].hidden
    assert_safe(reader)


def test_cost_per_outcome_hidden_when_its_count_is():
    reader = Reader(Gate())
    money = reader.per_outcome(14_433.0, people(3))
    assert money.hidden and money.shown == C and str(money) == C and money.kind == "money"
    assert_safe(reader)


def test_a_suppressed_total_stays_suppressed_in_a_later_sentence():
    """A rows-kept total hidden in the table is hidden again when a sentence asks."""
    kept1, quar1 = people(3, 0, "a"), people(4, 0, "qa")  # return 1: 7 read, 3 kept
    kept2, quar2 = people(20, 0, "b"), people(2, 0, "qb")
    reader = Reader(Gate())
    table = {
        ("r1", "read"): kept1 | quar1,
        ("r1", "kept"): kept1,
        ("r1", "quarantined"): quar1,
        ("r2", "read"): kept2 | quar2,
        ("r2", "kept"): kept2,
        ("r2", "quarantined"): quar2,
        ("total", "read"): kept1 | quar1 | kept2 | quar2,
        ("total", "kept"): kept1 | kept2,
        ("total", "quarantined"): quar1 | quar2,
    }
    out = reader.counts(table)
    assert out[("r1", "kept")].hidden and out[("r2", "quarantined")].hidden
    for key, members in table.items():  # the same sets asked again: the same answer
        assert reader.count(members) == out[key]
    assert_safe(reader)


def test_a_by_school_n_does_not_floor_a_suppressed_rows_kept_cell():
    """The school's n (with baseline) after a data-quality table where that school's rows
    kept were hidden: together they must not pin the hidden cell or its complement."""
    kept1, quar1 = people(6, 0, "a"), people(3, 0, "qa")
    kept2, quar2 = people(12, 0, "b"), people(1, 0, "qb")
    reader = Reader(Gate())
    reader.counts(
        {
            "read1": kept1 | quar1,
            "kept1": kept1,
            "quar1": quar1,
            "read2": kept2 | quar2,
            "kept2": kept2,
            "quar2": quar2,
            "read": kept1 | quar1 | kept2 | quar2,
            "kept": kept1 | kept2,
            "quar": quar1 | quar2,
        }
    )
    baseline1 = frozenset(list(kept1)[:5])
    baseline2 = frozenset(list(kept2)[:10])
    reader.counts({"School A": baseline1, "School B": baseline2, "Total": baseline1 | baseline2})
    reader.count(kept1 - baseline1)  # "1 had no baseline" would be small
    assert_safe(reader)


def test_exact_mcnemar_p_with_n_and_margins():
    """p = .125 with n = 20 and margins 10 / 13 pins 3 worse and 0 better: held."""
    n = people(20)
    before = people(10)
    after = people(13)  # 3 became persistently absent, nobody stopped
    better, worse = before - after, after - before
    reader = Reader(Gate())
    reader.counts({"n": n, "before": before, "after": after})
    p = reader.pvalue(0.25, (better, worse))
    assert p.hidden and p.shown == C and str(p) == C
    assert_safe(reader)
    # and in the other order: the p-value first
    reader = Reader(Gate())
    assert reader.pvalue(0.25, (better, worse)).hidden
    reader.counts({"n": n, "before": before, "after": after})
    assert_safe(reader)


def test_mcnemar_p_shown_when_every_count_behind_it_may_be():
    before, after = people(15), people(10, 10)  # 10 better, 5 worse, 5 both, 5 neither
    n = people(25)
    reader = Reader(Gate())
    reader.counts({"n": n, "before": before, "after": after})
    p = reader.pvalue(0.3, (before - after, after - before))
    assert not p.hidden and p.shown == 0.3
    assert_safe(reader)


def test_two_ones_in_a_row_whose_total_is_two():
    reader = Reader(Gate())
    out = reader.counts({"a": people(1), "b": people(1, 1), "total": people(2)})
    assert all(v.hidden for v in out.values())
    reader = Reader(Gate())
    out = reader.counts(
        {"a": people(1), "b": people(1, 1), "c": people(10, 2), "total": people(12)}
    )
    assert out["a"].hidden and out["b"].hidden
    assert out["c"].hidden or out["total"].hidden
    assert_safe(reader)


def test_zeros_are_shown_and_never_used_as_complements():
    reader = Reader(Gate())
    out = reader.counts(
        {"none": frozenset(), "few": people(3), "many": people(9, 3), "all": people(12)}
    )
    assert out["none"].shown == 0 and not out["none"].hidden
    assert out["few"].hidden and (out["many"].hidden or out["all"].hidden)
    assert_safe(reader)
    assert Gate().count([]).shown == 0


def test_analyst_edition_shows_everything():
    g = Gate(audience="analyst")
    assert g.count(people(1)).shown == 1
    assert g.counts({"a": people(1), "t": people(2)})["a"].shown == 1
    assert not g.share(people(4), people(5))[1].hidden
    assert not g.pvalue(0.5, (people(1), people(2))).hidden
    assert not g.per_outcome(100.0, people(1)).hidden
    assert not g.statistic(1.5, people(2)).hidden
    assert g.events(2).shown == 2
    with pytest.raises(ConfigError):
        Gate(audience="public")


def test_statistics_from_fewer_than_the_threshold_are_hidden():
    g = Gate()
    assert g.statistic(3.2, people(4)).hidden
    assert not g.statistic(3.2, people(5)).hidden
    assert g.events(3).hidden and not g.events(0).hidden and not g.events(5).hidden
    # a statistic of a group whose count was hidden to protect another is hidden too
    out = g.counts({"a": people(1), "b": people(6, 1), "t": people(7)})
    protected = next(k for k, v in out.items() if v.hidden and v.reason == PROTECTS)
    members = {"a": people(1), "b": people(6, 1), "t": people(7)}[protected]
    assert g.statistic(0.4, members).hidden


def test_issued_never_shows_a_hidden_value():
    g = Gate()
    for issued in (
        g.count(people(3)),
        g.share(people(2), people(10))[1],
        g.pvalue(0.04, (people(3, 0, "x"),)),
        g.per_outcome(999.0, people(2, 0, "y")),
        g.statistic(12.5, people(4, 0, "z")),
        g.events(4),
    ):
        assert issued.hidden
        assert issued.shown == C
        assert str(issued) == C
        assert f"{issued}" == C
        assert "%s" % issued == C  # noqa: UP031
    shown = g.count(people(12, 0, "w"))
    assert shown.shown == 12 and isinstance(shown.shown, int) and str(shown) == "12"


def test_threshold_seven_is_honoured_everywhere():
    g = Gate(threshold=7)
    assert g.count(people(6)).hidden and not g.count(people(7, 0, "s")).hidden
    assert g.share(people(10, 0, "k"), people(16, 0, "k"))[1].hidden  # rest 6
    assert not g.share(people(7, 0, "m"), people(14, 0, "m"))[1].hidden
    assert g.pvalue(0.1, (people(6, 0, "d"), people(8, 0, "e"))).hidden
    assert g.statistic(1.0, people(6, 0, "f")).hidden
    assert g.events(6).hidden and not g.events(7).hidden
    assert g.per_outcome(100.0, people(5, 0, "g")).hidden
    reader = Reader(Gate(threshold=7))
    out = reader.counts({"a": people(6), "b": people(14, 6), "t": people(20)})
    assert out["a"].hidden and (out["b"].hidden or out["t"].hidden)
    assert_safe(reader)
    with pytest.raises(ConfigError):
        Gate(threshold=0)


def test_no_over_hiding_in_a_plain_partition():
    """30 children split 10 / 10 / 10 with the total: all four shown."""
    reader = Reader(Gate())
    out = reader.counts(
        {"a": people(10), "b": people(10, 10), "c": people(10, 20), "t": people(30)}
    )
    assert [v.shown for v in out.values()] == [10, 10, 10, 30]
    # nested populations with large steps are all shown too
    nested = reader.counts({"baseline": people(25), "both": people(20)})
    assert [v.shown for v in nested.values()] == [25, 20]
    assert not reader.share(people(20), people(30)).hidden
    assert_safe(reader)


def test_decisions_are_deterministic_and_never_retracted():
    def run() -> list:
        g = Gate()
        out = [g.counts({"a": people(3), "b": people(8, 3), "c": people(9, 11), "t": people(20)})]
        out.append(g.count(people(11)))
        out.append(g.share(people(8, 3), people(20)))
        out.append(g.pvalue(0.2, (people(9, 11), people(3))))
        out.append(g.count(people(3)))
        return [repr(x) for x in out]

    first = run()
    assert all(run() == first for _ in range(3))
    g = Gate()
    a = g.count(people(12))
    g.counts({"x": people(9), "y": people(3, 9)})
    assert g.count(people(12)) == a


def test_attack_directly():
    total, part = people(10), people(7)
    assert attack([total, part], [], 5) is not None  # a remainder of 3
    assert attack([total, people(5)], [], 5) is None
    assert attack([people(2)], [people(1), people(1, 1)], 5) is not None  # 1 + 1 = 2
    assert attack([people(9)], [people(1), people(8, 1)], 5) is None
    assert attack([], [], 5) is None
    # a description names no value
    text = attack([total, part], [], 5)
    assert not any(ch.isdigit() for ch in text)
    # the threshold is the attack's: 3 left of 10 is fine at threshold 3
    assert attack([total, part], [], 3) is None


# -------------------- leaks found

INFORMED_LEAK = (
    "LEAK: the gate's attack treats every c as only ≥ 1, but the reader is told why a cell "
    "is hidden: 'fewer than 5' (so ≤ threshold − 1) or 'suppressed to protect another "
    "figure (they are not themselves small)' (so ≥ threshold)"
)


def test_two_small_cells_that_fill_their_total():
    """Improved c, no change 20, deteriorated c, total 28: both c are 'fewer than 5' and
    add up to 8, so both are 4."""
    reader = Reader(Gate())
    out = reader.counts(
        {
            "Improved": people(4),
            "No change": people(20, 4),
            "Worse": people(4, 24),
            "Total": people(28),
        }
    )
    assert [out[k].reason for k in ("Improved", "Worse")] == [SMALL, SMALL]
    assert_safe(reader, informed=True)


def test_a_protecting_cell_is_known_to_be_at_least_the_threshold():
    """Total 6 = 1 (fewer than 5) + 5 (suppressed to protect, so ≥ 5): the 1 is pinned."""
    reader = Reader(Gate())
    out = reader.counts({"a": people(1), "b": people(5, 1), "t": people(6)})
    assert out["a"].reason == SMALL
    assert_safe(reader, informed=True)


def test_two_school_ns_then_the_number_with_follow_up():
    """School A n = 10, school B n = 10 (a table without a total row), then '17 have a
    follow-up': 3 have none, although no atom or pair difference is small and fixed."""
    a_both, a_none = people(9, 0, "a"), people(1, 9, "a")
    b_both, b_none = people(8, 0, "b"), people(2, 8, "b")
    reader = Reader(Gate())
    out = reader.counts({"School A": a_both | a_none, "School B": b_both | b_none})
    assert not any(v.hidden for v in out.values())
    reader.count(a_both | b_both)
    assert_safe(reader)


def test_the_same_set_twice_in_one_request():
    """Returns 10, with a baseline 7, with both 7 (the same 7): hiding one of the two 7s
    protects nothing — 3 without a baseline."""
    everyone, seven = people(10), people(7)
    reader = Reader(Gate())
    reader.counts({"returns": everyone, "baseline": seven, "both": seven})
    assert_safe(reader)  # today: baseline c (protects), both 7


# -------------------- random reports

Step = tuple  # (kind, payload)


@st.composite
def scenarios(draw, max_people: int = 10):
    """A small population with nested stages, schools, sex, a yes/no condition before and
    after and a reliable-change category, and the figures a report would ask for (each
    request a step; the steps come in a random order)."""
    n = draw(st.integers(1, max_people))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),  # 0 referred, 1 with a baseline, 2 with both
                st.integers(0, 1),  # school
                st.integers(0, 1),  # sex
                st.booleans(),  # condition before
                st.booleans(),  # condition after
                st.integers(0, 2),  # improved / no change / deteriorated
            ),
            min_size=n,
            max_size=n,
        )
    )
    ids = [f"p{i}" for i in range(n)]

    def where(test) -> frozenset:
        return frozenset(i for i, r in zip(ids, rows, strict=True) if test(r))

    returns = frozenset(ids)
    baseline = where(lambda r: r[0] >= 1)
    both = where(lambda r: r[0] == 2)
    before = where(lambda r: r[0] == 2 and r[3])
    after = where(lambda r: r[0] == 2 and r[4])
    cat = [where(lambda r, c=c: r[0] == 2 and r[5] == c) for c in range(3)]
    school = [where(lambda r, s=s: r[1] == s) for s in range(2)]
    sex = [where(lambda r, x=x: r[2] == x) for x in range(2)]
    steps: list[Step] = [
        ("counts", {"returns": returns}),
        ("counts", {"baseline": baseline}),
        ("counts", {"both": both}),
        ("counts", {"without follow-up": baseline - both}),
        ("counts", {"returns": returns, "baseline": baseline, "both": both}),
        ("share", (both, baseline)),  # K of N
        ("counts", {"not returned": returns - baseline}),
        ("share", (before, both)),  # a share, then its complement
        ("counts", {"not before": both - before}),
        ("counts", {"n": both, "before": before, "after": after}),
        ("pvalue", (before - after, after - before)),  # McNemar, then its margins
        ("money", cat[0]),  # cost per improvement, then the outcome's table
        ("counts", {"improved": cat[0], "same": cat[1], "worse": cat[2], "total": both}),
        (
            "counts",  # read = kept + quarantined per return (school), with totals
            {
                **{(s, "read"): school[s] for s in range(2)},
                **{(s, "kept"): school[s] & baseline for s in range(2)},
                **{(s, "quarantined"): school[s] - baseline for s in range(2)},
                ("t", "read"): returns,
                ("t", "kept"): baseline,
                ("t", "quarantined"): returns - baseline,
            },
        ),
        (
            "counts",  # two crossing attributes of those with both, with margins
            {
                **{(s, x): school[s] & sex[x] & both for s in range(2) for x in range(2)},
                **{(s, "all"): school[s] & both for s in range(2)},
                **{("all", x): sex[x] & both for x in range(2)},
                ("all", "all"): both,
            },
        ),
        ("counts", {f"school {s}": school[s] & both for s in range(2)}),  # by-school n
    ]
    chosen = draw(st.lists(st.sampled_from(range(len(steps))), min_size=1, max_size=8))
    order = draw(st.permutations(chosen))
    threshold = draw(st.sampled_from([3, 5]))
    return threshold, [steps[i] for i in order]


def play(threshold: int, steps: list[Step]) -> Reader:
    reader = Reader(Gate(threshold))
    for kind, payload in steps:
        if kind == "counts":
            # one cell per set of people: the same set under two labels is its own
            # (known) leak, see test_the_same_set_twice_in_one_request
            unique = {}
            for label, members in payload.items():
                if members not in unique.values():
                    unique[label] = members
            reader.counts(unique)
        elif kind == "share":
            if payload[1]:
                reader.share(*payload)
        elif kind == "pvalue":
            reader.pvalue(0.5, payload)
        elif kind == "money":
            reader.per_outcome(10_000.0, payload)
    return reader


FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(scenarios())
def test_random_reports_leave_no_small_group(scenario):
    """Whatever order the figures are asked in, no group of 1 to t − 1 people (any union
    of atoms: atoms, hidden cells, remainders, complements) can be worked out by a reader
    who takes each c as ≥ 1."""
    threshold, steps = scenario
    assert_safe(play(threshold, steps), groups="all")


@settings(FAST, max_examples=40, phases=[Phase.explicit, Phase.generate])  # no shrinking
@given(scenarios())
def test_random_reports_against_a_reader_who_reads_the_reasons(scenario):
    threshold, steps = scenario
    assert_safe(play(threshold, steps), informed=True)


@settings(FAST, max_examples=8)
@given(scenarios())
def test_random_reports_are_deterministic(scenario):
    threshold, steps = scenario
    assert play(threshold, steps).seen == play(threshold, steps).seen


def pinned_c_cells(reader: Reader) -> list[Seen]:
    """The ``c`` cells whose size the shown figures fix by plain arithmetic (a total minus
    its visible parts, differences of rows): the cell's indicator vector over people lies
    in the span of the shown sets' vectors (numpy's matrix rank, not the gate's code)."""
    seen = [s for s in reader.seen if s.members]
    everyone = sorted(frozenset().union(*(s.members for s in seen)), key=repr) if seen else []
    vector = {p: i for i, p in enumerate(everyone)}

    def row(members: frozenset) -> np.ndarray:
        out = np.zeros(len(everyone))
        out[[vector[p] for p in members]] = 1.0
        return out

    shown = np.array([row(s.members) for s in seen if s.size is not None])
    shown = shown.reshape(-1, len(everyone))
    rank = np.linalg.matrix_rank(shown) if len(shown) else 0
    return [
        s
        for s in seen
        if s.size is None and np.linalg.matrix_rank(np.vstack([shown, row(s.members)])) == rank
    ]


def test_a_protecting_cell_that_the_table_pins_is_shown_again():
    """The gate's fall-back hides the smallest shown cell when no single cell is enough;
    that cell may turn out to be fixed by the others (a total minus its visible parts),
    so it protects nothing and the audit stops the pack ("the total minus the visible
    parts pins a hidden cell"). Found on the demo ELSA band table (seed 1, autumn: After
    = 16 + c + 0 + 10 of 33), and cut down to the three requests below. Every ``c`` the
    gate leaves must be one the shown figures do not fix."""

    def ids(*numbers: int) -> frozenset:
        return frozenset(f"p{i}" for i in numbers)

    rest_1 = ids(2, 7, 19, 22, 23, 25, 26, 32, 33, 39, 43, 47, 48, 51, 53)
    slightly_before = ids(2, 7, 19, 22, 23, 25, 26, 33, 39, 48, 51)
    very_high_before = ids(1, 4, 6, 8, 10, 14, 16, 31, 35, 37, 40, 42, 45, 49)
    very_high_after = ids(1, 4, 6, 8, 10, 14, 35, 37, 48, 49)
    total = ids(0, 1, 2, 4, 6, 7, 8, 10, 11, 14, 15, 16, 19, 22, 23, 24, 25, 26, 31, 32, 33)
    total |= ids(35, 37, 39, 40, 42, 43, 45, 47, 48, 49, 51, 53)
    rest_2 = ids(0, 2, 7, 11, 15, 16, 19, 22, 23, 24, 25, 26, 31, 32, 33, 39, 40, 42, 43)
    rest_2 |= ids(45, 47, 51, 53)
    reader = Reader(Gate())
    reader.count(rest_1)
    reader.counts(
        {"slightly": slightly_before, "very high": very_high_before, "after": very_high_after}
        | {"total": total}
    )
    reader.count(rest_2)
    assert_safe(reader)
    assert not pinned_c_cells(reader), pinned_c_cells(reader)


@settings(FAST, max_examples=40)
@given(scenarios())
def test_random_reports_leave_no_c_that_the_shown_figures_fix(scenario):
    """Every ``c`` of a random report is unknown to a reader doing table arithmetic on the
    shown figures, whatever its reason (a small cell or one protecting another)."""
    threshold, steps = scenario
    reader = play(threshold, steps)
    assert not pinned_c_cells(reader), pinned_c_cells(reader)
