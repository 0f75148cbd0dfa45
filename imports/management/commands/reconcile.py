import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.cli import find_union, find_user
from imports.engine import FileRejected
from imports.reconcile.analysis import analyse_list
from imports.reconcile.jobs import summary_message
from imports.reconcile.report import result_json
from unions import audit
from unions.access import can_import, subtree_q
from unions.models import AuditEntry, Unit


class Command(BaseCommand):
    help = (
        "名单比对（查漏补缺）：把外部名单（工资表、社保名单、政务数据，至少有姓名和证件号码）"
        "与 --union 工会及其下级的会员比对，列出应采未采、已登记但不在名单中、信息不一致、"
        "已在其他工会登记的人员。只比对，不修改任何数据；证件号码和手机号码脱敏输出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--union", required=True, help="工会名称或编码")
        parser.add_argument("--unit", help="只比对该单位（名称或统一社会信用代码）的会员")
        parser.add_argument("--as", dest="as_user", help="以该账号的身份和权限比对")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        union = find_union(options["union"])
        user = find_user(options["as_user"], union)
        if user is not None and not user.is_superuser and not can_import(user, union, "reconcile"):
            raise CommandError(
                f"账号“{user.username}”不能比对名单（需要管理员或采集员，且工会在其管辖范围内）。"
            )
        unit = self._unit(options["unit"], union) if options["unit"] else None
        try:
            result = analyse_list(path, filename=path.name, union=union, unit=unit)
        except FileRejected as rejected:
            raise CommandError(rejected.message, returncode=2) from None
        counts = result.counts()
        audit.record(
            AuditEntry.Action.RECONCILE_RUN,
            actor=user,
            union=union,
            detail={"filename": path.name, "via": "cli", **counts},
        )
        if options["json"]:
            self.stdout.write(json.dumps(result_json(result, masked=True), ensure_ascii=False))
            return
        self.stdout.write(f"{union.name}：{summary_message(counts)}")
        for notice in result.notices:
            self.stdout.write(f"  说明：{notice}")
        for problem in result.problems[:20]:
            self.stdout.write(f"  {problem.sheet} 第{problem.row}行：{problem.message}")

    def _unit(self, ref: str, union):
        units = Unit.objects.filter(subtree_q(union, "unions")).distinct()
        found = list(units.filter(credit_code=ref.strip().upper())[:1]) or list(
            units.filter(name=ref.strip())[:2]
        )
        if len(found) != 1:
            raise CommandError(f"在“{union.name}”及其下级中找不到单位“{ref}”（或名称不唯一）。")
        return found[0]
