"""The per-union tallies the member writer keeps agree with the member table after every
kind of change, and `reconcile_tallies` finds and repairs a difference."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from imports.engine import analyse_members, commit_members
from members import services, tallies
from members.models import Member
from members.synthetic import id_number
from tests.imports.sheets import mobile, person_id, workbook
from unions.models import User


def reconcile(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("reconcile_tallies", "--json", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())


def active(union) -> int:
    return tallies.active_by_union().get(union.pk, 0)


def test_every_door_keeps_the_tallies(tmp_path, tree, make_user):
    collector = make_user(tree["county"], User.Role.COLLECTOR)
    school_admin = make_user(tree["school"], User.Role.ADMIN)
    form = {"id_type": "01", "name": "李四", "mobile": "13912345678"}

    one = services.create_member(
        union=tree["base"],
        data={**form, "id_number": id_number(birth=datetime.date(1990, 1, 2), seq=1)},
        by=collector,
    )
    path = workbook(
        tmp_path / "a.xlsx",
        {"花名册": [["姓名", "身份证号", "手机号码"], ["王一", person_id(1), mobile(1)]]},
    )
    commit_members(analyse_members(path, union=tree["group"], root=tree["county"]), by=collector)
    assert (active(tree["base"]), active(tree["group"])) == (1, 1)

    services.update_member(member=one, data={}, union=tree["town"], by=collector)
    services.record_event(
        member=Member.objects.with_id(person_id(1)).get(),
        kind="retire",
        on=datetime.date.today(),
        by=collector,
    )
    transfer = services.request_transfer(
        member=one, to_union=tree["school"], on=datetime.date.today(), by=collector
    )
    services.decide_transfer(transfer=transfer, accept=True, by=school_admin)

    assert (active(tree["base"]), active(tree["town"]), active(tree["school"])) == (0, 0, 1)
    assert active(tree["group"]) == 0
    assert tallies.differences() == []
    assert reconcile() == (
        0,
        {"consistent": True, "differences": [], "repaired": False, "subtree_differences": []},
    )


def test_reconcile_reports_and_repairs_a_write_around_the_writer(tree, make_member):
    make_member(tree["base"])
    Member.objects.update(status=Member.Status.LEFT)  # behind the writer's back

    code, report = reconcile()
    assert code == 1 and not report["consistent"]
    assert {
        (d["union"], d["status"], d["stored"], d["counted"]) for d in report["differences"]
    } == {
        ("漳江物流公司工会", "active", 1, 0),
        ("漳江物流公司工会", "left", 0, 1),
    }

    code, report = reconcile("--repair")
    assert code == 0 and report["repaired"]
    assert tallies.differences() == []
    assert active(tree["base"]) == 0


@pytest.mark.parametrize("repair", [False, True])
def test_reconcile_speaks_chinese(tree, make_member, repair):
    make_member(tree["base"])
    Member.objects.update(status=Member.Status.RETIRED)
    out = io.StringIO()
    with pytest.raises(SystemExit) if not repair else _nothing():
        call_command("reconcile_tallies", *(["--repair"] if repair else []), stdout=out)
    text = out.getvalue()
    assert "漳江物流公司工会" in text and "在册：台账 1，实际 0" in text
    assert ("已按会员表重建" in text) is repair


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_an_import_moving_members_to_another_union_moves_their_tallies(tmp_path, tree, make_user):
    """A county's roster names each row's union by code: members it moves leave the old
    union's count as they join the new one's."""
    county_admin = make_user(tree["county"], User.Role.ADMIN)
    first = workbook(
        tmp_path / "a.xlsx",
        {
            "花名册": [["姓名", "身份证号", "手机号码"]]
            + [["王", person_id(n), mobile(n)] for n in (1, 2)]
        },
    )
    commit_members(analyse_members(first, union=tree["base"], root=tree["county"]), by=county_admin)
    moved = workbook(
        tmp_path / "b.xlsx",
        {
            "花名册": [["姓名", "身份证号", "手机号码", "工会编码"]]
            + [["王", person_id(n), mobile(n), tree["school"].code] for n in (1, 2)]
        },
    )
    summary = commit_members(
        analyse_members(moved, union=tree["county"], root=tree["county"]), by=county_admin
    )

    assert summary.updated == 2
    assert (active(tree["base"]), active(tree["school"])) == (0, 2)
    assert tallies.differences() == []
