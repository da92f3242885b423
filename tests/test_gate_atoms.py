"""The gate on atoms (people with the same sets, with a multiplicity) and across packs.

Three kinds of test:

- **the same decisions as before.** The gate used to build every attack over people;
  it now keeps the people of each membership pattern as one atom, updated as sets
  arrive, and caches and short-cuts its programmes. Its decisions are compared with
  the people-level gate of commit 96899df (read with ``git show``; skipped outside a
  git checkout) on the random reports of ``tests/test_gate.py``, and on the same reports
  with every person copied 100 times and the threshold ×100 (every set scaled).
- **the small-union search** (``_small_union_in_row_space``: decompositions, listing,
  bases) against a brute force written here: every union of atoms, tested for lying in
  the row space by a rank computation.
- **known sets** (``Gate.known``) and the ledger (``Gate.ledger``): a year pack whose
  gate knows the term packs' figures, attacked by the independent intruder of
  ``tests/test_gate.py``.
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from test_gate import FAST, Reader, Seen, assert_safe, intruder, people, play, scenarios

from dspl_eval import gate as gate_module
from dspl_eval.errors import DisclosureError
from dspl_eval.gate import PROTECTS, SMALL, Gate, _small_union_in_row_space

REFERENCE_COMMIT = "96899df"  # the last gate that attacked over people


def _reference_gate():
    """The gate module as it was at REFERENCE_COMMIT, or None outside a git checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        source = subprocess.run(
            ["git", "show", f"{REFERENCE_COMMIT}:dspl_eval/gate.py"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader("gate_reference", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_reference"] = module
    exec(compile(source, "gate_reference.py", "exec"), module.__dict__)
    return module


REFERENCE = _reference_gate()
needs_reference = pytest.mark.skipif(REFERENCE is None, reason="needs the git history")


def decisions(gate_class, threshold: int, steps) -> list:
    """Every decision of a random report (as the reader sees them) under ``gate_class``."""
    original = gate_module.Gate
    try:
        import test_gate

        test_gate.Gate = gate_class
        return play(threshold, steps).seen
    finally:
        test_gate.Gate = original


def scaled(steps, copies: int):
    """The same report with every person copied ``copies`` times (every set scaled)."""

    def grow(members):
        return frozenset(f"{p}#{i}" for p in members for i in range(copies))

    out = []
    for kind, payload in steps:
        if kind == "counts":
            out.append((kind, {label: grow(m) for label, m in payload.items()}))
        elif kind in ("share", "pvalue"):
            out.append((kind, tuple(grow(m) for m in payload)))
        else:
            out.append((kind, grow(payload)))
    return out


def unscaled(seen: list[Seen], copies: int) -> list[tuple]:
    return [(frozenset(p.split("#")[0] for p in s.members), s.size, s.reason) for s in seen]


# -------------------- the same decisions as the people-level gate


@needs_reference
@settings(FAST, max_examples=40)
@given(scenarios())
def test_same_decisions_as_the_people_level_gate(scenario):
    threshold, steps = scenario
    assert decisions(Gate, threshold, steps) == decisions(REFERENCE.Gate, threshold, steps)


@needs_reference
@settings(FAST, max_examples=15)
@given(scenarios(max_people=8))
def test_a_hundred_copies_of_everyone(scenario):
    """Every person copied 100 times and the threshold ×100: the decisions are those of
    the people-level gate on the 100-fold population, and the atoms are as few as for
    the original population (the work does not grow with the people)."""
    threshold, steps = scenario
    big = scaled(steps, 100)
    ours = decisions(Gate, 100 * threshold, big)
    assert ours == decisions(REFERENCE.Gate, 100 * threshold, big)
    small_gate, big_gate = Gate(threshold), Gate(100 * threshold)
    for gate, run in ((small_gate, steps), (big_gate, big)):
        for kind, payload in run:
            if kind == "counts":
                gate.counts(payload)
    assert len(big_gate._atoms) == len(small_gate._atoms)


def test_copies_of_people_are_one_atom():
    g = Gate()
    everyone = people(500)
    g.counts({"all": everyone, "half": people(250), "rest": people(250, 250)})
    assert len(g._atoms) == 2
    g.count(people(100, 200))  # cuts both halves
    assert len(g._atoms) == 4
    assert sorted(g._atoms.sizes.tolist()) == [50, 50, 200, 200]


def test_the_order_of_people_and_their_names_do_not_matter():
    """People are interchangeable within an atom: renaming them changes nothing."""
    rng = np.random.default_rng(4)
    for _ in range(5):
        n = 14
        sets = [frozenset(np.nonzero(rng.random(n) < 0.5)[0].tolist()) for _ in range(6)]
        rename = {i: f"child-{j}" for i, j in enumerate(rng.permutation(n))}
        first, second = Gate(), Gate()
        a = first.counts({k: s for k, s in enumerate(sets)})
        b = second.counts({k: frozenset(rename[p] for p in s) for k, s in enumerate(sets)})
        assert [(v.hidden, v.reason) for v in a.values()] == [
            (v.hidden, v.reason) for v in b.values()
        ]


# -------------------- the small-union search against a brute force


def brute_small_union(a: np.ndarray, sizes: np.ndarray, threshold: int) -> bool:
    """Every union of atoms: in the row space (rank unchanged) and 1 to t − 1 people."""
    rank = np.linalg.matrix_rank(a)
    for v in itertools.product((0, 1), repeat=a.shape[1]):
        v = np.array(v, dtype=float)
        if 1 <= v @ sizes <= threshold - 1 and np.linalg.matrix_rank(np.vstack([a, v])) == rank:
            return True
    return False


def test_small_union_search_agrees_with_a_brute_force():
    rng = np.random.default_rng(11)
    checked = found = 0
    for _ in range(300):
        n_sets, n_atoms = rng.integers(1, 6), rng.integers(1, 10)
        a = (rng.random((n_sets, n_atoms)) < rng.uniform(0.2, 0.8)).astype(float)
        a = a[:, a.any(axis=0)]  # atoms in no published set are not atoms of the search
        if not a.size:
            continue
        sizes = rng.choice([1, 1, 2, 3, 5, 8, 40], size=a.shape[1]).astype(float)
        threshold = int(rng.choice([3, 5, 7]))
        expected = brute_small_union(a, sizes, threshold)
        assert _small_union_in_row_space(a, sizes, threshold) == expected, (a, sizes)
        checked += 1
        found += expected
    assert checked > 200 and 20 < found < checked - 20  # both answers are exercised


def test_small_union_search_on_many_atoms_uses_no_programme(monkeypatch):
    """A partition of 2,000 people into 400 single-person atoms under 30 crossing sets:
    answered by bases and parts (the integer programme, here made to fail, is not run)."""
    rng = np.random.default_rng(5)
    a = (rng.random((30, 400)) < 0.5).astype(float)
    a = np.unique(a, axis=1)
    sizes = np.full(a.shape[1], 5.0)
    sizes[:200] = 1.0

    def refuse(*args, **kwargs):
        raise AssertionError("the integer programme ran")

    monkeypatch.setattr(gate_module, "_small_union_programme", refuse)
    assert _small_union_in_row_space(a, sizes, 5) is False
    # an atom of 1 on its own in a published set is found without it too
    lone = np.zeros((1, a.shape[1]))
    lone[0, 0] = 1.0
    assert _small_union_in_row_space(np.vstack([a, lone]), sizes, 5) is True


# -------------------- known sets and the ledger


def test_year_total_after_a_term_total_and_a_near_copy_of_the_term():
    """The autumn pack published 20 (15 children still here, 5 rows that are not in the
    year's returns); the year has those 15 and 8 more: 23 may be shown (the two differ
    by 5 and 8, and their overlap is not published). A set 2 children more than the
    autumn's known set (15 + 5 + 2) may not: the 2 could be worked out."""
    shared, autumn_only, new = people(15), people(5, 0, "autumn:q"), people(8, 15)
    autumn, year = shared | autumn_only, shared | new
    g = Gate()
    g.known([autumn])
    reader = Reader(g)
    reader.seen.append(Seen(autumn, 20))  # what the reader knows from the autumn pack
    assert reader.count(year).shown == 23
    near = autumn | people(2, 15)
    assert reader.count(near).hidden
    assert_safe(reader)


@pytest.mark.parametrize("gap", [1, 2, 3, 4])
def test_a_set_that_differs_from_a_known_set_by_a_few_is_refused(gap):
    term = people(30)
    g = Gate()
    g.known([term])
    reader = Reader(g)
    reader.seen.append(Seen(term, 30))
    assert reader.count(people(30 - gap)).hidden  # a few fewer
    assert reader.count(people(30 + gap)).hidden  # a few more
    assert not reader.count(people(30 + 5)).hidden  # the threshold more is fine
    assert_safe(reader)


def test_known_people_outside_this_report_stay_atoms_of_their_own():
    """The spring pack's known set holds 18 children of the year and 2 rows the year does
    not have. Cutting the 2 away would make 18 look known already and let it be shown:
    18 of 20 would give the 2. Kept as people of their own, the 18 is refused."""
    inside, outside = people(18), people(2, 0, "spring:")
    g = Gate()
    g.known([inside | outside])
    reader = Reader(g)
    reader.seen.append(Seen(inside | outside, 20))
    assert reader.count(inside).hidden
    assert_safe(reader)
    found = intruder([Seen(inside | outside, 20), Seen(inside, 18)], 5)
    assert any(f.members == outside for f in found)  # what publishing it would have given


def test_a_known_set_asked_again_is_shown_and_attacks_count_it():
    term = people(12)
    g = Gate()
    g.known([term, frozenset()])
    assert g.count(term).shown == 12
    out = g.counts({"a": people(9), "b": people(3, 9)})  # b is small, a would leave 3
    assert out["b"].hidden and out["a"].hidden and out["a"].reason == PROTECTS
    assert g.ledger() == [term]


def test_known_sets_that_already_give_a_small_group_are_an_error():
    g = Gate()
    with pytest.raises(DisclosureError, match="known from other packs"):
        g.known([people(20), people(17)])  # 3 between them
    analyst = Gate(audience="analyst")
    analyst.known([people(20), people(17)])  # the analyst edition does not attack
    assert analyst.ledger() == []  # nothing published by this gate yet


def test_ledger_lists_what_this_gate_published_never_hidden_nor_only_known():
    """The ledger is what this pack adds: its shown sets, a known set only when this pack
    shows it too (the other known sets are in their own packs' ledgers, in their ids)."""
    g = Gate()
    g.known([people(40, 0, "t"), people(25, 0, "u")])
    g.counts({"all": people(30), "few": people(3), "rest": people(27, 3)})
    g.count(people(12, 0, "x"))
    g.count(people(25, 0, "u"))  # known, and shown here as well
    ledger = g.ledger()
    assert people(40, 0, "t") not in ledger
    assert people(25, 0, "u") in ledger
    assert people(3) not in ledger
    assert people(12, 0, "x") in ledger
    shown = {s for s, v in g._ledger.decided.items() if not v.hidden}
    assert set(ledger) == shown - {people(40, 0, "t")}
    for s in ledger:
        assert isinstance(s, frozenset)
    assert all(g._ledger.decided[s].reason in (SMALL, PROTECTS) for s in g._ledger.hidden)


def test_listing_enumerates_every_combination():
    combos = np.zeros((1, 0), dtype=np.int64)
    for k in range(1, 5):
        combos = gate_module._extend(combos, 9)
        assert [tuple(c) for c in combos] == list(itertools.combinations(range(9), k))


def test_listing_small_unions_agrees_with_trying_every_union():
    """``_list_unions`` (the exact listing that now decides most parts before the integer
    programme) against brute force: every 0/1 vector over a part's atoms, kept when it has
    1 to threshold − 1 people and lies in the part's row space (least squares residual).
    Random 0/1 published sets over a dozen atoms of 1 to 3 people."""
    import itertools

    import numpy as np

    from dspl_eval import gate

    rng = np.random.default_rng(20261202)
    checked = 0
    for _ in range(150):
        m, n = int(rng.integers(2, 6)), int(rng.integers(4, 11))
        a = (rng.random((m, n)) < 0.45).astype(float)
        sizes = rng.integers(1, 4, n).astype(float)
        parts = gate._components(a, np.ones(n, dtype=bool))
        if not parts:
            continue
        for t_part, atoms in parts:
            listed = gate._list_unions(t_part, sizes[atoms], 5)
            if listed is None:
                continue
            found = False
            for z in itertools.product((0.0, 1.0), repeat=len(atoms)):
                z = np.array(z)
                people = z @ sizes[atoms]
                if not 1 <= people <= 4:
                    continue
                w = np.linalg.lstsq(t_part.T, z, rcond=None)[0]
                if np.abs(t_part.T @ w - z).max() < 1e-8:
                    found = True
                    break
            assert listed == found, (a, sizes)
            checked += 1
    assert checked > 50


def test_both_listings_agree_with_trying_every_union_at_every_threshold():
    """``_list_by_halves`` (meet in the middle: halves of a union matched on projections
    of the null space) and ``_list_by_basis`` (every combination of basis rows), each
    against brute force (every 0/1 vector over a part's atoms with 1 to threshold − 1
    people, kept when it lies in the part's row space by least squares), at thresholds
    2, 3, 5 and 7, on random parts, a third of them with repeated columns (atoms that
    always go together: several own atoms for one basis row)."""
    import itertools

    import numpy as np

    from dspl_eval import gate

    rng = np.random.default_rng(20261203)
    checked = {"halves": 0, "basis": 0}
    answers = {True: 0, False: 0}
    for _ in range(400):
        m, n = int(rng.integers(2, 7)), int(rng.integers(3, 12))
        a = (rng.random((m, n)) < rng.uniform(0.2, 0.7)).astype(float)
        if rng.random() < 0.3:
            a[:, : n // 3] = a[:, [0]]
        sizes = rng.integers(1, 4, n).astype(float)
        threshold = int(rng.choice([2, 3, 5, 7]))
        for t_part, atoms in gate._components(a, np.ones(n, dtype=bool)) or []:
            found = False
            for z in itertools.product((0.0, 1.0), repeat=len(atoms)):
                z = np.array(z)
                if not 1 <= z @ sizes[atoms] <= threshold - 1:
                    continue
                w = np.linalg.lstsq(t_part.T, z, rcond=None)[0]
                if np.abs(t_part.T @ w - z).max() < 1e-8:
                    found = True
                    break
            answers[found] += 1
            for name, listing in (("halves", gate._list_by_halves), ("basis", gate._list_by_basis)):
                listed = listing(t_part, sizes[atoms], threshold)
                if listed is not None:
                    assert listed == found, (name, a, sizes, threshold)
                    checked[name] += 1
    assert min(checked.values()) > 200
    assert min(answers.values()) > 50  # parts with and without a small union


def test_the_reader_is_told_when_a_figure_is_hidden_because_of_the_other_packs():
    """Two term packs showed 20 and 17 children, 2 of them in both terms: the year's 35
    would give the 2 away, so it is hidden, and only because of the terms (alone it is
    safe). A year set hidden to protect a figure of the year report itself (9 of a shown
    12, the other 3 small) is not put down to the terms; nor is a small one."""
    autumn, spring = people(20), people(17, 18)
    g = Gate()
    g.known([autumn, spring])
    year = autumn | spring
    assert len(year) == 35
    issued = g.count(year)
    assert issued.hidden and issued.reason == PROTECTS
    assert g.knows_other_packs and g.hidden_for_other_packs(year)

    table = g.counts({"all": people(12, 100), "a": people(9, 100), "b": people(3, 109)})
    assert table["a"].reason == PROTECTS and table["b"].reason == SMALL
    assert not g.hidden_for_other_packs(people(9, 100))
    assert not g.hidden_for_other_packs(people(3, 109))
    assert not g.hidden_for_other_packs(autumn)  # shown (known)

    alone = Gate()
    assert not alone.knows_other_packs
    assert not alone.count(year).hidden  # the same figure, without the term packs
    analyst = Gate(audience="analyst")
    analyst.known([autumn, spring])
    assert not analyst.hidden_for_other_packs(year)
