"""Issue 11 in the browser, on a phone-sized screen: a sheet as people build it is read
whole and the preview says how; an export uploaded again changes nothing; a file with
no good row cannot be confirmed."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from members.models import Member
from tests.conftest import PASSWORD
from tests.imports.sheets import mobile, person_id
from unions.models import User

pytestmark = pytest.mark.usefixtures("transactional_db", "media_root", "celery_eager")


@pytest.fixture
def collector(tree, make_user):
    return make_user(tree["base"], User.Role.COLLECTOR, username="collector")


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def upload(page, path):
    page.goto("/collect/upload/")
    page.get_by_label("选择文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并核对").click()


def test_a_sheet_as_people_build_it_is_read_whole(phone, login, collector, tree, tmp_path):
    page = phone
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["会员基本信息", None, None, None, "工会职务", "入会时间"])
    sheet.append(["序号", "姓名", "性别", "身份证号码", None, None, "手机号码"])
    sheet.append(["示例", "张三", "男", person_id(90), "会员", "2019-01-01", mobile(90)])
    sheet.append(
        [
            1,
            "李　娜",
            2,
            "'" + person_id(1, male=False),
            "经费审查委员会主任",
            "2020年4月",
            mobile(1),
        ]
    )
    sheet.append([2, "王伟", 1, person_id(3), "主席", "2014.02", "\u200b" + mobile(3)])
    sheet.append([None, "经办人：赵六", None, None, "联系电话：0736-6622447"])
    for cells in ("A1:D1", "E1:E2", "F1:F2"):
        sheet.merge_cells(cells)
    committee = book.create_sheet("工会委员会")
    committee.append(["姓名", "职务"])
    committee.append(["王伟", "工会主席"])
    path = tmp_path / "花名册.xlsx"
    book.save(path)
    login("collector", PASSWORD)

    upload(page, path)

    expect(page.get_by_test_id("job-state")).to_have_text("待确认")
    expect(page.get_by_test_id("count-created")).to_have_text("2")
    expect(page.get_by_test_id("count-invalid")).to_have_text("0")
    expect(page.get_by_test_id("notices")).to_contain_text("工会委员会")
    expect(page.get_by_test_id("notices")).to_contain_text("填表示例行")
    reading = page.get_by_test_id("reading")
    reading.locator("summary").click()
    expect(reading).to_contain_text("表头在第 1、2 行")
    expect(reading.locator("tr", has_text="入会时间")).to_contain_text("入会时间")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_test_id("job-state")).to_have_text("已导入")
    li = Member.objects.with_id(person_id(1, male=False)).get()
    assert (li.name, li.gender, li.union_post, str(li.join_date)) == (
        "李娜",
        "2",
        "06",
        "2020-04-01",
    )
    assert Member.objects.count() == 2


def test_an_export_uploaded_again_changes_nothing(
    phone, login, collector, tree, make_member, tmp_path
):
    page = phone
    make_member(tree["group"], name="王小明", extra={"籍贯": "湖南桃源"})
    make_member(tree["base"], name="李小红")
    login("collector", PASSWORD)
    page.goto("/collect/export/")
    page.get_by_role("button", name="导出 Excel").click()
    # The export runs in the background; its page shows the bar, then the link.
    expect(page.get_by_test_id("export-ready")).to_contain_text("已导出 2 名会员")
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "会员名册.xlsx"
    info.value.save_as(path)

    upload(page, path)

    expect(page.get_by_test_id("job-state")).to_have_text("待确认")
    expect(page.get_by_test_id("count-unchanged")).to_have_text("2")
    expect(page.get_by_test_id("count-updated")).to_have_text("0")
    expect(page.get_by_test_id("count-invalid")).to_have_text("0")
    expect(page.get_by_test_id("no-changes")).to_be_visible()


def test_a_file_with_no_good_row_is_red_without_a_confirm_button(
    phone, login, collector, tree, tmp_path
):
    page = phone
    book = Workbook()
    book.active.append(["姓名", "身份证号码", "手机号码"])
    book.active.append(["张三", "430725", mobile(1)])
    book.active.append(["李四", "12345", "123"])
    path = tmp_path / "错表.xlsx"
    book.save(path)
    login("collector", PASSWORD)

    upload(page, path)

    expect(page.get_by_test_id("all-invalid")).to_be_visible()
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    expect(page.get_by_test_id("no-changes")).to_have_count(0)
