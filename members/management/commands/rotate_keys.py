from django.core.management.base import BaseCommand

from registry import rotation
from registry.crypto import cipher


class Command(BaseCommand):
    help = (
        "把加密保存的证件号码和手机号码用 FIELD_ENCRYPTION_KEYS 中最新（第一个）密钥重新加密，分批进行；"
        "中断后再次运行会从中断处继续（已是最新密钥的行跳过）。完成后即可从设置中删除旧密钥。"
        "--reindex：更换 BLIND_INDEX_KEY 后重算全部盲索引（须先停止网站和后台任务）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="每批行数（默认 2000）")
        parser.add_argument("--limit", type=int, default=None, help="本次最多处理的行数，之后停止")
        parser.add_argument(
            "--reindex", action="store_true", help="用当前 BLIND_INDEX_KEY 重算盲索引"
        )

    def handle(self, *args, **options):
        def progress(label, done, total):
            self.stdout.write(f"{label}: {done}/{total}")

        if options["reindex"]:
            done = rotation.reindex(batch_size=options["batch_size"], progress=progress)
            self.stdout.write(f"盲索引已重算：共 {sum(done.values())} 行。")
            return
        newest = cipher().newest
        self.stdout.write(f"最新密钥编号 {newest}")
        done = rotation.rotate(
            batch_size=options["batch_size"], limit=options["limit"], progress=progress
        )
        left = sum(rotation.pending(m, n).count() for m, n in rotation.encrypted_models())
        self.stdout.write(f"本次重新加密 {sum(done.values())} 行；尚余 {left} 行未使用最新密钥。")
        if left == 0:
            self.stdout.write("全部数据已使用最新密钥，可以从 FIELD_ENCRYPTION_KEYS 中删除旧密钥。")
