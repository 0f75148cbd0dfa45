from django.conf import settings
from django.core.management.base import BaseCommand

from unions import retention


class Command(BaseCommand):
    help = "删除超过保存期限（AUDIT_RETENTION_DAYS，至少 180 天）的审计日志和登录失败记录。"

    def handle(self, *args, **options):
        done = retention.purge()
        self.stdout.write(
            f"保存期限 {settings.AUDIT_RETENTION_DAYS} 天（{retention.cutoff():%Y-%m-%d} 之前）："
            f"删除审计日志 {done['audit']} 条、登录失败记录 {done['failure_logs']} 条、"
            f"登录记录 {done['access_logs']} 条。"
        )
