"""名单比对 in the browser, on a phone-sized screen: upload a list, see the four groups,
confirm one membership event."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from members.models import Member, MembershipEvent
from tests.conftest import PASSWORD
from tests.imports.sheets import person_id
from unions.models import User

pytestmark = pytest.mark.usefixtures("transactional_db", "media_root", "celery_eager")


@pytest.fixture
def collector(tree, make_user):
    return make_user(tree["base"], User.Role.COLLECTOR, username="collector")


def test_upload_a_list_see_four_groups_confirm_one_event(
    page, login, collector, tree, make_member, tmp_path
):
    page.set_viewport_size({"width": 390, "height": 844})
    base = tree["base"]
    make_member(base, name="王一", id_number=person_id(1), mobile="13900000001")
    make_member(base, name="王二", id_number=person_id(2), mobile="13900000002")
    gone = make_member(base, name="王三", id_number=person_id(3))
    stays = make_member(base, name="王四", id_number=person_id(4))
    make_member(tree["sibling_base"], name="李五", id_number=person_id(5))
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "职工姓名", "公民身份号码", "联系电话"])
    sheet.append([1, "王一", person_id(1), "13900000001"])
    sheet.append([2, "王贰", person_id(2), "13900000002"])
    sheet.append([3, "赵六", person_id(6), "13900000006"])
    sheet.append([4, "李五", person_id(5), ""])
    path = tmp_path / "工资表.xlsx"
    book.save(path)
    login("collector", PASSWORD)

    page.goto("/collect/reconcile/")
    page.get_by_label("名单文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并比对").click()

    expect(page.get_by_test_id("job-state")).to_have_text("比对完成")
    expect(page.get_by_test_id("reconcile-summary")).to_contain_text("名单共 4 人")
    expect(page.get_by_test_id("group-missing")).to_contain_text("1")
    expect(page.get_by_test_id("group-absent")).to_contain_text("2")
    expect(page.get_by_test_id("group-mismatched")).to_contain_text("1")
    expect(page.get_by_test_id("group-elsewhere")).to_contain_text("1")
    expect(page.get_by_test_id("group-table")).to_contain_text("赵六")

    page.get_by_test_id("group-absent").click()
    table = page.get_by_test_id("group-table")
    expect(table).to_contain_text("王三")
    page.get_by_label("选择 王三").check()
    page.get_by_test_id("event-kind").select_option(label="离职")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("act-event").click()

    expect(page.locator(".alert-success")).to_contain_text("已为 1 人办理会籍变动")
    expect(page.locator("tr", has_text="王三")).to_contain_text("已办理会籍变动")
    gone.refresh_from_db()
    stays.refresh_from_db()
    assert gone.status == Member.Status.LEFT
    assert stays.status == Member.Status.ACTIVE
    assert MembershipEvent.objects.filter(member=gone, kind=MembershipEvent.Kind.LEAVE).exists()
