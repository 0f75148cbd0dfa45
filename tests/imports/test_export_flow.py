"""The export page: members of a subtree (or a filtered list) as xlsx, audited."""

import pytest
from django.urls import reverse

from members.models import Member
from tests.exporting import follow_export, sheet_rows
from unions.models import AuditEntry, User

pytestmark = pytest.mark.django_db


def export(client, **data):
    response = client.post(reverse("imports:export"), {"format": "xlsx", **data})
    content, text = follow_export(client, response)
    return sheet_rows(content) if content else []


def test_admin_exports_the_subtree_with_full_ids_and_it_is_audited(
    client, tree, make_user, make_member
):
    admin = make_user(tree["county"], User.Role.ADMIN)
    in_town = make_member(tree["group"], name="王小明")
    make_member(tree["school"], name="李小红")
    make_member(tree["sibling_base"], name="赵外人")
    client.force_login(admin)

    rows = export(client, union=tree["town"].pk, scope="subtree", status="active", q="")

    assert [r["姓名"] for r in rows] == ["王小明"]
    assert rows[0]["证件号码"] == in_town.id_number
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == admin and entry.union == tree["town"]
    assert entry.detail["rows"] == 1


def test_export_filters_by_status_name_and_own_level(client, tree, make_user, make_member):
    client.force_login(make_user(tree["county"], User.Role.COLLECTOR))
    make_member(tree["county"], name="张县直")
    make_member(tree["school"], name="张老师")
    make_member(tree["school"], name="张退休", status=Member.Status.RETIRED)

    own = export(client, union=tree["county"].pk, scope="own", status="", q="")
    assert [r["姓名"] for r in own] == ["张县直"]
    named = export(client, union=tree["county"].pk, scope="subtree", status="active", q="老师")
    assert [r["姓名"] for r in named] == ["张老师"]
    retired = export(client, union=tree["county"].pk, scope="subtree", status="retired", q="")
    assert [r["姓名"] for r in retired] == ["张退休"]


def test_viewer_exports_masked_and_nobody_exports_a_sibling(client, tree, make_user, make_member):
    # One rule for every export door (issue 10): 查看 may export, with IDs and phones masked.
    member = make_member(tree["school"], name="李小红")
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    assert client.get(reverse("imports:export")).status_code == 200
    rows = export(client, union=tree["county"].pk, scope="subtree", status="", q="")
    assert rows[0]["证件号码"] == member.masked_id and rows[0]["手机号码"] == member.masked_mobile
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).detail["masked"] is True

    client.force_login(make_user(tree["county"], User.Role.ADMIN))
    response = client.post(
        reverse("imports:export"), {"union": tree["sibling"].pk, "scope": "subtree"}
    )
    assert response.status_code == 200 and "所选工会不在可选范围内" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1
