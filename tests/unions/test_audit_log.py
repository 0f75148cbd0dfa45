"""The audit log: append-only, never an ID number in clear, readable by 管理员 for their subtree."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from unions import audit
from unions.models import AuditEntry, User


@pytest.fixture
def admin_client(client, county_admin):
    client.force_login(county_admin)
    return client


def entry_at(union, action=AuditEntry.Action.EXPORT, *, actor=None, days_ago=0, what="导出花名册"):
    if days_ago:
        return AuditEntry.objects.create(
            at=timezone.now() - datetime.timedelta(days=days_ago),
            action=action,
            union=union,
            object_repr=what,
        )
    return audit.record(action, actor=actor, union=union, object_repr=what)


def test_entries_cannot_be_changed_or_deleted(tree):
    entry = entry_at(tree["town"])
    entry.object_repr = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_database_refuses_update_and_delete_even_in_raw_sql(tree):
    entry = entry_at(tree["town"])
    for sql in (
        "UPDATE unions_auditentry SET object_repr = 'x' WHERE id = %s",
        "DELETE FROM unions_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="审计日志只能追加"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="x")
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "导出花名册"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_entries_outlive_the_account_that_made_them(tree, make_user):
    user = make_user(tree["town"], username="short_lived")
    entry = audit.record(AuditEntry.Action.LOGIN, actor=user)
    user.delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor is None and entry.actor_username == "short_lived"


def test_id_numbers_are_masked_whatever_the_caller_passes(tree, make_member):
    member = make_member(tree["base"])
    entry = audit.record(
        AuditEntry.Action.ID_REVEALED,
        union=tree["base"],
        object_repr=f"张三 {member.id_number}",
        detail={"证件号码": member.id_number, "rows": [f"第2行 {member.id_number.lower()}"]},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    text = f"{stored.object_repr} {stored.detail}"
    assert member.id_number not in text and member.id_number[6:14] not in text
    assert member.masked_id in stored.object_repr


def test_a_member_as_object_shows_masked(tree, make_member):
    member = make_member(tree["base"])
    entry = audit.record(AuditEntry.Action.ID_REVEALED, union=tree["base"], obj=member)
    assert member.id_number not in entry.object_repr


def test_admin_sees_entries_of_the_subtree_only(admin_client, tree):
    entry_at(tree["group"], what="小组导出")
    entry_at(tree["county"], what="县总导出")
    entry_at(tree["sibling_base"], what="平级导出")
    entry_at(tree["city"], what="市总导出")

    page = admin_client.get(reverse("unions:audit_list")).content.decode()

    assert "小组导出" in page and "县总导出" in page
    assert "平级导出" not in page and "市总导出" not in page


def test_audit_filters(admin_client, tree, make_user):
    officer = make_user(tree["school"], User.Role.COLLECTOR, username="school_officer")
    entry_at(tree["school"], AuditEntry.Action.IMPORT_COMMITTED, actor=officer, what="一中导入")
    entry_at(tree["group"], AuditEntry.Action.EXPORT, what="小组导出")
    entry_at(tree["base"], AuditEntry.Action.EXPORT, what="旧导出", days_ago=40)
    url = reverse("unions:audit_list")

    def shown(**query):
        page = admin_client.get(url, query).content.decode()
        return {w for w in ("一中导入", "小组导出", "旧导出") if w in page}

    assert shown(action="import_committed") == {"一中导入"}
    assert shown(actor="school_off") == {"一中导入"}
    assert shown(union=tree["town"].pk) == {"小组导出", "旧导出"}
    today = timezone.localdate()
    assert shown(date_from=(today - datetime.timedelta(days=7)).isoformat()) == {
        "一中导入",
        "小组导出",
    }
    assert shown(date_to=(today - datetime.timedelta(days=30)).isoformat()) == {"旧导出"}


def test_filter_by_a_sibling_union_shows_nothing_of_it(admin_client, tree):
    entry_at(tree["sibling_base"], what="平级导出")
    response = admin_client.get(reverse("unions:audit_list"), {"union": tree["sibling"].pk})
    assert "平级导出" not in response.content.decode()


def test_collectors_and_viewers_cannot_read_the_log(client, tree, make_user):
    for role in (User.Role.COLLECTOR, User.Role.VIEWER):
        client.force_login(make_user(tree["county"], role))
        assert client.get(reverse("unions:audit_list")).status_code == 403


def test_log_page_shows_who_when_where_and_what(admin_client, tree, make_user):
    officer = make_user(tree["town"], User.Role.COLLECTOR, username="zj_collector")
    admin_client.post(reverse("unions:account_reset", args=[officer.pk]), REMOTE_ADDR="10.3.3.3")
    page = admin_client.get(reverse("unions:audit_list")).content.decode()
    row = page.split("重置密码</td>")[0].rsplit("<tr>", 1)[1] + page.split("重置密码</td>")[1]
    assert "county_admin" in row and "zj_collector" in page and "10.3.3.3" in page
