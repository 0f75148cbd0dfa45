"""Issue 11 in the browser: the union named above the table is confirmed in the preview,
and a stale row's choice (keep the registry / take the file) reaches the commit."""

import datetime

import pytest
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from imports.models import ImportJob
from members.models import Member
from tests.conftest import PASSWORD
from tests.imports.sheets import mobile, person_id
from unions.models import User

pytestmark = pytest.mark.usefixtures("transactional_db", "media_root", "celery_eager")


@pytest.fixture
def collector(tree, make_user):
    return make_user(tree["base"], User.Role.COLLECTOR, username="collector")


def upload(page, path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/collect/upload/")
    page.get_by_label("选择文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并核对").click()


def test_the_union_line_above_the_table_is_confirmed_in_the_preview(
    page, login, collector, tree, tmp_path
):
    book = Workbook()
    book.active.append(["会员信息采集表"])
    book.active.append([f"工会名称：{tree['group'].name}　编码：{tree['group'].code}"])
    book.active.append(["姓名", "证件号码", "手机号码"])
    book.active.append(["王小明", person_id(1), mobile(1)])
    path = tmp_path / "一车间.xlsx"
    book.save(path)
    login("collector", PASSWORD)

    upload(page, path)

    expect(page.get_by_test_id("sheet-union")).to_contain_text(
        f"表头上方写明工会：{tree['group'].name}，未指定工会的行将登记在此工会"
    )
    expect(page.get_by_test_id("sheet-union")).to_contain_text("漳江物流公司工会 / 一车间工会小组")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_test_id("job-state")).to_have_text("已导入")
    assert Member.objects.get().union_id == tree["group"].pk


def test_a_stale_row_takes_the_file_only_where_chosen(
    page, login, collector, tree, make_member, tmp_path
):
    zhang = make_member(tree["base"], name="张伟", mobile="13600000001")
    li = make_member(tree["base"], name="李娜", mobile="13600000002")
    earlier = timezone.now() - datetime.timedelta(hours=1)
    ImportJob.objects.create(
        kind="members",
        union=tree["base"],
        original_filename="earlier.csv",
        sha256="0" * 64,
        state=ImportJob.State.DONE,
        finished_at=earlier,
        created_at=earlier,
    )
    path = tmp_path / "花名册.csv"
    path.write_text(
        "姓名,身份证号码,手机号码\n"
        f"张伟,{zhang.id_number},13911110001\n"
        f"李娜,{li.id_number},13911110002\n",
        encoding="utf-8",
    )
    login("collector", PASSWORD)

    upload(page, path)

    expect(page.get_by_test_id("newer")).to_have_count(2)
    page.get_by_test_id("newer-choice-3").get_by_label("用表中的值").check()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_test_id("job-state")).to_have_text("已导入")
    assert dict(Member.objects.values_list("name", "mobile")) == {
        "张伟": "13600000001",
        "李娜": "13911110002",
    }


def test_union_and_target_exports_read_back_unchanged(page, login, tree, county_admin, tmp_path):
    from progress.models import Campaign, Target

    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="测试行动",
        starts_on=today - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=50),
        is_current=True,
    )
    Target.objects.create(campaign=campaign, union=tree["town"], members=600, organisations=4)
    Target.objects.create(campaign=campaign, union=tree["school"], members=700)
    page.set_viewport_size({"width": 390, "height": 844})
    login("county_admin", PASSWORD)

    page.goto("/collect/export/")
    with page.expect_download() as info:
        page.get_by_role("button", name="导出工会组织信息").click()
    unions = tmp_path / "工会组织信息.xlsx"
    info.value.save_as(unions)
    page.goto("/collect/upload/")
    page.get_by_label("表格类型").select_option(label="工会组织信息")
    page.get_by_label("选择文件").set_input_files(str(unions))
    page.get_by_role("button", name="上传并核对").click()
    expect(page.get_by_test_id("job-state")).to_have_text("待确认")
    expect(page.get_by_test_id("count-unchanged")).to_have_text("5")
    expect(page.get_by_test_id("count-updated")).to_have_text("0")
    expect(page.get_by_test_id("count-invalid")).to_have_text("0")

    page.goto(f"/progress/{tree['county'].pk}/targets/?campaign={campaign.pk}")
    with page.expect_download() as info:
        page.get_by_test_id("targets-export").click()
    targets = tmp_path / "目标.xlsx"
    info.value.save_as(targets)
    page.get_by_label("目标任务表").set_input_files(str(targets))
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("新增 0 个、更新 0 个目标，2 个未变")
    expect(page.get_by_test_id("import-report").locator(".alert")).to_have_count(0)
