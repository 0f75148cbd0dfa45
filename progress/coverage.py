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
units are read by one grouped query over the subtree's MPTT range.
"""

from bisect import bisect_right
from dataclasses import dataclass

from django.db import connection

from progress.counts import RangeSums, SubtreeCounts
from registry import codes
from unions.models import Union, Unit

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


def _per_unit_sql(root: Union) -> tuple[str, list]:
    """One row per unit registered in `root`'s subtree: (unit_id, base_lft, any_lft) — the
    first covering in-use base union's lft (NULL when none) and the first recorder's lft."""
    q = connection.ops.quote_name
    links = q(Union.units.through._meta.db_table)
    unions = q(Union._meta.db_table)
    kinds = ", ".join(["%s"] * len(BASE_KINDS))
    # Table names are the models' own; every value is a parameter.
    sql = (
        "SELECT l.unit_id AS unit_id,"  # noqa: S608
        f" MIN(CASE WHEN u.is_active AND u.kind IN ({kinds}) THEN u.lft END) AS base_lft,"
        " MIN(u.lft) AS any_lft"
        f" FROM {links} l JOIN {unions} u ON u.id = l.union_id"
        " WHERE u.tree_id = %s AND u.lft BETWEEN %s AND %s"
        " GROUP BY l.unit_id"
    )
    return sql, [*BASE_KINDS, root.tree_id, root.lft, root.rght]


def unit_homes(root: Union) -> list[tuple]:
    """(id, lft, rght, kind, is_active, units, units_with_union, employees, staffed units) of
    every union in `root`'s subtree that is the home of a unit, in tree order. One query."""
    q = connection.ops.quote_name
    per_unit, params = _per_unit_sql(root)
    sql = (
        "SELECT hu.id, hu.lft, hu.rght, hu.kind, hu.is_active, COUNT(*),"  # noqa: S608
        " COUNT(h.base_lft), COALESCE(SUM(n.staff_count), 0), COUNT(n.staff_count)"
        f" FROM ({per_unit}) h"
        f" JOIN {q(Unit._meta.db_table)} n ON n.id = h.unit_id"
        f" JOIN {q(Union._meta.db_table)} hu"
        " ON hu.tree_id = %s AND hu.lft = COALESCE(h.base_lft, h.any_lft)"
        " GROUP BY hu.id, hu.lft, hu.rght, hu.kind, hu.is_active ORDER BY hu.lft"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, root.tree_id])
        return [(*row[:4], bool(row[4]), *row[5:]) for row in cursor.fetchall()]


@dataclass(frozen=True)
class UnbuiltUnit:
    """未建会单位: a registered unit no in-use base union covers."""

    id: int
    name: str
    credit_code: str | None
    staff_count: int | None
    recorded_by_id: int
    recorded_by: str


def unbuilt_units(root: Union, *, limit: int | None = None) -> list[UnbuiltUnit]:
    """未建会单位 of `root`'s subtree by name, each with the union that records it. One query."""
    q = connection.ops.quote_name
    per_unit, params = _per_unit_sql(root)
    sql = (
        "SELECT n.id, n.name, n.credit_code, n.staff_count, hu.id, hu.name"  # noqa: S608
        f" FROM ({per_unit} HAVING MIN(CASE WHEN u.is_active AND u.kind IN"
        f" ({', '.join(['%s'] * len(BASE_KINDS))}) THEN u.lft END) IS NULL) h"
        f" JOIN {q(Unit._meta.db_table)} n ON n.id = h.unit_id"
        f" JOIN {q(Union._meta.db_table)} hu ON hu.tree_id = %s AND hu.lft = h.any_lft"
        " ORDER BY n.name, n.id"
    )
    params = [*params, *BASE_KINDS, root.tree_id]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [UnbuiltUnit(*row) for row in cursor.fetchall()]


class SubtreeCoverage:
    """Coverage of any union in `root`'s subtree (`for_union`), from the members counted by
    `counts` (the one subtree counter, shared with the progress page) and one query."""

    def __init__(self, root: Union, counts: SubtreeCounts):
        self.root, self.counts = root, counts
        groups = []  # (lft, rght, id, is_base, units…, members)
        for pk, lft, rght, kind, active, units, with_union, employees, staffed in unit_homes(root):
            last = groups[-1] if groups else None
            if last is not None and last[3] and last[0] < lft <= last[1]:
                # inside a base union's group: its units join that group
                last[4] += units
                last[5] += with_union
                last[6] += employees
                last[7] += units - staffed
                continue
            is_base = active and kind in BASE_KINDS
            members = (
                counts.members_in(root.tree_id, lft, rght)
                if is_base
                else counts.members_in(root.tree_id, lft, lft)
            )
            groups.append([lft, rght, pk, is_base, units, with_union, employees, units - staffed, members])
        self._groups = groups
        self._starts = [g[0] for g in groups]
        rows = []
        for lft, _rght, _pk, _base, units, with_union, employees, unstaffed, members in groups:
            complete = unstaffed == 0
            rows.append(
                (
                    root.tree_id,
                    lft,
                    units,
                    with_union,
                    employees if complete else 0,
                    members if complete else 0,
                    unstaffed,
                    0 if complete else members,
                    members,
                )
            )
        self._sums = RangeSums(rows, width=7)

    def _enclosing_base(self, union: Union) -> int | None:
        """The pk of the base-union group `union` lies strictly inside, if any."""
        i = bisect_right(self._starts, union.lft) - 1
        if i < 0:
            return None
        lft, rght, pk, is_base = self._groups[i][:4]
        if is_base and lft < union.lft <= rght:
            return pk
        return None

    def for_union(self, union: Union) -> Coverage:
        enclosing = self._enclosing_base(union) if union.tree_id == self.root.tree_id else None
        if enclosing is not None:
            return Coverage(part_of_id=enclosing)
        units, with_union, employees, members, unstaffed, members_unstaffed, grouped = (
            self._sums.sums(union)
        )
        return Coverage(
            employees=employees,
            members=members,
            units=units,
            units_with_union=with_union,
            units_without_staff=unstaffed,
            members_without_staff=members_unstaffed,
            members_without_unit=self.counts.members(union) - grouped,
        )
