import json

from django.core.management.base import BaseCommand

from members import tallies
from members.models import Member
from unions.models import Union


class Command(BaseCommand):
    help = (
        "核对每个工会的会员人数台账与会员表的实际人数；有差异时列出工会、会籍状态、台账数和实际数，"
        "并以状态 1 退出；同样核对每个工会的子树在册人数台账（本级及全部下级登记的在册会员）。"
        "--repair 按会员表重建有差异的台账。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="按会员表重建有差异的台账")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        found = tallies.differences()
        subtrees = tallies.subtree_differences()
        names = dict(
            Union.objects.filter(
                pk__in={d.union_id for d in found} | {d.union_id for d in subtrees}
            ).values_list("id", "name")
        )
        labels = dict(Member.Status.choices)
        repaired = 0
        if found and options["repair"]:
            repaired = tallies.recount(sorted({d.union_id for d in found}))
        elif subtrees and options["repair"]:
            tallies.rebuild_subtrees()
        wrong = bool(found or subtrees)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "consistent": not wrong,
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
                        "repaired": bool(wrong and options["repair"]),
                        "subtree_differences": [
                            {
                                "union_id": d.union_id,
                                "union": names.get(d.union_id, ""),
                                "stored": d.stored,
                                "counted": d.counted,
                            }
                            for d in subtrees
                        ],
                    },
                    ensure_ascii=False,
                )
            )
        elif not wrong:
            self.stdout.write("台账与会员表一致。")
        else:
            for d in found:
                self.stdout.write(
                    f"{names.get(d.union_id, d.union_id)}（编号 {d.union_id}）"
                    f" {labels.get(d.status, d.status)}：台账 {d.stored}，实际 {d.counted}"
                )
            for d in subtrees:
                self.stdout.write(
                    f"{names.get(d.union_id, d.union_id)}（编号 {d.union_id}）"
                    f" 子树在册：台账 {d.stored}，实际 {d.counted}"
                )
            if options["repair"]:
                if found:
                    self.stdout.write(f"已按会员表重建 {repaired} 条台账。")
                self.stdout.write("已重建子树在册人数台账。")
            else:
                self.stdout.write(f"共 {len(found) + len(subtrees)} 处不一致；加 --repair 重建。")
        if wrong and not options["repair"]:
            raise SystemExit(1)
