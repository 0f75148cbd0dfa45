"""Audit retention (等级保护: at least 180 days).

Audit entries are append-only (AuditEntry.save/delete refuse, and a database trigger
refuses UPDATE and DELETE from anything else). The one way an entry leaves is `purge`,
which deletes only entries older than AUDIT_RETENTION_DAYS — a setting that cannot be
under 180 — through the trigger's single, explicit exception."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

MINIMUM_DAYS = 180


def cutoff(now=None) -> datetime.datetime:
    days = max(settings.AUDIT_RETENTION_DAYS, MINIMUM_DAYS)
    return (now or timezone.now()) - datetime.timedelta(days=days)


@transaction.atomic
def purge(now=None) -> dict:
    from axes.models import AccessFailureLog, AccessLog

    from unions.models import AuditEntry

    limit = cutoff(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL gonghui.audit_purge = 'on'")
        cursor.execute(
            f"DELETE FROM {AuditEntry._meta.db_table} WHERE at < %s",  # noqa: S608
            [limit],
        )
        audit_deleted = cursor.rowcount
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=limit).delete()
    logins, _ = AccessLog.objects.filter(attempt_time__lt=limit).delete()
    return {"audit": audit_deleted, "failure_logs": failures, "access_logs": logins}
