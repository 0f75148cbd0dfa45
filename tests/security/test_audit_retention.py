"""Audit retention (unions/retention.py) and the audit export of a subtree for a period."""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from unions import audit, retention
from unions.models import AuditEntry, User

DAY = datetime.timedelta(days=1)


def entry(days_ago: float, **fields) -> AuditEntry:
    return AuditEntry.objects.create(
        action=AuditEntry.Action.LOGIN, at=timezone.now() - days_ago * DAY, **fields
    )


def test_the_purge_deletes_only_entries_past_the_retention(db, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    keep = [entry(1), entry(179), entry(181), entry(364)]
    gone = [entry(366), entry(1000)]

    done = retention.purge()

    assert done["audit"] == len(gone)
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {e.pk for e in keep}


def test_the_purge_never_deletes_younger_than_180_days_whatever_the_setting(db, settings):
    settings.AUDIT_RETENTION_DAYS = 30  # refused at start-up; here it gets past that
    young = [entry(31), entry(120), entry(179.9)]
    old = entry(181)

    retention.purge()

    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {e.pk for e in young}
    assert not AuditEntry.objects.filter(pk=old.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_delete_a_young_entry_even_for_the_purge(db):
    from django.db.utils import InternalError

    young = entry(10)
    with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL gonghui.audit_purge = 'on'")
        cursor.execute("DELETE FROM unions_auditentry WHERE id = %s", [young.pk])
    assert AuditEntry.objects.filter(pk=young.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_without_the_purge_flag_nothing_is_deleted(db):
    from django.db.utils import InternalError

    old = entry(400)
    with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM unions_auditentry WHERE id = %s", [old.pk])
    assert AuditEntry.objects.filter(pk=old.pk).exists()


def test_a_retention_under_180_days_is_refused_at_start_up():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "AUDIT_RETENTION_DAYS": "90", "SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "AUDIT_RETENTION_DAYS" in result.stderr


def test_an_admin_exports_the_audit_log_of_their_subtree_for_a_period(
    client, tree, make_user, county_admin
):
    town = make_user(tree["town"], User.Role.COLLECTOR, username="town_officer")
    sibling = make_user(tree["sibling"], User.Role.ADMIN, username="dc_admin")
    audit.record(AuditEntry.Action.EXPORT, actor=town, object_repr="漳江名册 13912345678")
    audit.record(AuditEntry.Action.EXPORT, actor=sibling, object_repr="鼎城名册")
    AuditEntry.objects.create(
        action=AuditEntry.Action.EXPORT,
        actor_username="town_officer",
        union=tree["town"],
        at=timezone.now() - 400 * DAY,
    )
    client.force_login(county_admin)
    today = timezone.localdate()

    response = client.get(
        reverse("unions:audit_export"),
        {
            "action": "export",
            "date_from": (today - 30 * DAY).isoformat(),
            "date_to": today.isoformat(),
        },
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0] == ("时间", "操作账号", "操作", "所涉工会", "对象", "详情", "来源地址")
    text = "\n".join(" ".join(str(c or "") for c in row) for row in rows[1:])
    assert "town_officer" in text and "导出" in text and "139****5678" in text
    assert "鼎城" not in text and "dc_admin" not in text  # another county
    assert "13912345678" not in text
    assert len(rows) == 2  # the 400-day-old export is outside the period
    exported = AuditEntry.objects.get(action=AuditEntry.Action.AUDIT_EXPORTED)
    assert exported.actor == county_admin and exported.detail["entries"] == 1


def test_the_export_needs_a_period(client, county_admin):
    client.force_login(county_admin)
    response = client.get(reverse("unions:audit_export"), follow=True)
    assert "须填写起始日期和截止日期" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.AUDIT_EXPORTED).exists()


def test_the_daily_task_and_the_command_purge_the_same_way(db, settings):
    from django.core.management import call_command

    from unions.tasks import purge_expired_audit

    assert settings.CELERY_BEAT_SCHEDULE["unions-purge-audit"]["task"] == (
        "unions.tasks.purge_expired_audit"
    )
    entry(500)
    assert purge_expired_audit.apply().get()["audit"] == 1
    entry(500)
    out = io.StringIO()
    call_command("purge_audit", stdout=out)
    assert "删除审计日志 1 条" in out.getvalue()
    assert not AuditEntry.objects.filter(at__lt=timezone.now() - 400 * DAY).exists()
