"""Downloadable collection templates: dropdowns from the code lists, text columns,
the union they were downloaded for, and a filled-in template that imports cleanly."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from imports.models import ImportJob
from imports.xlsx_templates import CODE_SHEET, FIRST_DATA_ROW, GUIDE_SHEET
from members.models import Member
from registry import codes
from tests.imports.sheets import mobile, person_id
from unions.models import Union, User

pytestmark = pytest.mark.django_db


def download(client, kind, union):
    response = client.get(reverse("imports:template_download", args=[kind]), {"union": union.pk})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def headers(sheet) -> dict[str, str]:
    """header → column letter"""
    return {
        cell.value: cell.column_letter
        for cell in sheet[FIRST_DATA_ROW - 1]
        if cell.value is not None
    }


def dropdown_values(book, sheet, letter) -> list[str]:
    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list" and any(
            str(rng).startswith(f"{letter}{FIRST_DATA_ROW}:") for rng in dv.sqref.ranges
        ):
            formula = dv.formula1
            if formula.startswith('"'):
                return formula.strip('"').split(",")
            ref = formula.split("!")[1].replace("$", "")
            start, end = ref.split(":")
            return [c.value for row in book[CODE_SHEET][f"{start}:{end}"] for c in row]
    raise AssertionError(f"no dropdown on column {letter}")


@pytest.fixture
def collector(client, tree, make_user):
    user = make_user(tree["town"], User.Role.COLLECTOR)
    client.force_login(user)
    return user


def test_member_template_has_dropdowns_text_columns_guide_and_union(client, collector, tree):
    book = download(client, "members", tree["town"])
    sheet = book.worksheets[0]
    cols = headers(sheet)

    assert tree["town"].name in sheet["A2"].value and tree["town"].code in sheet["A2"].value
    assert dropdown_values(book, sheet, cols["民族"]) == codes.ETHNICITY.names
    assert dropdown_values(book, sheet, cols["政治面貌"]) == codes.POLITICAL_STATUS.names
    assert dropdown_values(book, sheet, cols["学历"]) == codes.EDUCATION.names
    assert dropdown_values(book, sheet, cols["性别"]) == ["男", "女"]
    assert dropdown_values(book, sheet, cols["证件类型"]) == codes.ID_TYPE.names
    assert set(dropdown_values(book, sheet, cols["工会名称"])) == {
        tree["town"].name,
        tree["base"].name,
        tree["group"].name,
    }, "the union dropdown offers the subtree and nothing else"
    for column in ("证件号码", "手机号码"):
        assert sheet.column_dimensions[cols[column]].number_format == "@"
    assert book[CODE_SHEET].sheet_state == "hidden"

    guide = book[GUIDE_SHEET]
    lines = {row[0]: row for row in guide.iter_rows(values_only=True) if row[0]}
    assert lines["证件号码"][1] and len(lines["证件号码"][1]) == 18
    assert "必填" in lines["姓名"][2]


def test_union_and_target_templates(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.ADMIN))

    book = download(client, "unions", tree["county"])
    sheet = book.worksheets[0]
    cols = headers(sheet)
    assert dropdown_values(book, sheet, cols["工会类型"]) == codes.UNION_KIND.names
    assert dropdown_values(book, sheet, cols["单位性质"]) == codes.UNIT_NATURE.names
    assert tree["school"].name in dropdown_values(book, sheet, cols["上级工会"])
    assert sheet.column_dimensions[cols["统一社会信用代码"]].number_format == "@"

    book = download(client, "targets", tree["county"])
    sheet = book.worksheets[0]
    assert list(headers(sheet)) == [
        "序号",
        "单位",
        "工会编码",
        "会员信息采集（人）",
        "工会组织采集（个）",
        "备注",
    ]
    listed = {sheet.cell(row=r, column=2).value for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 2)}
    assert listed == {tree["town"].name, tree["school"].name}


def test_template_for_a_union_outside_the_subtree_is_404(client, collector, tree):
    url = reverse("imports:template_download", args=["members"])
    assert client.get(url, {"union": tree["sibling"].pk}).status_code == 404
    assert client.get(url, {"union": tree["county"].pk}).status_code == 404


def test_filled_in_template_imports_cleanly(
    client, collector, tree, media_root, celery_eager, django_capture_on_commit_callbacks
):
    book = download(client, "members", tree["town"])
    sheet = book.worksheets[0]
    cols = headers(sheet)
    people = [
        ("王小明", person_id(1), mobile(1), "男", tree["base"].name),
        ("李小红", person_id(2, male=False), mobile(2), "女", tree["group"].name),
        ("赵大勇", person_id(3), mobile(3), "男", ""),
    ]
    for i, (name, id_no, phone, gender, union_name) in enumerate(people):
        row = FIRST_DATA_ROW + i
        sheet[f"{cols['序号']}{row}"] = i + 1
        sheet[f"{cols['姓名']}{row}"] = name
        sheet[f"{cols['证件号码']}{row}"] = id_no
        sheet[f"{cols['手机号码']}{row}"] = phone
        sheet[f"{cols['性别']}{row}"] = gender
        sheet[f"{cols['民族']}{row}"] = "汉族"
        sheet[f"{cols['政治面貌']}{row}"] = "群众"
        sheet[f"{cols['学历']}{row}"] = "大学本科"
        sheet[f"{cols['入会时间']}{row}"] = datetime.date(2020, 5, 1)
        sheet[f"{cols['工会名称']}{row}"] = union_name or None
    out = io.BytesIO()
    book.save(out)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:upload"),
            {
                "union": tree["town"].pk,
                "kind": "members",
                "file": SimpleUploadedFile("会员信息采集表.xlsx", out.getvalue()),
            },
        )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.PREVIEW, job.error_message
    assert list(job.problems.values_list("code", "message")) == []
    assert (job.count("rows"), job.count("created")) == (3, 3)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:confirm", args=[job.pk]))
    placed = dict(Member.objects.values_list("name", "union__name"))
    assert placed == {
        "王小明": tree["base"].name,
        "李小红": tree["group"].name,
        "赵大勇": tree["town"].name,
    }
    assert Member.objects.get(name="李小红").education == "21"


def test_filled_in_union_template_creates_unions(
    client, tree, make_user, media_root, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(make_user(tree["county"], User.Role.ADMIN))
    book = download(client, "unions", tree["county"])
    sheet = book.worksheets[0]
    cols = headers(sheet)
    row = FIRST_DATA_ROW
    sheet[f"{cols['工会名称']}{row}"] = "桃源县新材料有限公司工会"
    sheet[f"{cols['工会类型']}{row}"] = "单独基层工会"
    sheet[f"{cols['上级工会']}{row}"] = tree["town"].name
    sheet[f"{cols['单位名称']}{row}"] = "桃源县新材料有限公司"
    sheet[f"{cols['单位性质']}{row}"] = "私营企业"
    out = io.BytesIO()
    book.save(out)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:upload"),
            {
                "union": tree["county"].pk,
                "kind": "unions",
                "file": SimpleUploadedFile("工会组织信息采集表.xlsx", out.getvalue()),
            },
        )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.PREVIEW, job.error_message
    assert list(job.problems.values_list("code", "message")) == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    created = Union.objects.get(name="桃源县新材料有限公司工会")
    assert created.parent == tree["town"] and created.kind == codes.KIND_BASE
