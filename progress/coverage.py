"""Coverage of a union's subtree: 入会率 (members / 职工人数) and 建会率 (units with a union /
units registered), with the list of 未建会单位 (issue 14; the rules in docs/progress.md).

- A unit is **registered** in a subtree when a union there records it (`Union.units`).
  It **has a union** (已建会) when an in-use base union covers it: 单独基层工会, 联合基层工会, or a
  分会/工会小组 of one. A unit recorded only by a 地方总工会, 产业工会 or 工会联合会 (the regional or
  industry union that takes in its workers, seed 004) or only by switched-off unions is 未建会.
- Each unit counts once per subtree, at its **home**: the first (in tree order) in-use base
  union covering it, else the first union recording it.
- 入会率 = members / 职工人数, per **covering group**: an in-use base union that is a unit's home
  takes its whole subtree's members (its 分会 and 工会小组 included) against the 职工人数 of every
  unit homed in that subtree; any other home (a federation recording units without a union)
  takes its own members against its own units. A group with a unit that has no 职工人数 is left
  out of the rate, members and 职工人数 alike (`units_without_staff`, `members_without_staff`).
  Members of unions in no group are 未关联单位的会员 (`members_without_unit`), not guessed.

Members come from the one subtree counter (`progress.counts.SubtreeCounts`, the tallies);
units are read by one query over the subtree's MPTT range (the union–unit links, a few
bytes each) and grouped in memory.
"""

import copy
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, repeat
from operator import mul

from django.db import connection

from progress.counts import SubtreeCounts
from registry import codes
from unions.models import SubtreeTally, Union, Unit

# Kinds of union that are (part of) a base union: a unit they cover has a union.
BASE_KINDS = tuple(
    value
    for value, name in codes.UNION_KIND.choices
    if name in ("单独基层工会", "联合基层工会", "分会", "工会小组")
)


@dataclass(frozen=True)
class Coverage:
    employees: int = 0  # 职工人数 of the units in the rate
    members: int = 0  # members in the rate
    units: int = 0  # units registered
    units_with_union: int = 0
    units_without_staff: int = 0  # registered without 职工人数: their group is out of the rate
    members_without_staff: int = 0  # members of those groups
    members_without_unit: int = 0  # 未关联单位的会员
    # A union inside a base union that covers units: its rate is that base union's (its pk).
    part_of_id: int | None = None

    @property
    def join_rate(self) -> float | None:
        """入会率, four decimals; may exceed 1 (more members than 职工人数 recorded)."""
        return round(self.members / self.employees, 4) if self.employees else None

    @property
    def union_rate(self) -> float | None:
        """建会率, four decimals."""
        return round(self.units_with_union / self.units, 4) if self.units else None

    @property
    def units_without_union(self) -> int:
        return self.units - self.units_with_union

    @property
    def join_rate_percent(self) -> float | None:
        return None if self.join_rate is None else round(self.join_rate * 100, 1)

    @property
    def union_rate_percent(self) -> float | None:
        return None if self.union_rate is None else round(self.union_rate * 100, 1)

    def as_json(self) -> dict:
        return {
            "employees": self.employees,
            "members": self.members,
            "join_rate": self.join_rate,
            "units": self.units,
            "units_with_union": self.units_with_union,
        }


def unit_links(root: Union) -> list[tuple]:
    """(union id, lft, rght, kind, is_active, unit id, 职工人数) of every union–unit link in
    `root`'s subtree, in tree order. One query: the links, their unions, their units."""
    q = connection.ops.quote_name
    # Table names are the models' own; every value is a parameter.
    sql = (
        "SELECT u.id, u.lft, u.rght, u.kind, u.is_active, n.id, n.staff_count"  # noqa: S608
        f" FROM {q(Union.units.through._meta.db_table)} l"
        f" JOIN {q(Union._meta.db_table)} u ON u.id = l.union_id"
        f" JOIN {q(Unit._meta.db_table)} n ON n.id = l.unit_id"
        " WHERE u.tree_id = %s AND u.lft BETWEEN %s AND %s"
        " ORDER BY u.lft"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [root.tree_id, root.lft, root.rght])
        return cursor.fetchall()


