from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from progress.backup import BackupError, backup, default_directory, describe
from unions import audit
from unions.models import AuditEntry


class Command(BaseCommand):
    help = (
        "备份整个数据库：PostgreSQL 用 pg_dump 自定义格式（用 pg_restore 恢复，见 docs/operations.md），"
        "SQLite 用其在线备份接口。备份文件含全部个人信息，只有文件所有者可读。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help=f"备份文件路径，或存放备份的目录（以 / 结尾或已存在）；默认 {default_directory()}/",
        )
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args, output: str | None, database: str, **options):
        started = timezone.now()
        try:
            result = backup(output, using=database)
        except BackupError as e:
            raise CommandError(str(e)) from None
        # Recorded after the dump, in the live database: who backed up what, where.
        audit.record(
            AuditEntry.Action.EXPORT,
            object_repr="数据库备份",
            detail={"backup": str(result.path), "size": result.size, "engine": result.engine},
        )
        self.stdout.write(describe(result, started=started))
