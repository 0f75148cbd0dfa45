from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.cli import emit, find_union, find_user, import_root
from imports.engine import (
    FileRejected,
    ImportSummary,
    analyse_unions,
    commit_unions,
    write_error_report,
)


class Command(BaseCommand):
    help = (
        "导入工会组织信息表（含“上级工会”列，按名称或编码）：新建或更新工会及其单位。"
        "--union 限定只能在该工会的子树内操作；--as 以某个管理员账号的身份和权限导入"
        "（默认：平台运维，对整个系统有完全权限）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--union", help="只在该工会（名称或编码）及其下级范围内操作")
        parser.add_argument("--as", dest="as_user", help="以该管理员账号的身份和权限导入")
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
        root = find_union(options["union"]) if options["union"] else None
        user = find_user(options["as_user"], root)
        try:
            root = import_root(user, root, "unions")
        except FileRejected as refused:
            emit(self, ImportSummary.rejected(refused.message), as_json=options["json"])
        plan = analyse_unions(path, filename=path.name, root=root)
        if options["dry_run"] or plan.rejected:
            summary = plan.summary
        else:
            summary = commit_unions(plan, by=user, all_or_nothing=options["all_or_nothing"])
        if options["report"] and not plan.rejected:
            write_error_report(plan, options["report"])
        emit(self, summary, as_json=options["json"])