@dataclass(frozen=True)
class UnbuiltUnit:
    """未建会单位: a registered unit no in-use base union covers."""

    id: int
    name: str
    credit_code: str | None
    staff_count: int | None
    recorded_by: str


@dataclass(frozen=True)
class UnitSide:
    """What coverage needs of the units of one subtree, in tree order of their groups:
    everything but the members, so it can be kept while the unions and units stay as they
    are (`unit_side`)."""

    starts: list[int]  # lft of each group's union
    ends: list[int]  # rght of each group's union
    pks: list[int]
    is_base: list[bool]
    keys: list[tuple[int, int]]  # (tree_id, lft) of each group's union
    subtree_groups: list[int]  # indexes of groups that take their union's whole subtree
    complete: list[int]  # 1 when every unit of the group has 职工人数, else 0
    incomplete: list[int]  # 1 - complete
    units: list[int]  # prefix sums over the groups from here on
    with_union: list[int]
    employees: list[int]  # of complete groups only
    unstaffed: list[int]
    unbuilt: list[tuple[int, int, int]]  # (recorder's lft, unit id, recorder's id), sorted


def build_unit_side(root: Union) -> UnitSide:
    """Group `root`'s subtree's units by the rules above. One query."""
    # Each unit's home: the first in-use base union covering it, else the first recorder.
    homes: dict[int, tuple] = {}  # unit id -> (has a union, link row)
    for row in unit_links(root):
        _pk, _lft, _rght, kind, active, unit_id, _staff = row
        base = bool(active) and kind in BASE_KINDS
        home = homes.get(unit_id)
        if home is None or (base and not home[0]):
            homes[unit_id] = (base, row)
    per_home: dict[int, list] = {}  # lft -> [lft, rght, id, is_base, units, with, staff, unstaffed]
    for base, (pk, lft, rght, kind, active, _unit, staff) in homes.values():
        figures = per_home.get(lft)
        if figures is None:
            figures = per_home[lft] = [
                lft,
                rght,
                pk,
                bool(active) and kind in BASE_KINDS,
                0,
                0,
                0,
                0,
            ]
        figures[4] += 1
        figures[5] += base
        if staff is None:
            figures[7] += 1
        else:
            figures[6] += staff
    groups: list[list] = []
    for figures in sorted(per_home.values()):
        last = groups[-1] if groups else None
        if last is not None and last[3] and last[0] < figures[0] <= last[1]:
            for k in (4, 5, 6, 7):  # inside a base union's group: its units join that group
                last[k] += figures[k]
        else:
            groups.append(figures)
    columns = list(zip(*groups, strict=True)) or [()] * 8
    starts, ends, pks, is_base, units, with_union, employees, unstaffed = columns
    complete = [int(n == 0) for n in unstaffed]

    def prefix(values):
        return [0, *accumulate(values)]

    return UnitSide(
        starts=list(starts),
        ends=list(ends),
        pks=list(pks),
        is_base=list(is_base),
        keys=[(root.tree_id, lft) for lft in starts],
        subtree_groups=[
            i
            for i, (b, s, e) in enumerate(zip(is_base, starts, ends, strict=True))
            if b and e - s > 1
        ],
        complete=complete,
        incomplete=[1 - c for c in complete],
        units=prefix(units),
        with_union=prefix(with_union),
        employees=prefix(e if c else 0 for e, c in zip(employees, complete, strict=True)),
        unstaffed=prefix(unstaffed),
        unbuilt=sorted((row[1], unit_id, row[0]) for unit_id, (b, row) in homes.items() if not b),
    )


