import json

from django.core.management.base import BaseCommand

from members import tallies
from members.models import Member
from unions.models import Union


class Command(BaseCommand):
    help = (
        "核对每个工会的会员人数台账与会员表的实际人数；有差异时列出工会、会籍状态、台账数和实际数，"
        "并以状态 1 退出。--repair 按会员表重建有差异的台账。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="按会员表重建有差异的台账")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        found = tallies.differences()
        names = dict(
            Union.objects.filter(pk__in={d.union_id for d in found}).values_list("id", "name")
        )
        labels = dict(Member.Status.choices)
        repaired = 0
        if found and options["repair"]:
            repaired = tallies.recount(sorted({d.union_id for d in found}))
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "consistent": not found,
                        "differences": [
                            {
                                "union_id": d.union_id,
                                "union": names.get(d.union_id, ""),
                                "status": d.status,
                                "stored": d.stored,
                                "counted": d.counted,
                            }
                            for d in found
                        ],
                        "repaired": bool(found and options["repair"]),
                    },
                    ensure_ascii=False,
                )
            )
        elif not found:
            self.stdout.write("台账与会员表一致。")
        else:
            for d in found:
                self.stdout.write(
                    f"{names.get(d.union_id, d.union_id)}（编号 {d.union_id}）"
                    f" {labels.get(d.status, d.status)}：台账 {d.stored}，实际 {d.counted}"
                )
            if options["repair"]:
                self.stdout.write(f"已按会员表重建 {repaired} 条台账。")
            else:
                self.stdout.write(f"共 {len(found)} 处不一致；加 --repair 重建。")
        if found and not options["repair"]:
            raise SystemExit(1)
