"""The sync group's three-way merge (engine.jobs.group_merge): worked cases of
each documented rule, and Hypothesis properties over random edit scripts."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.jobs.group_merge import longest_increasing, merge, plan_member

SYNCED = {"x": {"a", "b", "c", "d"}, "y": {"a", "b", "c", "d"}, "z": {"a", "b", "c", "d"}}
BASE = ["a", "b", "c", "d"]


def test_adds_from_every_member_are_kept_once_across_ids() -> None:
    # the same recording added on x and y under their own ids: identity makes it one
    result = merge(
        BASE,
        {"x": ["a", "b", "c", "d", "sp:new"], "y": ["td:new", "a", "b", "c", "d"]},
        identity={"x": {"sp:new": "new"}, "y": {"td:new": "new"}},
        precedence=["x", "y"],
    )
    assert result.order == ["new", "a", "b", "c", "d"]  # y ranks higher: its place
    assert result.reasons["new"] == "R1 add: on x, y"


def test_removal_beats_a_move_elsewhere() -> None:
    result = merge(BASE, {"x": ["a", "c", "d"], "y": ["b", "a", "c", "d"]}, precedence=["x", "y"])
    assert "b" not in result.order
    assert result.reasons["b"].startswith("R2 remove-beats-move: removed on x, moved on y")
    assert "b" in result.conflicts


def test_an_addition_beats_a_removal() -> None:
    # y never held "e" (not in its catalogue then); x removed it, y has it now
    result = merge(
        ["a", "e"],
        {"x": ["a"], "y": ["a", "e"]},
        held={"x": {"a", "e"}, "y": {"a"}},
    )
    assert result.order == ["a", "e"]
    assert result.reasons["e"].startswith("R3 add-beats-remove")


def test_the_higher_member_decides_a_track_moved_twice() -> None:
    result = merge(
        BASE,
        {"x": ["d", "a", "b", "c"], "y": ["a", "b", "d", "c"], "z": BASE},
        precedence=["z", "x", "y"],
    )
    assert result.order == ["a", "b", "d", "c"]
    assert result.reasons["d"] == "R4 move: y decides over x"


def test_a_track_one_member_lacks_is_no_removal() -> None:
    result = merge(
        BASE, {"x": BASE, "y": ["a", "b", "d"]}, held={"x": set(BASE), "y": {"a", "b", "d"}}
    )
    assert result.order == BASE
    plan = plan_member(result.order, ["a", "b", "d"], resolve={})
    assert plan.missing == ["c"] and plan.writes == 0


def test_plan_member_adds_removes_moves_and_drops_duplicates() -> None:
    plan = plan_member(["a", "b", "c", "n"], ["b", "a", "a", "c", "old"], resolve={"n": "n"})
    assert plan.final == ["a", "b", "c", "n"]
    assert plan.remove == ["a", "old"] and plan.add == ["a", "n"]
    # after removing a (twice) and old, then appending a and n: b c a n -> a moves
    assert plan.move == ["a"] and plan.writes == 5


def test_precedence_must_name_every_member() -> None:
    with pytest.raises(ValueError, match="precedence"):
        merge(BASE, {"x": BASE, "y": BASE}, precedence=["x"])


def test_longest_increasing_is_leftmost_and_stable() -> None:
    assert longest_increasing([3, 0, 1, 2]) == {1, 2, 3}
    assert longest_increasing([]) == set()
    assert longest_increasing([2, 1]) == longest_increasing([2, 1])


# --- properties ------------------------------------------------------------------


@dataclass
class Scenario:
    base: list[str]
    members: dict[str, list[str]]  # member's own ids ("m:key")
    held: dict[str, set[str]]
    lacks: dict[str, set[str]]  # keys not in the member's catalogue
    precedence: list[str]

    def identity(self) -> dict[str, dict[str, str]]:
        return {m: {i: i.split(":", 1)[1] for i in items} for m, items in self.members.items()}

    def own_keys(self, member: str) -> list[str]:
        return list(dict.fromkeys(i.split(":", 1)[1] for i in self.members[member]))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    size = draw(st.integers(0, 25))
    base = [f"k{i}" for i in range(size)]
    names = [f"m{i}" for i in range(draw(st.integers(1, 4)))]
    shared_new = [f"n{i}" for i in range(6)]  # new keys several members may add
    members: dict[str, list[str]] = {}
    held: dict[str, set[str]] = {}
    lacks: dict[str, set[str]] = {}
    for m in names:
        lacks[m] = {k for k in [*base, *shared_new] if rng.random() < 0.1}
        keys = [k for k in base if k not in lacks[m]]
        held[m] = set(keys)
        for _ in range(rng.randint(0, 6)):
            op = rng.choice(("add", "remove", "move", "dup"))
            if op == "add":
                pool = [
                    k for k in [*shared_new, f"{m}-own{rng.randint(0, 3)}"] if k not in lacks[m]
                ]
                key = rng.choice(pool)
                if key not in keys:
                    keys.insert(rng.randint(0, len(keys)), key)
            elif op == "remove" and keys:
                keys.pop(rng.randrange(len(keys)))
            elif op == "move" and keys:
                key = keys.pop(rng.randrange(len(keys)))
                keys.insert(rng.randint(0, len(keys)), key)
            elif op == "dup" and keys:
                keys.insert(rng.randint(0, len(keys)), rng.choice(keys))
        members[m] = [f"{m}:{k}" for k in keys]
    precedence = list(names)
    rng.shuffle(precedence)
    return Scenario(base, members, held, lacks, precedence)


def run_merge(s: Scenario, member_order: list[str] | None = None):  # type: ignore[no-untyped-def]
    names = member_order or list(s.members)
    return merge(
        s.base,
        {m: s.members[m] for m in names},
        held=s.held,
        identity=s.identity(),
        precedence=s.precedence,
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_merge_is_deterministic(s: Scenario) -> None:
    first = run_merge(s)
    again = run_merge(s, list(reversed(list(s.members))))
    assert first.order == again.order and first.reasons == again.reasons
    assert len(first.order) == len(set(first.order))


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_every_change_survives_unless_a_rule_overrides_it(s: Scenario) -> None:
    result = run_merge(s)
    merged = set(result.order)
    added = {k for c in result.changes.values() for k in c.added}
    removed = {k for c in result.changes.values() for k in c.removed}
    assert added <= merged  # R1, R3
    for key in removed - added:  # R2 (R3 keeps what someone else added)
        assert key not in merged
    for key in set(s.base) - removed:
        assert key in merged  # nobody removed it: it stays, even where lacking
    rank = {m: i for i, m in enumerate(s.precedence)}
    decider: dict[str, str] = {}
    for m in s.precedence:  # lowest first: the last writer is the highest
        for key in (*result.changes[m].moved, *result.changes[m].added):
            if key in merged:
                decider[key] = m
    position = {k: i for i, k in enumerate(result.order)}
    for key, m in decider.items():
        # R5: it follows its nearest predecessor on m that no higher member placed
        own = [k for k in s.own_keys(m) if k in merged]
        before = own[: own.index(key)]
        anchors = [k for k in before if rank.get(decider.get(k, ""), -1) <= rank[m]]
        if anchors:
            assert position[anchors[-1]] < position[key], (key, m, anchors[-1])
    editors = [m for m, c in result.changes.items() if c.added or c.removed or c.moved]
    if len(editors) == 1:  # a lone editor's playlist is the result, on its own tracks
        own = s.own_keys(editors[0])
        assert [k for k in result.order if k in set(own)] == own


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_applying_the_merge_twice_changes_nothing(s: Scenario) -> None:
    result = run_merge(s)
    after: dict[str, list[str]] = {}
    for m, items in s.members.items():
        resolve = {k: f"{m}:{k}" for k in result.order if k not in s.lacks[m]}
        plan = plan_member(result.order, items, identity=s.identity()[m], resolve=resolve)
        assert len(plan.final) == len(set(plan.final))
        after[m] = plan.final
    held = {m: {i.split(":", 1)[1] for i in items} for m, items in after.items()}
    again = merge(
        result.order,
        after,
        held=held,
        identity={m: {i: i.split(":", 1)[1] for i in items} for m, items in after.items()},
        precedence=s.precedence,
    )
    assert again.order == result.order
    for items in after.values():
        ident = {i: i.split(":", 1)[1] for i in items}
        assert plan_member(again.order, items, identity=ident, resolve={}).writes == 0
