"""The three-way merge of a sync group: base + N members -> one playlist.

Pure and deterministic: no I/O, no clock, no randomness. Each member is an
ordered list of its own track ids; ``identity`` maps a member's id to a
*recording key* (the caller builds it from the store's tracks and the matcher,
so the same recording under a Spotify id and a TIDAL id is one key). The base
is the group's last synced state: the merged order and, per member, the keys
that member held after that sync.

Changes are read per member against the base:

- **added** by m: m holds k now and did not hold it at the base;
- **removed** by m: m held k at the base and does not hold it now (a member
  never held a track it lacks in its catalogue, so a missing track is never a
  removal);
- **moved** by m: k was kept, and is off the longest increasing subsequence of
  m's kept keys in base order (the smallest set of moves, as ``engine.diff``).

Rules (docs/jobs.md, "Sync groups", names the same ones):

- ``R1 add``: every addition is kept; one recording added on several members
  (under any ids) is added once.
- ``R2 remove``: every removal is applied, and a removal beats a move of the
  same track on another member.
- ``R3 add-beats-remove``: a track one member removed and another member
  added (it did not hold it at the base) stays: the addition is the newer
  wish of someone who did not see the track before.
- ``R4 move``: a track moved (or added) on several members takes the position
  of the member with the highest precedence (later in ``precedence``):
  providers do not report when an item moved, so "the member that moved last"
  is the group's member order, the same every run.
- ``R5 placement``: a moved or added track is placed right after the nearest
  track that precedes it on its deciding member and is in the result; the
  tracks nobody moved keep the base order.

>>> r = merge(["a", "b", "c"], {"x": ["c", "a", "b"], "y": ["a", "b", "d"]},
...           held={"x": {"a", "b", "c"}, "y": {"a", "b", "c"}})
>>> r.order
['a', 'b', 'd']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.diff import longest_increasing

Key = str
"""A recording key: the same for one recording on every member."""


@dataclass(frozen=True)
class MemberChanges:
    """What one member changed since the base, as recording keys."""

    added: tuple[Key, ...] = ()
    removed: tuple[Key, ...] = ()
    moved: tuple[Key, ...] = ()
    duplicates: tuple[Key, ...] = ()


@dataclass(frozen=True)
class MergeResult:
    """The merged order, each member's changes and why each change was decided."""

    order: list[Key]
    changes: dict[str, MemberChanges]
    reasons: dict[Key, str] = field(default_factory=dict)
    """key -> rule and member (``"R3 add-beats-remove: added on y, removed on x"``)."""

    @property
    def conflicts(self) -> dict[Key, str]:
        """The keys decided by a conflict rule (R2 over a move, R3, R4)."""
        return {
            k: v
            for k, v in self.reasons.items()
            if v.startswith(("R2 remove-beats-move", "R3", "R4"))
        }


@dataclass(frozen=True)
class MemberPlan:
    """How one member gets to the merged order, in its own ids."""

    final: list[str]
    """The member's playlist after the run (its own ids, merged order)."""
    add: list[str]
    remove: list[str]
    move: list[str]
    """Items to reorder once the adds are appended (off the longest run in order)."""
    missing: list[Key]
    """Merged recordings this member has no id for (not in its catalogue)."""
    held: dict[str, Key] = field(default_factory=dict)
    """own id -> recording key for every id of ``final`` (the next base)."""

    @property
    def writes(self) -> int:
        return len(self.add) + len(self.remove) + len(self.move)


def member_keys(items: Sequence[str], identity: Mapping[str, Key] | None) -> list[Key]:
    """A member's ids as recording keys (an id with no entry is its own key)."""
    if identity is None:
        return list(items)
    return [identity.get(item, item) for item in items]


def changes_of(base: Sequence[Key], held: set[Key], now: Sequence[Key]) -> MemberChanges:
    """One member's additions, removals and moves against the base."""
    seen: dict[Key, None] = {}
    duplicates: list[Key] = []
    for key in now:
        if key in seen:
            duplicates.append(key)
        seen[key] = None
    current = list(seen)
    present = set(current)
    added = tuple(k for k in current if k not in held)
    removed = tuple(k for k in base if k in held and k not in present)
    position = {k: i for i, k in enumerate(base)}
    kept = [k for k in current if k in held and k in position]
    stay = longest_increasing([position[k] for k in kept])
    moved = tuple(k for i, k in enumerate(kept) if i not in stay)
    return MemberChanges(added, removed, moved, tuple(dict.fromkeys(duplicates)))


