import json

from django.core.management.base import BaseCommand, CommandError

from progress.models import Campaign
from progress.rollups import current_campaign, union_progress
from unions.selectors import UnionNotFound, resolve_union


class Command(BaseCommand):
    help = (
        "某工会在采集行动中的进度：目标、在册会员（含下级）、完成率，及各直属下级是否落后于进度。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--union", required=True, help="统一社会信用代码、系统赋码或工会名称")
        parser.add_argument("--campaign", help="采集行动名称（默认：当前行动）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, union: str, campaign: str | None, json: bool, **options):
        try:
            node = resolve_union(union, allow_pk=True)
        except UnionNotFound as e:
            raise CommandError(e.message) from None
        if campaign:
            found = Campaign.objects.filter(name=campaign).first()
            if found is None:
                raise CommandError(f"找不到采集行动“{campaign}”。")
        else:
            found = current_campaign()
        progress = union_progress(node, campaign=found)
        if json:
            self.stdout.write(_dumps(progress.as_json()))
            return
        self._print(progress)

    def _print(self, progress):
        node = progress.node
        campaign = progress.campaign.name if progress.campaign else "（无当前采集行动）"
        self.stdout.write(f"{node.union.name} · {campaign}")
        self.stdout.write(
            f"目标 {_n(node.target)}，在册 {node.members}，完成率 {_pct(node.rate)}，"
            f"已分解 {progress.allocated}，未分解 {_n(progress.unallocated)}，"
            f"剩余 {_n(progress.days_left)} 天"
        )
        cov = node.coverage
        self.stdout.write(
            f"入会率 {_pct(cov.join_rate)}（会员 {cov.members} / 职工人数 {cov.employees}），"
            f"建会率 {_pct(cov.union_rate)}（已建会单位 {cov.units_with_union} / 单位 {cov.units}）"
        )
        if cov.units_without_staff:
            self.stdout.write(
                f"  {cov.units_without_staff} 个单位未填职工人数，所在工会的 "
                f"{cov.members_without_staff} 名会员未计入入会率"
            )
        if cov.members_without_unit:
            self.stdout.write(f"  未关联单位的会员 {cov.members_without_unit} 名，未计入入会率")
        for c in progress.children:
            flag = "  落后" if c.behind else ""
            self.stdout.write(
                f"  {c.union.name}: 目标 {_n(c.target)}，在册 {c.members}，完成率 {_pct(c.rate)}{flag}"
            )


def _n(value) -> str:
    return "—" if value is None else str(value)


def _pct(rate) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
