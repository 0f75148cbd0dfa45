"""One ID, one member; re-imports change nothing; the uploader's subtree bounds every row."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from imports.engine import analyse_members, commit_members
from members.models import Member, MemberChange, MembershipEvent, TransferRequest
from registry.validators import mask_phone
from tests.imports.helpers import problems
from tests.imports.sheets import mobile, person_id, workbook
from unions.access import can_import, user_root
from unions.models import AuditEntry, User


def roster(path, rows, header=("姓名", "身份证号", "手机号码")):
    return workbook(path, {"花名册": [list(header), *rows]})


def run(path, union, uploader, **options):
    plan = analyse_members(path, filename=path.name, union=union, root=user_root(uploader))
    return commit_members(plan, by=uploader, **options)


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    tmp_path, tree, base_collector
):
    path = roster(
        tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)], ["王二", person_id(2), mobile(2)]]
    )
    first = run(path, tree["base"], base_collector)
    counts = (Member.objects.count(), MembershipEvent.objects.count(), MemberChange.objects.count())

    second = run(path, tree["base"], base_collector)

    assert (first.created, first.unchanged) == (2, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert (
        Member.objects.count(),
        MembershipEvent.objects.count(),
        MemberChange.objects.count(),
    ) == counts


def test_same_id_in_same_union_updates_and_records_the_change(tmp_path, tree, base_collector):
    run(
        roster(tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)]]),
        tree["base"],
        base_collector,
    )

    summary = run(
        roster(tmp_path / "b.xlsx", [["王一", person_id(1), mobile(9)]]),
        tree["base"],
        base_collector,
        source_ref="job-7",
    )

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    member = Member.objects.with_id(person_id(1)).get()
    assert member.mobile == mobile(9)
    change = MemberChange.objects.get(member=member)
    assert (change.source, change.source_ref, change.by) == ("import", "job-7", base_collector)
    # One format on every door: keyed by field, the phone masked (never the full number).
    assert change.changes == {"mobile": [mask_phone(mobile(1)), mask_phone(mobile(9))]}


def test_a_row_without_a_union_column_does_not_move_a_member_out_of_a_group(
    tmp_path, tree, base_collector, make_member
):
    member = make_member(tree["group"], name="王一")
    number = member.id_number
    member.birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    member.save()

    summary = run(
        roster(tmp_path / "a.xlsx", [["王一", member.id_number, member.mobile]]),
        tree["base"],
        base_collector,
    )

    assert summary.unchanged == 1
    member.refresh_from_db()
    assert member.union == tree["group"]


def test_id_registered_elsewhere_becomes_a_pending_transfer_once(
    tmp_path, tree, make_user, make_member
):
    holder = make_member(tree["sibling_base"], name="王一")
    county_collector = make_user(tree["county"], User.Role.COLLECTOR)
    path = roster(
        tmp_path / "a.xlsx",
        [["王一", holder.id_number, mobile(5)], ["王二", person_id(2), mobile(2)]],
    )

    plan = analyse_members(
        path, filename="a.xlsx", union=tree["school"], root=user_root(county_collector)
    )
    summary = commit_members(plan, by=county_collector)

    assert problems(summary) == {(2, "身份证号", "member_elsewhere")}
    error = summary.errors[0]
    assert "鼎城医院工会" in error.message
    assert holder.id_number not in error.message + error.value
    assert (summary.created, summary.conflicts, summary.invalid) == (1, 1, 0)
    request = TransferRequest.objects.get()
    assert (request.member, request.from_union, request.to_union) == (
        holder,
        tree["sibling_base"],
        tree["school"],
    )
    assert (request.origin, request.state) == ("import_conflict", "pending")
    assert request.proposed_mobile == mobile(5)  # encrypted at rest, not in the JSON
    assert "mobile" not in request.proposed and "id_number" not in request.proposed
    holder.refresh_from_db()
    assert holder.union == tree["sibling_base"] and holder.mobile != mobile(5)

    again = run(path, tree["school"], county_collector)
    assert again.conflicts == 1
    assert TransferRequest.objects.count() == 1


def test_all_or_nothing_commits_nothing_when_a_row_is_invalid(tmp_path, tree, base_collector):
    path = roster(
        tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)], ["王二", "123", mobile(2)]]
    )
    audits = AuditEntry.objects.count()

    summary = run(path, tree["base"], base_collector, all_or_nothing=True)

    assert summary.status == "rejected"
    assert "没有写入任何数据" in summary.message
    assert problems(summary) == {(3, "身份证号", "id_format")}
    assert Member.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_a_failure_during_commit_leaves_nothing_written(
    tmp_path, tree, base_collector, make_member
):
    path = roster(
        tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)], ["王二", person_id(2), mobile(2)]]
    )
    plan = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )
    # Someone registers the second person after the check and before the commit.
    make_member(tree["sibling_base"], id_number=person_id(2))

    summary = commit_members(plan, by=base_collector)

    assert summary.status == "rejected"
    assert "重新导入" in summary.message
    assert not Member.objects.with_id(person_id(1)).exists()
    assert MembershipEvent.objects.count() == 0
    assert not AuditEntry.objects.filter(action="import_committed").exists()


def test_rows_may_only_name_unions_inside_the_uploaders_subtree(tmp_path, tree, base_collector):
    path = roster(
        tmp_path / "a.xlsx",
        [
            ["王一", person_id(1), mobile(1), "一车间工会小组"],
            ["王二", person_id(2), mobile(2), "桃源一中工会"],
            ["王三", person_id(3), mobile(3), "不存在的工会"],
            ["王四", person_id(4), mobile(4), tree["group"].system_code],
        ],
        header=("姓名", "身份证号", "手机号码", "工会名称"),
    )

    summary = run(path, tree["base"], base_collector)

    assert problems(summary) == {
        (3, "工会名称", "union_out_of_scope"),
        (4, "工会名称", "union_unknown"),
    }
    assert set(Member.objects.values_list("name", "union__name")) == {
        ("王一", "一车间工会小组"),
        ("王四", "一车间工会小组"),
    }


def test_an_account_outside_the_target_or_without_rights_is_refused(tmp_path, tree, make_user):
    """Rights are the caller's question (`can_import`), asked at every door: the command
    refuses a viewer with a rejected summary naming the account and an outsider outright;
    the engine itself only ever sees a root union."""
    path = roster(tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)]])
    viewer = make_user(tree["base"], User.Role.VIEWER)
    outsider = make_user(tree["sibling"], User.Role.ADMIN)

    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import_members",
            str(path),
            "--union",
            tree["base"].name,
            "--as",
            viewer.username,
            "--json",
            stdout=out,
        )
    summary = json.loads(out.getvalue())
    assert summary["status"] == "rejected"
    assert viewer.username in summary["message"]
    with pytest.raises(CommandError, match=outsider.username):
        call_command(
            "import_members", str(path), "--union", tree["base"].name, "--as", outsider.username
        )
    assert not can_import(viewer, tree["base"]) and not can_import(outsider, tree["base"])
    plan = analyse_members(path, filename="a.xlsx", union=tree["base"], root=tree["sibling"])
    assert plan.summary.status == "rejected"
    assert Member.objects.count() == 0


def test_commit_writes_one_audit_entry(tmp_path, tree, base_collector):
    run(
        roster(tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)]]),
        tree["base"],
        base_collector,
    )

    entry = AuditEntry.objects.get(action="import_committed")
    assert (entry.actor, entry.union, entry.detail["created"]) == (base_collector, tree["base"], 1)
    assert person_id(1) not in str(entry.detail)


def test_progress_reports_each_stage_and_counts_add_up(tmp_path, tree, base_collector):
    path = roster(
        tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)], ["王二", "1", mobile(2)]]
    )
    stages = []

    def progress(stage, done, total):
        stages.append(stage)

    plan = analyse_members(
        path,
        filename="a.xlsx",
        union=tree["base"],
        root=user_root(base_collector),
        progress=progress,
    )
    summary = commit_members(plan, by=base_collector, progress=progress)

    assert list(dict.fromkeys(stages)) == ["read", "validate", "match", "write"]
    s = summary
    assert s.created + s.updated + s.unchanged + s.invalid + s.conflicts == s.rows == 2


def test_landlines_only_where_the_deployment_allows_them(tmp_path, tree, base_collector, settings):
    path = roster(
        tmp_path / "a.xlsx",
        [["王一", person_id(1), "0736-6622447"]],
        header=("姓名", "身份证号", "联系电话"),
    )

    strict = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )
    settings.ALLOW_LANDLINE = True
    relaxed = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    assert problems(strict.summary) == {(2, "联系电话", "phone_format")}
    assert relaxed.summary.errors == [] and relaxed.summary.created == 1


def test_moving_members_between_groups_costs_a_fixed_number_of_queries(
    tmp_path, tree, departments, base_collector, django_assert_max_num_queries
):
    people = [
        [
            "王" + "甲乙丙丁戊己庚辛壬癸"[n % 10] * (1 + n // 10),
            person_id(n),
            mobile(n),
            "一组",
            "矿业工程学院",
        ]
        for n in range(1, 31)
    ]
    header = ("姓名", "身份证号", "手机号码", "工会小组", "部门工会")
    run(roster(tmp_path / "a.xlsx", people, header=header), tree["base"], base_collector)
    moved = roster(tmp_path / "b.xlsx", [[*p[:3], "二组", p[4]] for p in people], header=header)
    plan = analyse_members(
        moved, filename="b.xlsx", union=tree["base"], root=user_root(base_collector)
    )

    with django_assert_max_num_queries(15):
        summary = commit_members(plan, by=base_collector)

    assert summary.updated == 30
    assert set(Member.objects.values_list("union__name", flat=True)) == {"二组"}
    change = MemberChange.objects.filter(source="import").first()
    assert change.changes == {"union": ["一组", "二组"]}


def test_analysis_queries_do_not_grow_with_rows(
    tmp_path, tree, departments, base_collector, django_assert_max_num_queries
):
    header = ("姓名", "身份证号", "手机号码", "工会小组", "部门工会", "工作单位")
    people = [
        [
            "王" + "甲乙丙丁戊己庚辛壬癸"[n % 10] * (1 + n // 10),
            person_id(n),
            mobile(n),
            "一组",
            "矿业工程学院",
            "物流公司",
        ]
        for n in range(1, 61)
    ]
    path = roster(
        tmp_path / "a.xlsx",
        people + [["王子", person_id(99), mobile(99), "九组", "", ""]],
        header=header,
    )

    with django_assert_max_num_queries(10):
        plan = analyse_members(
            path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
        )

    assert plan.summary.created == 60 and plan.summary.invalid == 1


def test_summary_survives_a_round_trip_through_json(tmp_path, tree, base_collector):
    import json

    from imports.engine import ImportSummary

    path = roster(
        tmp_path / "a.xlsx", [["王一", person_id(1), mobile(1)], ["王二", "1", mobile(2)]]
    )
    summary = analyse_members(
        path, filename="a.xlsx", union=tree["base"], root=user_root(base_collector)
    ).summary

    again = ImportSummary.from_json(json.loads(json.dumps(summary.as_json())))

    assert again == summary