def merge(
    base: Sequence[Key],
    members: Mapping[str, Sequence[str]],
    *,
    held: Mapping[str, set[Key]] | None = None,
    identity: Mapping[str, Mapping[str, Key]] | None = None,
    precedence: Sequence[str] | None = None,
) -> MergeResult:
    """Merge ``members`` (name -> its ids in order) against ``base`` (keys).

    ``held[m]``: the keys m held at the base (default: every base key, i.e. m
    was in sync); ``identity[m]``: m's id -> recording key; ``precedence``:
    member names, lowest first (default: sorted names).
    """
    ranked = list(precedence) if precedence is not None else sorted(members)
    if set(ranked) != set(members):
        raise ValueError("precedence must name every member exactly once")
    base = list(dict.fromkeys(base))
    base_set = set(base)
    now = {m: member_keys(members[m], (identity or {}).get(m)) for m in ranked}
    held_by = {m: set(held[m]) & base_set if held and m in held else set(base_set) for m in ranked}
    changes = {m: changes_of(base, held_by[m], now[m]) for m in ranked}

    reasons: dict[Key, str] = {}
    adders: dict[Key, list[str]] = {}
    movers: dict[Key, list[str]] = {}
    removers: dict[Key, list[str]] = {}
    for m in ranked:
        for k in changes[m].added:
            adders.setdefault(k, []).append(m)
        for k in changes[m].moved:
            movers.setdefault(k, []).append(m)
        for k in changes[m].removed:
            removers.setdefault(k, []).append(m)

    survivors: set[Key] = set()
    for k in base:
        if k in removers and k not in adders:
            moved = movers.get(k)
            rule = "R2 remove-beats-move" if moved else "R2 remove"
            reasons[k] = f"{rule}: removed on {', '.join(removers[k])}" + (
                f", moved on {', '.join(moved)}" if moved else ""
            )
            continue
        survivors.add(k)
    for k, who in adders.items():
        survivors.add(k)
        if k in removers:
            reasons[k] = (
                f"R3 add-beats-remove: added on {', '.join(who)}, "
                f"removed on {', '.join(removers[k])}"
            )
        else:
            reasons[k] = f"R1 add: on {', '.join(who)}"
    for k, who in movers.items():
        touched = list(dict.fromkeys([*adders.get(k, ()), *who]))
        if k in survivors and len(touched) > 1 and not reasons.get(k, "").startswith("R3"):
            top = max(touched, key=ranked.index)
            others = ", ".join(m for m in ranked if m in touched and m != top)
            reasons[k] = f"R4 move: {top} decides over {others}"

    # R4: the highest-ranked member that moved or added a key places it; the
    # keys nobody touched keep the base order
    rank = {m: i for i, m in enumerate(ranked)}
    decider: dict[Key, str] = {}
    for k in survivors:
        touched = [*adders.get(k, ()), *movers.get(k, ())]
        if touched:
            decider[k] = max(touched, key=rank.__getitem__)
    order = _place(base, survivors, decider, ranked, now)
    return MergeResult(order=order, changes=changes, reasons=reasons)


def _place(
    base: Sequence[Key],
    survivors: set[Key],
    decider: Mapping[Key, str],
    ranked: Sequence[str],
    now: Mapping[str, Sequence[Key]],
) -> list[Key]:
    """R5: the untouched keys in base order, then each member's decided keys
    (lowest precedence first, in that member's order) right after their
    nearest placed predecessor on that member."""
    order: list[Key] = [k for k in base if k in survivors and k not in decider]
    placed = set(order)
    for m in ranked:
        mine = [k for k in dict.fromkeys(now[m]) if decider.get(k) == m]
        if not mine:
            continue
        predecessor: dict[Key, Key | None] = {}
        last: Key | None = None
        for k in dict.fromkeys(now[m]):
            if k in survivors:
                predecessor[k] = last
                last = k
        index = {k: i for i, k in enumerate(order)}
        for k in mine:
            anchor = predecessor.get(k)
            while anchor is not None and anchor not in placed:
                anchor = predecessor.get(anchor)
            at = 0 if anchor is None else index[anchor] + 1
            order.insert(at, k)
            placed.add(k)
            index = {key: i for i, key in enumerate(order)}
    return order


def plan_member(
    merged: Sequence[Key],
    current: Sequence[str],
    *,
    identity: Mapping[str, Key] | None = None,
    resolve: Mapping[Key, str | None] | None = None,
) -> MemberPlan:
    """The member's writes to reach ``merged``: its own ids for keys it holds,
    ``resolve[key]`` (the matcher's id on this member) for the others; a key
    with neither is ``missing`` and left out of this member only."""
    keys = member_keys(current, identity)
    own: dict[Key, str] = {}
    for item, key in zip(current, keys, strict=True):
        own.setdefault(key, item)
    held: dict[str, Key] = {}
    missing: list[Key] = []
    for key in merged:
        found = own.get(key) or (resolve or {}).get(key)
        if found is None:
            missing.append(key)
        else:
            held.setdefault(found, key)  # two keys on one id: the first one's place
    final = list(held)
    wanted = set(final)
    counts: dict[str, int] = {}
    for item in current:
        counts[item] = counts.get(item, 0) + 1
    remove = [i for i in dict.fromkeys(current) if i not in wanted or counts[i] > 1]
    present = set(current)
    add = [i for i in final if i not in present or counts.get(i, 0) > 1]
    # adds are appended (what every provider's add does), then moved into place
    position = {item: i for i, item in enumerate(final)}
    after_adds = [i for i in current if i in wanted and counts[i] == 1] + add
    stay = longest_increasing([position[i] for i in after_adds])
    move = [i for n, i in enumerate(after_adds) if n not in stay]
    return MemberPlan(final=final, add=add, remove=remove, move=move, missing=missing, held=held)
