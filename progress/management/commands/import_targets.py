import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from progress.targets import TargetError, import_targets
from progress.targets_sheet import SheetUnreadable
from unions.selectors import UnionNotFound, resolve_union


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期“{value}”格式不对，应为 YYYY-MM-DD。") from None


class Command(BaseCommand):
    help = (
        "从目标任务表（序号 / 单位 / 会员信息采集（人） / 备注，可含多个工作表）导入各单位的"
        "会员目标任务数。单位按名称精确匹配，找不到或重名的单位只报告，不猜测。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="xlsx、xls 或 ods 文件")
        parser.add_argument(
            "--campaign", required=True, help="采集行动名称；不存在时需给出 --deadline"
        )
        parser.add_argument("--deadline", type=iso_date, help="截止日期 YYYY-MM-DD")
        parser.add_argument(
            "--start", type=iso_date, help="新建采集行动的开始日期 YYYY-MM-DD（默认今天）"
        )
        parser.add_argument("--union", help="只在这个工会的下级中匹配单位名称（代码或名称）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, file, campaign, deadline, start, union, dry_run, json, **options):
        try:
            within = resolve_union(union, allow_pk=True) if union else None
            report = import_targets(
                path=file,
                campaign_name=campaign,
                deadline=deadline,
                starts_on=start,
                within=within,
                dry_run=dry_run,
            )
        except (UnionNotFound, TargetError, SheetUnreadable) as e:
            raise CommandError(e.message) from None
        if json:
            self.stdout.write(_dumps(report.as_json()))
        else:
            self._print(report)
        if report.errors:
            raise CommandError(f"有 {len(report.errors)} 行未导入，见上面的说明。", returncode=1)

    def _print(self, report):
        verb = "将" if report.dry_run else "已"
        self.stdout.write(f"采集行动：{report.campaign.name}（截止 {report.campaign.deadline}）")
        for s in report.sheets:
            declared = "" if s["declared_total"] is None else f"，表中合计 {s['declared_total']}"
            self.stdout.write(
                f"  {s['sheet']}：{s['rows']} 个单位，目标合计 {s['total']}{declared}"
            )
        self.stdout.write(
            f"{verb}新增 {report.created} 个、更新 {report.updated} 个目标，{report.unchanged} 个未变。"
        )
        for p in report.problems:
            style = self.style.ERROR if p.severity == "error" else self.style.WARNING
            self.stdout.write(style(p.message))


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
