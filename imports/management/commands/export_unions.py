import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.cli import find_union, find_user
from imports.union_export import union_workbook
from unions import audit
from unions.access import can_import
from unions.models import AuditEntry


class Command(BaseCommand):
    help = (
        "把一个工会及其全部下级工会导出为工会组织信息表（xlsx），可修改后用 import_unions "
        "或上传页面导回；原样导回时全部“未变化”。--as 以某个管理员账号的身份导出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--union", help="工会名称或编码（不给：全部工会）")
        parser.add_argument("--out", required=True, help="输出的 xlsx 文件")
        parser.add_argument("--as", dest="as_user", help="以该账号的身份导出")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        union = find_union(options["union"]) if options["union"] else None
        user = find_user(options["as_user"], union)
        if user is not None and not user.is_superuser:
            if not can_import(user, union, "unions"):
                raise CommandError(f"账号“{user.username}”不是管理员，不能导出工会组织信息。")
            union = union or user.union
        content, rows = union_workbook(union)
        out = Path(options["out"])
        out.write_bytes(content)
        audit.record(
            AuditEntry.Action.EXPORT,
            actor=user,
            union=union,
            obj=union,
            detail={"export": "unions", "rows": rows, "via": "command"},
        )
        if options["json"]:
            self.stdout.write(
                json.dumps({"status": "done", "rows": rows, "out": str(out)}, ensure_ascii=False)
            )
        else:
            self.stdout.write(f"已导出 {rows} 个工会到 {out}。")
