import json

from django.core.management.base import BaseCommand, CommandError

from imports.cli import find_union, find_user
from members import exports
from members.selectors import MemberFilter


class Command(BaseCommand):
    help = (
        "把一个工会及其全部下级的会员导出为 xlsx（含全部列和其他信息列，证件号码与手机号码为文本）。"
        "--as 以某个账号的身份导出（只含其可见范围；查看账号得到脱敏的证件号码和手机号码）；"
        "每次导出都记入审计日志，超过 MEMBER_EXPORT_MAX_ROWS 人时拒绝导出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--union", required=True, help="工会名称或编码")
        parser.add_argument("--out", required=True, help="输出的 xlsx 文件")
        parser.add_argument("--as", dest="as_user", help="以该账号的身份导出")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        union = find_union(options["union"])
        user = find_user(options["as_user"], union)
        out = options["out"]
        try:
            rows, masked = exports.export(
                out,
                user=user,
                member_filter=MemberFilter(union=union, include_sub=True),
                via="command",
            )
        except exports.ExportTooLarge as too_large:
            raise CommandError(too_large.message) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"status": "done", "rows": rows, "masked": masked, "out": str(out)},
                    ensure_ascii=False,
                )
            )
        else:
            note = "（证件号码和手机号码已脱敏）" if masked else ""
            self.stdout.write(f"已导出 {rows} 名会员到 {out}{note}。")