def units_version(root: Union) -> tuple:
    """Changes whenever a union or unit is saved (created, edited, moved, switched off) or a
    union–unit link is added or removed (which marks its union as saved:
    `unions.signals`). One query, three index look-ups."""
    q = connection.ops.quote_name
    # Table names are the models' own.
    sql = (
        f"SELECT (SELECT MAX(updated_at) FROM {q(Union._meta.db_table)}),"  # noqa: S608
        f" (SELECT MAX(updated_at) FROM {q(Unit._meta.db_table)}),"
        f" (SELECT MAX(id) FROM {q(Union.units.through._meta.db_table)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return (root.pk, root.tree_id, root.lft, root.rght, *cursor.fetchone())


_KEPT: OrderedDict = OrderedDict()  # (database alias, root pk) -> (version, UnitSide)
KEEP = 32


def unit_side(root: Union, version: tuple | None = None) -> UnitSide:
    """`build_unit_side(root)`, kept in this process while `units_version` (read unless
    given) says nothing changed."""
    key = (connection.alias, root.pk)
    version = units_version(root) if version is None else version
    kept = _KEPT.get(key)
    if kept is not None and kept[0] == version:
        _KEPT.move_to_end(key)
        return kept[1]
    side = build_unit_side(root)
    _KEPT[key] = (version, side)
    _KEPT.move_to_end(key)
    while len(_KEPT) > KEEP:
        _KEPT.popitem(last=False)
    return side


class Corrections:
    """Changes to some entries of a list summed into prefix sums, kept apart so that a
    few changes do not sum a hundred thousand entries again: {index: delta}."""

    MOST = 500  # beyond this many, the caller sums the list again

    def __init__(self, deltas: dict[int, int] | None = None):
        self._deltas = deltas or {}
        self._order: list[int] | None = None

    def copy(self) -> "Corrections":
        return Corrections(dict(self._deltas))

    def add(self, index: int, delta: int) -> None:
        self._deltas[index] = self._deltas.get(index, 0) + delta
        self._order = None

    def items(self):
        return self._deltas.items()

    def __len__(self) -> int:
        return len(self._deltas)

    def between(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """(index, delta) of the changes with lo <= index < hi."""
        if not self._deltas:
            return []
        if self._order is None:
            self._order = sorted(self._deltas)
        order = self._order
        return [
            (i, self._deltas[i]) for i in order[bisect_left(order, lo) : bisect_left(order, hi)]
        ]


class SubtreeCoverage:
    """Coverage of any union in `root`'s subtree (`for_union`), from the members counted by
    `counts` (the one subtree counter) and the subtree's units (`unit_side`: two queries,
    one while nothing changed)."""

    def __init__(
        self,
        root: Union,
        counts: SubtreeCounts,
        *,
        side: UnitSide | None = None,
        members: list[int] | None = None,
    ):
        self.root, self.counts = root, counts
        self.side = side = unit_side(root) if side is None else side
        tree = root.tree_id
        if members is None:
            # C-level loops: over every group of the subtree
            members = list(map(counts.own_by_position().get, side.keys, repeat(0)))
            for i in side.subtree_groups:  # base unions with 分会 or 工会小组: their subtree
                members[i] = counts.members_in(tree, side.starts[i], side.ends[i])
        self.members = members  # of each group, as summed in the prefixes below
        self._rated = [0, *accumulate(map(mul, members, side.complete))]
        self._unrated = [0, *accumulate(map(mul, members, side.incomplete))]
        self._grouped = [0, *accumulate(members)]
        self._moved = Corrections()  # member changes since, by group

    def after(self, counts: SubtreeCounts, changes: list[tuple[int, int]]) -> "SubtreeCoverage":
        """This coverage with the members `counts` holds now, given `changes`, the
        (lft, ±members) of the unions whose own members changed since: only their groups
        change, kept apart from the prefix sums (summed again once they are many). A new
        object: pages being built keep reading this one."""
        side, moved = self.side, self._moved.copy()
        subtree_groups = self._subtree_groups
        for lft, delta in changes:
            i = bisect_right(side.starts, lft) - 1
            if i >= 0 and (side.starts[i] == lft or (i in subtree_groups and lft <= side.ends[i])):
                moved.add(i, delta)
        if len(moved) > Corrections.MOST:
            members = list(self.members)
            for i, delta in moved.items():
                members[i] += delta
            return SubtreeCoverage(self.root, counts, side=side, members=members)
        coverage = copy.copy(self)
        coverage.counts, coverage._moved = counts, moved
        return coverage

    @cached_property
    def _subtree_groups(self) -> frozenset[int]:
        return frozenset(self.side.subtree_groups)

    def _enclosing_base(self, union: Union) -> int | None:
        """The pk of the base-union group `union` lies strictly inside, if any."""
        side = self.side
        i = bisect_right(side.starts, union.lft) - 1
        if i >= 0 and side.is_base[i] and side.starts[i] < union.lft <= side.ends[i]:
            return side.pks[i]
        return None

    def for_union(self, union: Union) -> Coverage:
        if union.tree_id != self.root.tree_id:
            return Coverage()
        enclosing = self._enclosing_base(union)
        if enclosing is not None:
            return Coverage(part_of_id=enclosing)
        side = self.side
        lo = bisect_left(side.starts, union.lft)
        hi = bisect_right(side.starts, union.rght)

        def span(prefix):
            return prefix[hi] - prefix[lo]

        complete, moved = side.complete, self._moved.between(lo, hi)
        rated = sum(d for i, d in moved if complete[i])
        grouped = sum(d for _i, d in moved)

        return Coverage(
            employees=span(side.employees),
            members=span(self._rated) + rated,
            units=span(side.units),
            units_with_union=span(side.with_union),
            units_without_staff=span(side.unstaffed),
            members_without_staff=span(self._unrated) + grouped - rated,
            members_without_unit=self.counts.members(union) - span(self._grouped) - grouped,
        )

    def unbuilt_units(self, union: Union, *, limit: int | None = None) -> list[UnbuiltUnit]:
        """未建会单位 of `union`'s subtree (within the root's), in the tree order of the unions
        recording them; the first `limit`. Two queries per 500 units."""
        unbuilt = self.side.unbuilt
        lo = bisect_left(unbuilt, (union.lft,))
        hi = bisect_right(unbuilt, (union.rght, float("inf")))
        wanted = unbuilt[lo:hi][:limit]
        result = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            units = Unit.objects.in_bulk([unit_id for _lft, unit_id, _pk in chunk])
            names = dict(
                Union.objects.filter(pk__in={pk for *_x, pk in chunk}).values_list("pk", "name")
            )
            result.extend(
                UnbuiltUnit(
                    unit_id,
                    units[unit_id].name,
                    units[unit_id].credit_code,
                    units[unit_id].staff_count,
                    names[pk],
                )
                for _lft, unit_id, pk in chunk
            )
        return result


def unbuilt_units(root: Union, *, limit: int | None = None) -> list[UnbuiltUnit]:
    """未建会单位 of `root`'s subtree (see `SubtreeCoverage.unbuilt_units`)."""
    return SubtreeCoverage(root, SubtreeCounts(root)).unbuilt_units(root, limit=limit)


class OwnTallies(SubtreeCounts):
    """What `SubtreeCounts(root)` counts (members on the roll registered in each active
    union), kept per union so that a member write updates the few unions it touched.

    Read from the subtree tallies (`unions.SubtreeTally`), whose change counters say where
    the writes went: a union's own members are its subtree tally less its children's,
    read in one statement. `refresh` walks down from the root only into the unions whose
    counter moved since the last read: one query per level, each reading the moved unions
    and their children."""

    WALK_MOST = 2000  # moved unions on one level beyond which `refresh` gives up

    def __init__(self, root: Union):
        self.root = root
        self.changes: dict[int, int] = {}
        self.index: dict[int, int] = {}  # union id -> position in tree order
        rows = self._read(root, None)
        rows.sort(key=lambda row: row[2])
        self._keys = [(root.tree_id, row[2]) for row in rows]
        self.index = {row[0]: i for i, row in enumerate(rows)}
        self.values = [0] * len(rows)
        self.moved: list[tuple[int, int]] = []  # (lft, ±own members) since the last read
        self._apply(rows, {row[0] for row in rows})
        self.moved = []
        self._prefix = [[0, *accumulate(self.values)]]
        self.pending = Corrections()  # changes to `values` not in the prefix sums

    @staticmethod
    def _read(root: Union, parents: list[int] | None) -> list[list]:
        """[id, parent id, lft, is_active, subtree members, changes] of every union of
        `root`'s subtree, or of `parents` and their children."""
        q = connection.ops.quote_name
        unions, tallies = q(Union._meta.db_table), q(SubtreeTally._meta.db_table)
        if parents is None:
            where, params = (
                "u.tree_id = %s AND u.lft BETWEEN %s AND %s",
                [
                    root.tree_id,
                    root.lft,
                    root.rght,
                ],
            )
        else:
            marks = ", ".join(["%s"] * len(parents))
            where, params = f"u.id IN ({marks}) OR u.parent_id IN ({marks})", parents * 2
        # Table names are the models' own; every value is a parameter.
        sql = (
            "SELECT u.id, u.parent_id, u.lft, u.is_active,"  # noqa: S608
            " COALESCE(s.members, 0), COALESCE(s.changes, 0)"
            f" FROM {unions} u LEFT JOIN {tallies} s ON s.union_id = u.id WHERE {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [list(row) for row in cursor.fetchall()]

    def _apply(self, rows: list[list], parents: set[int]) -> None:
        """Own members of each of `parents`, from its subtree tally and its children's
        (all of them in `rows`, one statement's view)."""
        own = {pk: members for pk, _p, _l, _a, members, _c in rows if pk in parents}
        for _pk, parent, _lft, _active, members, _changes in rows:
            if parent in own:
                own[parent] -= members
        for pk, _parent, lft, active, _members, changes in rows:
            if pk in parents:
                self.changes[pk] = changes
                i, value = self.index[pk], own[pk] if active else 0
                if value != self.values[i]:
                    self.moved.append((lft, value - self.values[i]))
                    self.values[i] = value

    def refresh(self) -> list[tuple[int, int]] | None:
        """Catch up with the member writes since the last read: the (lft, ±own members)
        of the unions that changed; None when the tree's shape changed under it (the
        caller reads everything again)."""
        parents, self.moved = [self.root.pk], []
        while parents:
            if len(parents) > self.WALK_MOST:
                return None  # writes all over the subtree: reading it all is cheaper
            rows = self._read(self.root, parents)
            if any(row[0] not in self.index for row in rows):
                return None  # a union added since: its position is not known here
            wanted = set(parents)
            self._apply(rows, wanted)
            parents = [
                pk
                for pk, parent, _lft, _active, _members, changes in rows
                if parent in wanted and self.changes.get(pk) != changes
            ]
        if self.moved:
            self.pending = pending = self.pending.copy()
            for lft, delta in self.moved:
                pending.add(bisect_left(self._keys, (self.root.tree_id, lft)), delta)
            if len(pending) > Corrections.MOST:
                self._prefix, self.pending = [[0, *accumulate(self.values)]], Corrections()
        return self.moved

    def span(self, tree_id: int, lft: int, rght: int) -> tuple[int, ...]:
        lo = bisect_left(self._keys, (tree_id, lft))
        hi = bisect_right(self._keys, (tree_id, rght))
        moved = sum(d for _i, d in self.pending.between(lo, hi))
        return (self._prefix[0][hi] - self._prefix[0][lo] + moved,)

    def own_by_position(self) -> dict[tuple[int, int], int]:
        return dict(zip(self._keys, self.values, strict=True))


_COVERAGE: OrderedDict = OrderedDict()  # (database alias, root pk) -> (version, coverage)


def subtree_coverage(root: Union, *, version: tuple) -> SubtreeCoverage:
    """`SubtreeCoverage(root, …)`, kept in this process while the units (`units_version`,
    one query) and the switched-off unions stay as they are. `version` is (the change
    counter of `root`'s subtree tally, which every member write below `root` bumps, the
    positions of the switched-off unions).

    After a member write the members are brought up to date by walking down the subtree
    tallies whose counters moved (`OwnTallies.refresh`: one query per level of the tree),
    not by reading every union of the subtree again; that happens when the units or the
    unions change (rare next to member writes)."""
    key = (connection.alias, root.pk)
    units = units_version(root)
    changes, off = version
    kept = _COVERAGE.get(key)
    if kept is not None and kept[0] == (units, off):
        counts, coverage = kept[1], kept[2]
        if counts.changes.get(root.pk) == changes:
            _COVERAGE.move_to_end(key)
            return coverage
        changed = counts.refresh()
        if changed is not None:
            coverage = coverage.after(counts, changed)
            _COVERAGE[key] = ((units, off), counts, coverage)
            _COVERAGE.move_to_end(key)
            return coverage
    counts = OwnTallies(root)
    coverage = SubtreeCoverage(root, counts, side=unit_side(root, units))
    _COVERAGE[key] = ((units, off), counts, coverage)
    _COVERAGE.move_to_end(key)
    while len(_COVERAGE) > KEEP:
        _COVERAGE.popitem(last=False)
    return coverage
