from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.cli import emit, find_union, find_user, import_root
from imports.engine import (
    FileRejected,
    ImportSummary,
    analyse_members,
    commit_members,
    write_error_report,
)


class Command(BaseCommand):
    help = (
        "导入会员花名册（xlsx/xls/ods/csv）。--union 指定导入到哪个工会（名称或编码），"
        "每一行只能写入该工会及其下级；不给 --union 时按表头上方的“工会名称：”行确定；--as 以某个账号的身份和权限导入（默认：运维人员，"
        "对 --union 的整个子树有完全权限）。被整体拒绝的文件以非零状态退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--union", help="工会名称或编码（不给：按表头上方的“工会名称：”行确定）"
        )
        parser.add_argument("--as", dest="as_user", help="以该账号的身份和权限导入")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument(
            "--all-or-nothing", action="store_true", help="有任何错误行则全部不写入"
        )
        parser.add_argument("--report", help="把出错的行写入该 xlsx 文件")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        union = find_union(options["union"]) if options["union"] else None
        user = find_user(options["as_user"], union)
        try:
            root = import_root(user, union, "members")
        except FileRejected as refused:
            emit(self, ImportSummary.rejected(refused.message), as_json=options["json"])
        plan = analyse_members(
            path, filename=path.name, union=union, root=root, from_sheet=union is None
        )
        if options["dry_run"] or plan.rejected:
            summary = plan.summary
        else:
            summary = commit_members(
                plan,
                by=user,
                all_or_nothing=options["all_or_nothing"],
                source_ref=f"cli:{path.name}"[:50],
            )
        if options["report"] and not plan.rejected:
            write_error_report(plan, options["report"])
        emit(self, summary, as_json=options["json"])
