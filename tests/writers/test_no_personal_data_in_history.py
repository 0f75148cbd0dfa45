"""Whichever door a change comes through — a roster import, a form edit, a transfer, the
/ops/ admin — the history and the audit log hold IDs and phones only masked.

Queries the tables themselves (CI runs this on PostgreSQL)."""

import datetime
import json

from django.forms.models import model_to_dict
from django.urls import reverse

from imports.engine import analyse_members, commit_members
from members import services
from members.models import Member, MemberChange, TransferRequest
from members.synthetic import id_number
from registry.validators import mask_phone
from tests.conftest import PASSWORD
from tests.imports.sheets import mobile, person_id, workbook
from unions.access import user_root
from unions.models import AuditEntry, User


def all_written_text() -> str:
    """Every history and audit row, as stored."""
    rows = [
        *MemberChange.objects.values_list("changes", flat=True),
        *AuditEntry.objects.values_list("detail", flat=True),
        *AuditEntry.objects.values_list("object_repr", flat=True),
    ]
    return json.dumps(rows, ensure_ascii=False, default=str)


def admin_post_data(member: Member, **changes) -> dict:
    data = {k: ("" if v is None else v) for k, v in model_to_dict(member).items()}
    data.update(changes)
    data["extra"] = json.dumps(data.get("extra") or {}, ensure_ascii=False)
    for name in ("birth_date", "join_date"):
        if isinstance(data.get(name), datetime.date):
            data[name] = data[name].isoformat()
    data["new_employment_form"] = "unknown"
    return {k: v for k, v in data.items() if k not in ("id", "status", "confirmed_at")}


def test_no_full_id_or_phone_in_any_history_or_audit_row(
    tmp_path, tree, make_user, make_member, client, django_user_model
):
    collector = make_user(tree["base"], User.Role.COLLECTOR, username="base_collector")
    school_admin = make_user(tree["school"], User.Role.ADMIN, username="school_admin")
    secrets = set()

    # 1. a roster import: two new members, then the same sheet with new phones
    rows = [["王一", person_id(1), mobile(1)], ["王二", person_id(2), mobile(2)]]
    path = workbook(tmp_path / "a.xlsx", {"花名册": [["姓名", "身份证号", "手机号码"], *rows]})
    plan = analyse_members(path, filename="a.xlsx", union=tree["base"], root=user_root(collector))
    commit_members(plan, by=collector)
    rows = [["王一", person_id(1), mobile(11)], ["王二", person_id(2), mobile(12)]]
    path = workbook(tmp_path / "b.xlsx", {"花名册": [["姓名", "身份证号", "手机号码"], *rows]})
    plan = analyse_members(path, filename="b.xlsx", union=tree["base"], root=user_root(collector))
    assert commit_members(plan, by=collector).updated == 2
    secrets |= {person_id(1), person_id(2), mobile(1), mobile(2), mobile(11), mobile(12)}

    # 2. a form edit: a new phone and a corrected ID number
    member = Member.objects.with_id(person_id(1)).get()
    new_id = id_number(birth=datetime.date(1990, 6, 1), seq=5)
    services.update_member(
        member=member, data={"mobile": "13700001111", "id_number": new_id}, by=collector
    )
    secrets |= {"13700001111", new_id}

    # 3. a transfer, accepted with the receiving union's data (a new phone)
    moving = make_member(tree["base"], name="赵六", mobile="13600002222")
    secrets |= {moving.id_number, "13600002222", "13500003333"}
    transfer = services.request_transfer(
        member=moving, to_union=tree["school"], on=datetime.date.today(), by=collector
    )
    transfer.proposed_mobile = "13500003333"  # the receiving union's new phone (encrypted)
    transfer.save()
    services.decide_transfer(transfer=transfer, accept=True, by=school_admin)

    # 4. an operator's edit in /ops/
    ops = django_user_model.objects.create_superuser(
        "ops", password=PASSWORD, must_change_password=False
    )
    client.force_login(ops)
    edited = Member.objects.with_id(person_id(2)).get()
    response = client.post(
        reverse("admin:members_member_change", args=[edited.pk]),
        admin_post_data(edited, mobile="13400004444"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("admin:members_member_changelist")
    edited.refresh_from_db()
    assert edited.mobile == "13400004444"
    secrets.add("13400004444")

    # every door wrote history, in one format, keyed by field
    assert set(MemberChange.objects.values_list("source", flat=True)) == {
        "import",
        "form",
        "event",
        "admin",
    }
    admin_change = MemberChange.objects.get(source="admin")
    assert admin_change.changes == {"mobile": [mask_phone(mobile(12)), mask_phone("13400004444")]}
    assert AuditEntry.objects.filter(action="member_changed", actor=ops).exists()
    assert TransferRequest.objects.get().state == "accepted"

    written = all_written_text()
    leaked = sorted(s for s in secrets if s in written)
    assert not leaked, leaked
