"""A collector goes from an empty union to a clean roster using only the browser.

The live server runs the real import task eagerly (`celery_eager`), except in the
progress test, where the test itself plays the worker while the page polls."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from imports.models import ImportJob
from imports.tasks import process_import_job
from imports.xlsx_templates import CODE_SHEET, FIRST_DATA_ROW
from members.models import Member
from registry import codes
from tests.conftest import PASSWORD
from tests.e2e.conftest import pick_union
from tests.imports.sheets import mobile, person_id
from unions.models import User

pytestmark = pytest.mark.usefixtures("transactional_db", "media_root")


@pytest.fixture
def collector(tree, make_user):
    return make_user(tree["base"], User.Role.COLLECTOR, username="collector")


def roster(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "会员信息"
    sheet.append(["序号", "姓名", "证件号码", "性别", "手机号码", "民族"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def upload(page, path):
    page.goto("/collect/upload/")
    page.get_by_label("选择文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并核对").click()


def test_collector_downloads_a_template_with_dropdowns(page, login, collector, tree, tmp_path):
    login("collector", PASSWORD)
    page.get_by_text("信息采集", exact=True).click()
    page.get_by_role("link", name="下载采集模板").click()
    expect(page.get_by_role("heading", name="下载采集模板")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_test_id("download-members").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)

    assert tree["base"].name in path.name
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header = {c.value: c.column_letter for c in sheet[FIRST_DATA_ROW - 1] if c.value}
    lists = {}
    for dv in sheet.data_validations.dataValidation:
        letter = re.match(r"[A-Z]+", str(dv.sqref)).group()
        lists[letter] = dv.formula1
    assert lists[header["性别"]] == '"男,女"'
    ethnic = lists[header["民族"]].split("!")[1].replace("$", "")
    values = [c.value for row in book[CODE_SHEET][ethnic] for c in row]
    assert values == codes.ETHNICITY.names
    assert sheet.column_dimensions[header["证件号码"]].number_format == "@"


def test_progress_bar_follows_a_running_job_to_the_preview(page, login, collector, tree):
    book = Workbook()
    book.active.append(["姓名", "证件号码", "手机号码"])
    for n in range(1, 6):
        book.active.append(["张三", person_id(n), mobile(n)])
    data = io.BytesIO()
    book.save(data)
    job = ImportJob(
        kind=ImportJob.Kind.MEMBERS,
        union=tree["base"],
        uploader=collector,
        original_filename="五人名单.xlsx",
        sha256="1" * 64,
    )
    job.file.save("roster.xlsx", ContentFile(data.getvalue()), save=False)
    job.save()

    login("collector", PASSWORD)
    page.goto("/collect/")
    expect(page.get_by_test_id("running-jobs")).to_contain_text("五人名单.xlsx")
    page.goto(f"/collect/jobs/{job.pk}/")
    progress = page.get_by_test_id("progress")
    expect(progress).to_contain_text("排队等待核对")
    page.reload()  # the state lives on the server: a reload shows the same job
    expect(progress).to_be_visible()

    process_import_job.apply(args=[job.pk], task_id="test-worker")  # the worker's turn

    expect(page.get_by_test_id("job-state")).to_have_text("待确认")
    expect(page.get_by_test_id("count-created")).to_have_text("5")
    expect(page.get_by_test_id("progress")).to_have_count(0)


def test_from_a_sheet_with_problems_to_a_clean_roster(
    page, login, collector, tree, tmp_path, celery_eager
):
    bad_id = person_id(4)[:-1] + ("0" if person_id(4)[-1] != "0" else "1")
    rows = [[n, "张三", person_id(n), "男", mobile(n), "汉族"] for n in (1, 2, 3)]
    rows.append([4, "李四", bad_id, "男", mobile(4), "汉族"])
    first = roster(tmp_path / "一车间花名册.xlsx", rows)
    login("collector", PASSWORD)

    upload(page, first)

    expect(page.get_by_test_id("job-state")).to_have_text("待确认")
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_test_id("count-invalid")).to_have_text("1")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("证件号码")
    expect(problems).to_contain_text(bad_id)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载错误报告").click()
    report = tmp_path / "错误报告.xlsx"
    info.value.save_as(report)
    book = load_workbook(report)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[-1] == "错误说明"
    id_col = header.index("证件号码") + 1
    assert sheet.cell(row=2, column=id_col).value == bad_id
    assert "校验" in sheet.cell(row=2, column=len(header)).value

    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_test_id("job-state")).to_have_text("已导入")
    assert Member.objects.filter(union=tree["base"]).count() == 3

    # Fix the one bad cell in the report and upload the report itself.
    sheet.cell(row=2, column=id_col).value = person_id(4)
    book.save(report)
    upload(page, report)
    expect(page.get_by_test_id("count-created")).to_have_text("1")
    expect(page.get_by_test_id("count-invalid")).to_have_text("0")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_test_id("done")).to_contain_text("新增 1 人")

    page.goto("/")
    expect(page.get_by_test_id("total-members")).to_have_text("4")

    # The same file again: recognised, and nothing to change.
    upload(page, report)
    expect(page.get_by_test_id("same-file")).to_be_visible()
    expect(page.get_by_test_id("no-changes")).to_be_visible()
    expect(page.get_by_test_id("count-unchanged")).to_have_text("1")
    assert Member.objects.count() == 4

    page.goto("/collect/")
    history = page.get_by_test_id("job-history")
    expect(history.locator("tr", has_text="已导入")).to_have_count(2)
    expect(history.locator("tr", has_text="待确认")).to_have_count(1)


def test_collector_exports_the_roster_of_a_sub_union(
    page, login, collector, tree, make_member, tmp_path
):
    from unions.models import AuditEntry

    make_member(tree["group"], name="王小明")
    make_member(tree["base"], name="李小红")
    login("collector", PASSWORD)
    page.get_by_text("信息采集", exact=True).click()
    page.get_by_role("link", name="导出会员名册").click()
    pick_union(page, "工会", tree["group"].name[:3], tree["group"].name)

    page.get_by_role("button", name="导出 Excel").click()
    # The export runs in the background; its page shows the bar, then the link.
    expect(page.get_by_test_id("export-ready")).to_contain_text("已导出 1 名会员")
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "export.xlsx"
    info.value.save_as(path)

    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    names = [dict(zip(rows[0], row, strict=False))["姓名"] for row in rows[1:]]
    assert names == ["王小明"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, union=tree["group"]).exists()


def test_viewer_finds_history_but_no_upload(page, login, tree, make_user):
    make_user(tree["county"], User.Role.VIEWER, username="county_viewer")
    login("county_viewer", PASSWORD)
    page.get_by_text("信息采集", exact=True).click()
    menu = page.get_by_test_id("nav-collect")
    expect(menu.get_by_role("link", name="导入记录")).to_be_visible()
    expect(menu.get_by_role("link", name="上传表格")).to_have_count(0)
    menu.get_by_role("link", name="导入记录").click()
    expect(page.get_by_test_id("no-jobs")).to_be_visible()
    expect(page.get_by_role("link", name="上传表格")).to_have_count(0)
