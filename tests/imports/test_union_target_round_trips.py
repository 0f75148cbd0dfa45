"""Issue 11, item 2: the union export and the target export read back unchanged give only
无变化; same-name unions resolve by 工会编码; export-only columns are never stored."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from stdnum.cn import uscc

from imports.engine import analyse_unions, commit_unions
from imports.union_export import union_workbook
from progress.models import Campaign, Target
from progress.targets import import_targets
from registry import codes
from unions.models import AuditEntry, Union, Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(tree):
    """Two 语文组 under two 部门工会 of one school, filled in as people do."""
    school = tree["school"]
    school.credit_code = "81430725MC1234567" + uscc.calc_check_digit("81430725MC1234567")
    school.founded_on = datetime.date(2001, 9, 1)
    school.chair = "周校长"
    school.phone = "0736-6621234"
    school.staff_count = 1200
    school.female_staff_count = 700
    school.save()
    # the unit holds the 职工人数 too, as a union sheet naming it leaves it (seed 002)
    unit = Unit.objects.create(
        name="桃源县第一中学", nature="02", address="桃源县漳江镇", staff_count=1200
    )
    school.units.add(unit)
    made = {}
    for dept in ("高一年级", "高二年级"):
        branch = Union.objects.create(name=f"{dept}分会", kind=codes.KIND_BRANCH, parent=school)
        made[dept] = Union.objects.create(name="语文组", kind=codes.KIND_GROUP, parent=branch)
    return made


def exported(tmp_path, root, name="工会组织.xlsx"):
    content, count = union_workbook(root)
    path = tmp_path / name
    path.write_bytes(content)
    return path, count


def test_union_export_read_back_changes_nothing(tmp_path, tree, twins):
    path, count = exported(tmp_path, tree["county"])

    plan = analyse_unions(path, root=tree["county"])

    summary = plan.summary
    assert (summary.errors, summary.rows) == ([], count)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, count)
    columns = {c["header"]: c["field"] for c in summary.sheets[0]["columns"]}
    assert columns["工会路径"] == "_ignored" and columns["工会编码"] == "code"


def test_union_export_by_an_operator_round_trips_too(tmp_path, tree, twins):
    path, count = exported(tmp_path, None)

    summary = analyse_unions(path).summary

    assert (summary.errors, summary.unchanged, summary.updated) == ([], count, 0)


def test_an_edit_to_one_of_two_same_named_unions_reaches_that_one(tmp_path, tree, twins):
    path, _count = exported(tmp_path, tree["school"])
    book = load_workbook(path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("工会路径")].value.endswith("高二年级分会 / 语文组"):
            row[header.index("工会负责人")].value = "王老师"
    book.save(path)

    plan = analyse_unions(path, root=tree["school"])
    commit_unions(plan, by=None)

    assert (plan.summary.updated, plan.summary.errors) == (1, [])
    twins["高一年级"].refresh_from_db()
    twins["高二年级"].refresh_from_db()
    assert (twins["高一年级"].chair, twins["高二年级"].chair) == ("", "王老师")


def test_an_unknown_union_code_is_refused_not_guessed(tmp_path, tree, twins):
    path, _count = exported(tmp_path, tree["school"])
    book = load_workbook(path)
    book.active["C3"] = "X999999999"
    book.save(path)

    summary = analyse_unions(path, root=tree["school"]).summary

    assert [(p.row, p.code) for p in summary.errors] == [(3, "union_unknown")]


def test_export_unions_command_and_page(tmp_path, tree, twins, client, make_user):
    out = tmp_path / "c.xlsx"
    call_command(
        "export_unions", "--union", tree["school"].name, "--out", str(out), stdout=io.StringIO()
    )
    assert analyse_unions(out, root=tree["school"]).summary.unchanged == 5

    admin = make_user(tree["school"], User.Role.ADMIN)
    client.force_login(admin)
    response = client.get(reverse("imports:export_unions"), {"union": tree["school"].pk})
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, union=tree["school"]).exists()
    upload = client.post(
        reverse("imports:upload"),
        {
            "union": tree["school"].pk,
            "kind": "unions",
            "file": SimpleUploadedFile("工会.xlsx", response.content),
        },
    )
    assert upload.status_code == 302


# ---- targets ----------------------------------------------------------------------------


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(
        name="2026年采集行动",
        starts_on=datetime.date(2026, 1, 1),
        deadline=datetime.date(2026, 12, 31),
        is_current=True,
    )


def test_target_export_read_back_changes_nothing(tmp_path, tree, campaign, client, make_user):
    twin = Union.objects.create(name=tree["school"].name, kind=codes.KIND_BASE, parent=tree["town"])
    Target.objects.create(campaign=campaign, union=tree["town"], members=3000, organisations=12)
    Target.objects.create(campaign=campaign, union=tree["school"], members=1500)
    admin = make_user(tree["county"], User.Role.ADMIN)
    client.force_login(admin)

    response = client.get(reverse("progress:targets_xlsx", args=[tree["county"].pk]))

    assert response.status_code == 200
    path = tmp_path / "目标.xlsx"
    path.write_bytes(response.content)
    report = import_targets(path=path, campaign_name=campaign.name, within=tree["county"], by=admin)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, [])
    assert not report.problems
    assert twin.pk not in set(Target.objects.values_list("union", flat=True))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, union=tree["county"]).exists()


def test_the_export_page_offers_the_union_export_to_admins_only(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.ADMIN))
    assert 'data-testid="export-unions"' in client.get(reverse("imports:export")).content.decode()
    client.force_login(make_user(tree["county"], User.Role.COLLECTOR))
    assert (
        'data-testid="export-unions"' not in client.get(reverse("imports:export")).content.decode()
    )
    response = client.get(reverse("imports:export_unions"))
    assert response.status_code == 403
