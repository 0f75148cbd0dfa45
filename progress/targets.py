"""Writes for campaigns, targets and daily snapshots."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from progress.models import Campaign, Target
from progress.rollups import current_campaign
from progress.targets_sheet import SheetProblem, read_target_sheet
from unions.access import can_manage_accounts, subtree_q
from unions.models import Union, User


class TargetError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def make_current(*, campaign: Campaign) -> Campaign:
    Campaign.objects.filter(is_current=True).exclude(pk=campaign.pk).update(is_current=False)
    if not campaign.is_current:
        campaign.is_current = True
        campaign.save(update_fields=["is_current"])
    return campaign


@transaction.atomic
def ensure_campaign(
    *, name: str, deadline: datetime.date | None = None, starts_on: datetime.date | None = None
) -> tuple[Campaign, bool]:
    """The campaign called `name`, created when a deadline is given; the first one is current."""
    campaign = Campaign.objects.filter(name=name).first()
    if campaign is None:
        if deadline is None:
            raise TargetError(f"采集行动“{name}”不存在；新建时请用 --deadline 给出截止日期。")
        starts_on = starts_on or min(timezone.localdate(), deadline)
        if starts_on > deadline:
            raise TargetError(f"开始日期 {starts_on} 晚于截止日期 {deadline}。")
        campaign = Campaign.objects.create(name=name, deadline=deadline, starts_on=starts_on)
        if current_campaign() is None:
            make_current(campaign=campaign)
        return campaign, True
    if deadline is not None and deadline != campaign.deadline:
        if deadline < campaign.starts_on:
            raise TargetError(f"截止日期 {deadline} 早于采集行动的开始日期 {campaign.starts_on}。")
        campaign.deadline = deadline
        campaign.save(update_fields=["deadline"])
    return campaign, False


def can_set_targets_below(user: User, parent: Union) -> bool:
    """A 管理员 sets the targets of the direct children of a union in their subtree
    (the administrator's right over that subtree, as for its accounts)."""
    return can_manage_accounts(user, parent)


@transaction.atomic
def set_child_targets(
    *,
    campaign: Campaign,
    parent: Union,
    targets: dict[int, tuple[int | None, int | None]],
    by: User,
) -> int:
    """Set (members, organisations) targets of `parent`'s direct children; None clears one.

    Returns how many targets changed.
    """
    if not can_set_targets_below(by, parent):
        raise TargetError("只有上级工会的管理员可以下达目标任务数。")
    children = {c.pk: c for c in parent.get_children()}
    existing = {
        t.union_id: t for t in Target.objects.filter(campaign=campaign, union__in=children.keys())
    }
    changed = 0
    for union_id, (members, organisations) in targets.items():
        if union_id not in children:
            raise TargetError("只能为直属下级工会下达目标任务数。")
        current = existing.get(union_id)
        if members is None:
            if current is not None:
                current.delete()
                changed += 1
            continue
        if current is None:
            Target.objects.create(
                campaign=campaign,
                union_id=union_id,
                members=members,
                organisations=organisations,
                set_by=by,
            )
            changed += 1
        elif (current.members, current.organisations) != (members, organisations):
            current.members, current.organisations, current.set_by = members, organisations, by
            current.save()
            changed += 1
    return changed


@dataclass
class TargetImport:
    campaign: Campaign
    campaign_created: bool
    sheets: list[dict] = field(default_factory=list)
    problems: list[SheetProblem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    parents: Counter = field(default_factory=Counter)
    dry_run: bool = False

    @property
    def errors(self) -> list[SheetProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def total(self) -> int:
        return sum(s["total"] for s in self.sheets)

    def as_json(self) -> dict:
        return {
            "campaign": self.campaign.name,
            "campaign_created": self.campaign_created,
            "deadline": self.campaign.deadline.isoformat(),
            "dry_run": self.dry_run,
            "sheets": self.sheets,
            "total": self.total,
            "parents": dict(self.parents),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [p.as_json() for p in self.errors],
            "warnings": [p.as_json() for p in self.problems if p.severity != "error"],
        }


def _by_code(wanted: set[str], within: Union | None) -> dict[str, Union]:
    """Unions named by their code (credit or system code), inside `within` below it."""
    if not wanted:
        return {}
    found = Union.objects.filter(
        Q(credit_code__in=wanted) | Q(system_code__in=wanted), is_active=True
    )
    if within is not None:
        found = found.filter(subtree_q(within)).exclude(pk=within.pk)
    by_code = {}
    for union in found.select_related("parent"):
        by_code[union.credit_code or union.system_code] = union
        by_code[union.system_code] = union
    return by_code


@transaction.atomic
def import_targets(
    *,
    path: str | Path,
    campaign_name: str,
    deadline: datetime.date | None = None,
    starts_on: datetime.date | None = None,
    within: Union | None = None,
    by: User | None = None,
    dry_run: bool = False,
) -> TargetImport:
    """Targets from a sheet; rows naming unknown or ambiguous units are reported, not guessed.

    A unit is matched by exact name inside `within`'s subtree (default: the whole registry),
    and must be the only union of that name there. Valid rows are written; re-importing the
    same sheet changes nothing.
    """
    sheet = read_target_sheet(path)
    campaign, created = ensure_campaign(name=campaign_name, deadline=deadline, starts_on=starts_on)
    report = TargetImport(campaign=campaign, campaign_created=created, dry_run=dry_run)
    report.problems = list(sheet.problems)
    for s in sheet.sheets:
        report.sheets.append(
            {
                "sheet": s.name,
                "title": s.title,
                "rows": len(s.rows),
                "total": s.total,
                "declared_total": s.declared_total,
            }
        )

    names = {r.unit for r in sheet.rows}
    candidates = Union.objects.filter(name__in=names, is_active=True)
    if within is not None:
        candidates = candidates.filter(subtree_q(within)).exclude(pk=within.pk)
    by_name: dict[str, list[Union]] = defaultdict(list)
    for union in candidates.select_related("parent"):
        by_name[union.name].append(union)

    by_code = _by_code({r.code for r in sheet.rows if r.code}, within)
    existing = {t.union_id: t for t in Target.objects.filter(campaign=campaign)}
    seen: dict[int, int] = {}
    for row in sheet.rows:
        where = f"“{row.sheet}”第 {row.row} 行"
        matches = [by_code[row.code]] if row.code in by_code else by_name.get(row.unit, [])
        if not matches:
            report.problems.append(
                SheetProblem(
                    row.sheet,
                    row.row,
                    "unknown_unit",
                    f"{where}的单位“{row.unit}”在系统中找不到同名工会组织，未导入；请核对名称。",
                    row.unit,
                )
            )
            continue
        if len(matches) > 1:
            report.problems.append(
                SheetProblem(
                    row.sheet,
                    row.row,
                    "ambiguous_unit",
                    f"{where}的单位“{row.unit}”有 {len(matches)} 个同名工会组织，未导入；"
                    "请用 --union 指定上级工会。",
                    row.unit,
                )
            )
            continue
        union = matches[0]
        if union.pk in seen:
            report.problems.append(
                SheetProblem(
                    row.sheet,
                    row.row,
                    "duplicate_unit",
                    f"{where}的单位“{row.unit}”已在第 {seen[union.pk]} 行出现，未重复导入。",
                    row.unit,
                )
            )
            continue
        seen[union.pk] = row.row
        report.parents[union.parent.name if union.parent else ""] += 1
        current = existing.get(union.pk)
        if current is None:
            report.created += 1
            if not dry_run:
                Target.objects.create(
                    campaign=campaign,
                    union=union,
                    members=row.members,
                    organisations=row.organisations,
                    set_by=by,
                )
        elif current.members == row.members and (
            row.organisations is None or current.organisations == row.organisations
        ):
            report.unchanged += 1
        else:
            report.updated += 1
            if not dry_run:
                current.members = row.members
                if row.organisations is not None:
                    current.organisations = row.organisations
                current.set_by = by
                current.save()
    if dry_run:
        transaction.set_rollback(True)
    return report
