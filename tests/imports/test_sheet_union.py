"""Issue 11, item 1: the 工会名称：line above a table is the default union when the
upload (or `--union`) leaves it open; the preview shows it for confirmation, and a name
that is unknown, ambiguous or outside the uploader's subtree imports nothing."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from imports.engine import analyse_members, commit_members
from imports.engine.headers import union_line
from imports.models import ImportJob
from imports.xlsx_templates import FIRST_DATA_ROW
from members.models import Member
from registry import codes
from tests.imports.sheets import mobile, person_id, workbook
from tests.imports.test_upload_flow import _run_queued_tasks, collector, latest_job
from unions.models import Union

pytestmark = pytest.mark.django_db
__all__ = ["_run_queued_tasks", "collector"]

HEADER = ["姓名", "身份证号码", "手机号码"]


def sheet_for(tmp_path, line: list, *, name="花名册.xlsx", people=(1, 2)):
    rows = [["会员信息采集表"], line, HEADER]
    rows += [[f"会员{'甲乙丙丁'[n]}", person_id(n), mobile(n)] for n in people]
    return workbook(tmp_path / name, {"会员信息": rows})


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            ["工会名称：漳江物流公司工会　编码：Q1234567　下载时间：2026-12-01 10:00"],
            ("漳江物流公司工会", "Q1234567"),
        ),
        (
            ["工会名称：", "漳江物流公司工会", None, "填报日期：2026年12月"],
            ("漳江物流公司工会", ""),
        ),
        (["工会名称:漳江物流公司工会"], ("漳江物流公司工会", "")),
        (["会员信息采集表"], None),
    ],
)
def test_union_line_as_written(cells, expected):
    assert union_line(cells) == expected


def test_the_line_names_the_union_when_none_is_chosen(tmp_path, tree):
    path = sheet_for(tmp_path, [f"工会名称：{tree['base'].name}　编码：{tree['base'].code}"])

    plan = analyse_members(path, union=None, root=tree["county"], from_sheet=True)

    assert plan.union == tree["base"]
    assert plan.summary.union["source"] == "sheet"
    assert plan.summary.union["path"].endswith("漳江街道办事处工会联合会 / 漳江物流公司工会")
    assert plan.summary.created == 2
    commit_members(plan, by=None)
    assert set(Member.objects.values_list("union", flat=True)) == {tree["base"].pk}


def test_same_named_unions_are_told_apart_by_the_code(tmp_path, tree):
    twin = Union.objects.create(name=tree["base"].name, kind=codes.KIND_BASE, parent=tree["school"])
    by_name = sheet_for(tmp_path, [f"工会名称：{twin.name}"])
    by_code = sheet_for(tmp_path, [f"工会名称：{twin.name}　编码：{twin.code}"], name="b.xlsx")

    ambiguous = analyse_members(by_name, union=None, root=tree["county"], from_sheet=True)
    coded = analyse_members(by_code, union=None, root=tree["county"], from_sheet=True)

    assert ambiguous.rejected and "对应多个工会" in ambiguous.summary.message
    assert coded.union == twin


@pytest.mark.parametrize(
    ("named", "says"),
    [("鼎城医院工会", "不在您的管辖范围"), ("不存在的工会", "找不到")],
)
def test_a_line_outside_the_scope_or_unknown_imports_nothing(tmp_path, tree, named, says):
    path = sheet_for(tmp_path, [f"工会名称：{named}"])

    plan = analyse_members(path, union=tree["base"], root=tree["county"], from_sheet=True)

    assert plan.rejected and says in plan.summary.message and named in plan.summary.message
    commit_members(plan, by=None)
    assert not Member.objects.exists()


def test_without_a_line_the_fallback_or_a_clear_refusal(tmp_path, tree):
    path = sheet_for(tmp_path, ["制表日期：2026年12月"])

    fallback = analyse_members(path, union=tree["town"], root=tree["town"], from_sheet=True)
    refused = analyse_members(path, union=None, root=tree["county"], from_sheet=True)

    assert fallback.union == tree["town"] and fallback.summary.union["source"] == "fallback"
    assert refused.rejected and "没有写明工会" in refused.summary.message


def test_a_chosen_union_wins_and_a_differing_line_is_mentioned(tmp_path, tree):
    path = sheet_for(tmp_path, [f"工会名称：{tree['school'].name}"])

    plan = analyse_members(path, union=tree["base"], root=tree["county"])

    assert plan.union == tree["base"] and plan.summary.union["source"] == "chosen"
    assert any(tree["school"].name in n and "本次选择导入到" in n for n in plan.summary.notices)


def test_command_without_union_reads_the_line(tmp_path, tree):
    path = sheet_for(tmp_path, [f"工会名称：{tree['school'].name}"])
    out = io.StringIO()

    call_command("import_members", str(path), "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["union"]["name"] == tree["school"].name
    assert summary["union"]["source"] == "sheet"
    assert set(Member.objects.values_list("union", flat=True)) == {tree["school"].pk}


def test_filled_template_uploaded_without_a_union_lands_in_its_union(client, collector, tree):
    template = client.get(
        reverse("imports:template_download", args=["members"]), {"union": tree["group"].pk}
    )
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    columns = {c.value: c.column for c in sheet[FIRST_DATA_ROW - 1]}
    for i, n in enumerate((1, 2)):
        sheet.cell(FIRST_DATA_ROW + i, columns["姓名"], f"会员{'甲乙丙'[n]}")
        sheet.cell(FIRST_DATA_ROW + i, columns["证件号码"], person_id(n))
        sheet.cell(FIRST_DATA_ROW + i, columns["手机号码"], mobile(n))
    out = io.BytesIO()
    book.save(out)

    page = client.post(
        reverse("imports:upload"),
        {"union": "", "kind": "members", "file": SimpleUploadedFile("模板.xlsx", out.getvalue())},
        follow=True,
    ).content.decode()

    job = latest_job()
    assert job.state == ImportJob.State.PREVIEW, job.error_message
    assert job.union == tree["group"]
    assert f"表头上方写明工会：{tree['group'].name}，未指定工会的行将登记在此工会" in page
    assert "漳江物流公司工会 / 一车间工会小组" in page
    client.post(reverse("imports:confirm", args=[job.pk]), follow=True)
    assert set(Member.objects.values_list("union", flat=True)) == {tree["group"].pk}


def test_upload_naming_a_union_outside_the_subtree_is_refused(client, collector, tree, tmp_path):
    path = sheet_for(tmp_path, ["工会名称：鼎城医院工会"])

    page = client.post(
        reverse("imports:upload"),
        {"union": "", "kind": "members", "file": SimpleUploadedFile("a.xlsx", path.read_bytes())},
        follow=True,
    ).content.decode()

    assert latest_job().state == ImportJob.State.FAILED
    assert "不在您的管辖范围" in page
    assert not Member.objects.exists()


def test_a_collector_of_one_union_is_not_asked_which(
    client, tree, make_user, tmp_path, media_root, celery_eager
):
    from unions.models import User

    client.force_login(make_user(tree["group"], User.Role.COLLECTOR))
    page = client.get(reverse("imports:upload")).content.decode()
    assert 'data-testid="union-implied"' in page and 'name="union"' not in page
    path = sheet_for(tmp_path, ["制表日期：2026年12月"])

    client.post(
        reverse("imports:upload"),
        {"kind": "members", "file": SimpleUploadedFile("a.xlsx", path.read_bytes())},
        follow=True,
    )

    job = latest_job()
    assert (job.state, job.union, job.summary["union"]["source"]) == (
        ImportJob.State.PREVIEW,
        tree["group"],
        "fallback",
    )
