"""One member export (issue 10, item 4): the export page, the member list's 导出 and
`manage.py export_members` share one selector, one writer, one cap, one masking rule and
one audit record. Each test runs against every door."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from tests.exporting import follow_export
from unions.models import AuditEntry, User

pytestmark = pytest.mark.django_db

CAP_MESSAGE = "超过单次导出上限 2 人"


def _cells(content: bytes) -> set:
    sheet = load_workbook(io.BytesIO(content)).active
    return {c for row in sheet.iter_rows(values_only=True) for c in row if c is not None}


def via_export_page(client, user, tree, tmp_path):
    client.force_login(user)
    response = client.post(
        reverse("imports:export"),
        {"union": tree["county"].pk, "scope": "subtree", "status": "", "q": "", "format": "xlsx"},
    )
    content, text = follow_export(client, response)
    return (_cells(content) if content else None), text


def via_member_list(client, user, tree, tmp_path):
    client.force_login(user)
    response = client.post(reverse("members:export"), {"format": "xlsx"})
    content, text = follow_export(client, response)
    return (_cells(content) if content else None), text


def via_command(client, user, tree, tmp_path):
    out = tmp_path / "export.xlsx"
    args = ["--union", "桃源县总工会", "--out", str(out), "--as", user.username]
    try:
        call_command("export_members", *args, stdout=io.StringIO())
    except CommandError as refused:
        assert not out.exists()
        return None, str(refused)
    return _cells(out.read_bytes()), ""


DOORS = pytest.mark.parametrize(
    "door", [via_export_page, via_member_list, via_command], ids=["page", "list", "command"]
)


def exports():
    return AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)


@DOORS
def test_viewer_export_is_masked_from_every_door(
    door, client, tree, make_user, make_member, tmp_path
):
    member = make_member(tree["school"], name="李小红")
    viewer = make_user(tree["county"], User.Role.VIEWER)

    cells, _refused = door(client, viewer, tree, tmp_path)

    assert "李小红" in cells
    assert member.masked_id in cells and member.masked_mobile in cells
    assert member.id_number not in cells and member.mobile not in cells
    entry = exports().get()
    assert (entry.actor, entry.detail["rows"], entry.detail["masked"]) == (viewer, 1, True)


@DOORS
@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.COLLECTOR])
def test_editor_export_holds_full_values_and_writes_one_audit_entry(
    door, role, client, tree, make_user, make_member, tmp_path
):
    member = make_member(tree["school"], name="李小红")
    make_member(tree["sibling_base"], name="赵外人")
    editor = make_user(tree["county"], role)

    cells, _refused = door(client, editor, tree, tmp_path)
    door(client, editor, tree, tmp_path)

    assert member.id_number in cells and member.mobile in cells
    assert "赵外人" not in cells
    first, second = exports().order_by("pk")  # exactly one entry per export
    for entry in (first, second):
        assert entry.actor == editor and entry.union == tree["county"]
        assert entry.object_repr == "会员名单（1人）"
        assert set(entry.detail) == {"rows", "masked", "filter", "via", "format"}
        assert (entry.detail["rows"], entry.detail["masked"]) == (1, False)
        assert "桃源县总工会" in entry.detail["filter"]
        assert member.id_number not in str(entry.detail)


@DOORS
def test_over_the_cap_is_refused_in_chinese_from_every_door(
    door, client, tree, make_user, make_member, tmp_path, settings
):
    settings.MEMBER_EXPORT_MAX_ROWS = 2
    for _ in range(3):
        make_member(tree["school"])

    cells, refused = door(client, make_user(tree["county"], User.Role.ADMIN), tree, tmp_path)

    assert cells is None
    assert CAP_MESSAGE in refused and "当前结果有 3 人" in refused
    assert not exports().exists()


def test_operator_command_without_as_exports_full_values(tree, make_member, tmp_path):
    member = make_member(tree["school"])
    out = tmp_path / "all.xlsx"
    call_command(
        "export_members", "--union", "桃源县总工会", "--out", str(out), stdout=io.StringIO()
    )
    assert member.id_number in _cells(out.read_bytes())
    entry = exports().get()
    assert entry.actor is None and entry.detail["via"] == "command"
    assert entry.detail["masked"] is False
