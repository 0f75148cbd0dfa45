import json

from django.core.management.base import BaseCommand, CommandError

from imports.cli import find_union, find_user
from members.export import export_members
from members.models import Member
from members.selectors import members_for
from unions import audit
from unions.access import subtree_q
from unions.models import AuditEntry


class Command(BaseCommand):
    help = (
        "把一个工会及其全部下级的会员导出为 xlsx（含全部列和其他信息列，证件号码与手机号码为文本）。"
        "--as 以某个账号的身份导出（只含其可见范围）；每次导出都记入审计日志。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--union", required=True, help="工会名称或编码")
        parser.add_argument("--out", required=True, help="输出的 xlsx 文件")
        parser.add_argument("--as", dest="as_user", help="以该账号的身份导出")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        union = find_union(options["union"])
        user = find_user(options["as_user"], union)
        if user is not None and not user.is_superuser and not user.can_edit_members:
            # Exports carry full ID numbers; read-only accounts see masked lists only.
            raise CommandError(f"账号“{user.username}”是查看账号，不能导出完整的会员信息。")
        members = members_for(user) if user is not None else Member.objects.all()
        members = members.filter(subtree_q(union, "union"))
        rows = export_members(members, options["out"])
        audit.record(
            AuditEntry.Action.EXPORT,
            actor=user,
            union=union,
            object_repr=f"会员导出：{union.name}",
            detail={"rows": rows, "file": str(options["out"]), "via": "command"},
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"status": "done", "rows": rows, "out": str(options["out"])}, ensure_ascii=False
                )
            )
        else:
            self.stdout.write(f"已导出 {rows} 名会员到 {options['out']}。")
