import datetime
import re

from playwright.sync_api import expect

from members.models import Member, TransferRequest
from tests.conftest import PASSWORD
from unions.models import AuditEntry, User


def test_officer_finds_a_member_by_the_last_id_digits(
    page, login, tree, make_user, make_member, transactional_db
):
    wanted = make_member(tree["group"], name="王小明")
    make_member(tree["school"], name="李四")
    make_member(tree["sibling_base"], name="鼎城人")
    make_user(tree["county"], User.Role.VIEWER, username="county_viewer")
    login("county_viewer", PASSWORD)

    page.get_by_role("link", name="会员管理").click()
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("李四")
    expect(table).not_to_contain_text("鼎城人")

    page.get_by_label("姓名 / 证件号码 / 手机号码").fill(wanted.id_number[-6:])
    page.get_by_role("button", name="查找").click()

    expect(table).to_contain_text("王小明")
    expect(table).to_contain_text(wanted.masked_id)
    expect(table).not_to_contain_text("李四")
    expect(page.get_by_test_id("member-total")).to_contain_text("共 1 人")
    assert wanted.id_number[-6:] not in page.url


def test_reveal_shows_the_full_id_once_and_is_audited(
    page, login, tree, make_user, make_member, transactional_db
):
    member = make_member(tree["base"], name="王小明")
    make_user(tree["town"], User.Role.COLLECTOR, username="town_collector")
    login("town_collector", PASSWORD)

    page.goto(f"/members/{member.pk}/")
    expect(page.get_by_test_id("id-number")).to_contain_text(member.masked_id)
    expect(page.get_by_test_id("id-number")).not_to_contain_text(member.id_number)

    page.get_by_role("button", name="显示完整证件号").click()

    expect(page.get_by_test_id("id-number")).to_contain_text(member.id_number)
    expect(page.get_by_test_id("mobile")).to_contain_text(member.masked_mobile)
    expect(page.get_by_test_id("id-number")).to_contain_text("已记入审计日志")
    assert member.id_number not in page.url
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ID_REVEALED)
    assert entry.actor.username == "town_collector"
    assert entry.object_id == str(member.pk)
    assert member.id_number not in entry.object_repr

    # a reload neither asks to resubmit nor writes again; the number is masked again
    page.reload()
    expect(page.get_by_test_id("id-number")).to_contain_text(member.masked_id)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ID_REVEALED).count() == 1

    page.get_by_role("button", name="显示完整手机号").click()
    expect(page.get_by_test_id("mobile")).to_contain_text(member.mobile)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MOBILE_REVEALED).count() == 1


def test_edit_shows_a_chinese_error_then_saves_and_records_history(
    page, login, tree, make_user, make_member, transactional_db
):
    member = make_member(tree["base"], name="王小明", education="31")
    make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    login("collector", PASSWORD)

    page.goto(f"/members/{member.pk}/")
    page.get_by_role("link", name="修改信息").click()
    page.get_by_label("手机号码").fill("1381234")
    page.get_by_label("学历").select_option(label="大学本科")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_test_id("error-mobile")).to_contain_text("手机号码应为11位数字")
    page.get_by_label("手机号码").fill("13987654321")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("alert")).to_contain_text("已保存修改")
    history = page.get_by_test_id("member-history")
    expect(history).to_contain_text("大学专科 → 大学本科")
    expect(history).to_contain_text("139****4321")
    expect(history).to_contain_text("collector")
    member.refresh_from_db()
    assert (member.mobile, member.education) == ("13987654321", "21")


def test_transfer_requested_by_one_union_and_accepted_by_another(
    page, login, tree, make_user, make_member, transactional_db
):
    member = make_member(tree["base"], name="王小明")
    make_user(tree["base"], User.Role.COLLECTOR, username="sender")
    make_user(tree["sibling_base"], User.Role.ADMIN, username="receiver")

    login("sender", PASSWORD)
    page.goto(f"/members/{member.pk}/")
    page.get_by_role("link", name="会籍变动").click()
    page.get_by_label("变动类型").select_option("transfer_out")
    page.get_by_label("转入工会").fill("鼎城医院工会")
    page.get_by_label("原因").fill("工作调动")
    page.get_by_role("button", name="办理").click()

    expect(page.get_by_test_id("transfer-state")).to_have_text("待接收")
    expect(page.get_by_role("alert")).to_contain_text("会员仍在本单位")
    expect(page.get_by_test_id("waiting-for")).to_contain_text("等待“鼎城医院工会”处理")
    member.refresh_from_db()
    assert member.union == tree["base"]

    page.context.clear_cookies()
    login("receiver", PASSWORD)
    page.locator("nav.navbar").get_by_role("link", name="转会申请").click()
    inbox = page.get_by_test_id("to-decide")
    expect(inbox).to_contain_text("王小明")
    expect(inbox).to_contain_text("漳江物流公司工会")
    inbox.get_by_role("link", name="处理").click()
    page.get_by_role("button", name="接收").click()

    expect(page.get_by_test_id("transfer-state")).to_have_text("已接收")
    page.get_by_role("link", name="王小明").click()
    expect(page.get_by_test_id("member-events")).to_contain_text("转出")
    expect(page.get_by_test_id("member-events")).to_contain_text("转入")
    expect(page.get_by_test_id("member-history")).to_contain_text("漳江物流公司工会 → 鼎城医院工会")

    page.context.clear_cookies()
    login("sender", PASSWORD)
    page.locator("nav.navbar").get_by_role("link", name="转会申请").click()
    expect(page.get_by_test_id("done")).to_contain_text("已接收")
    assert TransferRequest.objects.get().state == TransferRequest.State.ACCEPTED


def test_retirement_is_recorded_and_the_member_kept(
    page, login, tree, make_user, make_member, transactional_db
):
    member = make_member(tree["base"], name="王小明")
    make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    login("collector", PASSWORD)

    page.goto(f"/members/{member.pk}/")
    page.get_by_role("link", name="会籍变动").click()
    page.get_by_label("变动类型").select_option("retire")
    expect(page.get_by_label("转入工会")).to_be_hidden()
    page.get_by_label("变动日期").fill(datetime.date.today().isoformat())
    page.get_by_label("原因").fill("到龄退休")
    page.get_by_role("button", name="办理").click()

    expect(page.get_by_test_id("member-status")).to_have_text("已退休")
    expect(page.get_by_test_id("member-events")).to_contain_text("退休")
    expect(page.get_by_test_id("member-events")).to_contain_text("到龄退休")
    expect(page.get_by_test_id("member-history")).to_contain_text("在册 → 已退休")
    member.refresh_from_db()
    assert member.status == Member.Status.RETIRED


def test_half_yearly_checklist_confirms_a_page(
    page, login, tree, make_user, make_member, transactional_db
):
    for name in ("王小明", "李四"):
        make_member(tree["base"], name=name)
    make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    login("collector", PASSWORD)

    page.get_by_role("link", name="数据核查").click()
    page.get_by_role("link", name="半年度核查").click()
    expect(page.get_by_test_id("checklist-members")).to_contain_text("本轮未确认")
    page.get_by_role("button", name="确认本页全部会员").click()

    expect(page.get_by_role("alert")).to_contain_text("已确认 2 名会员")
    expect(page.get_by_test_id("checklist-members")).not_to_contain_text("本轮未确认")
    assert not Member.objects.filter(confirmed_at__isnull=True).exists()


def test_review_page_lists_members_with_warnings(
    page, login, tree, make_user, make_member, transactional_db
):
    from members.synthetic import id_number

    complete = {
        "birth_date": datetime.date(1985, 1, 2),
        "ethnicity": "01",
        "political_status": "13",
        "education": "21",
        "join_date": datetime.date(2019, 6, 25),
        "household_type": "1",
        "employment_status": "01",
        "new_employment_form": False,
        "union_post": "01",
    }
    make_member(tree["base"], name="齐全", **complete)
    make_member(tree["base"], name="缺学历", **{**complete, "education": ""})
    make_member(
        tree["base"],
        name="怪地区",
        id_number=id_number(region="439999", birth=datetime.date(1985, 1, 2), seq=5),
        **complete,
    )
    make_user(tree["town"], User.Role.VIEWER, username="town_viewer")
    login("town_viewer", PASSWORD)

    page.get_by_role("link", name="数据核查").click()

    table = page.get_by_test_id("review-table")
    expect(table).to_contain_text("缺学历")
    expect(table).to_contain_text("未填写：学历")
    expect(table).to_contain_text("地区代码“439999”")
    expect(table).not_to_contain_text("齐全")


def test_adding_a_member_registered_elsewhere_offers_a_claim(
    page, login, tree, make_user, make_member, transactional_db
):
    held = make_member(tree["sibling_base"], name="鼎城人")
    make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    login("collector", PASSWORD)

    page.get_by_role("link", name="会员管理").click()
    page.get_by_role("link", name="登记会员").click()
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("证件号码").fill(held.id_number)
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="保存").click()

    error = page.get_by_test_id("error-id_number")
    expect(error).to_contain_text("已在“鼎城医院工会”登记为会员")
    expect(error).not_to_contain_text("鼎城人")
    page.get_by_role("button", name="申请调入").click()

    expect(page.get_by_role("alert")).to_contain_text("已向“鼎城医院工会”发出调入申请")
    expect(page.get_by_test_id("sent")).to_contain_text("调入申请")
    expect(page.get_by_test_id("sent")).to_contain_text("王小明")  # the name it supplied
    expect(page.get_by_test_id("sent")).not_to_contain_text("鼎城人")
    transfer = TransferRequest.objects.get()
    assert (transfer.from_union, transfer.to_union) == (tree["sibling_base"], tree["base"])
    assert Member.objects.count() == 1


def test_officer_picks_a_union_from_suggestions_and_exports_the_list(
    page, login, tree, make_user, make_member, transactional_db, tmp_path
):
    from openpyxl import load_workbook

    make_member(tree["school"], name="李老师")
    make_member(tree["base"], name="王司机")
    make_user(tree["county"], User.Role.ADMIN, username="county_officer")
    login("county_officer", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/members/")

    page.get_by_label("工会", exact=True).fill("一中")
    page.get_by_role("option", name=tree["school"].name).click()
    page.get_by_role("button", name="查找").click()

    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("李老师")
    expect(table).not_to_contain_text("王司机")
    expect(page.get_by_label("工会", exact=True)).to_have_value(tree["school"].name)

    page.get_by_test_id("export-form").get_by_role("button", name="导出当前结果").click()
    expect(page.get_by_test_id("export-ready")).to_contain_text("已导出 1 名会员")
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "list.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert [dict(zip(rows[0], r, strict=False))["姓名"] for r in rows[1:]] == ["李老师"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT_DOWNLOADED).count() == 1


def test_a_name_typed_before_the_picker_script_arrives_still_gets_suggestions(
    page, login, tree, make_user, transactional_db
):
    # On a slow phone the page shows (and takes keystrokes) before the picker's script has
    # loaded; what was typed then must still bring up the suggestions.
    make_user(tree["county"], User.Role.ADMIN, username="county_officer")
    login("county_officer", PASSWORD)
    held = []
    page.route(re.compile(r"/js/union-suggest[.\w]*\.js$"), lambda route: held.append(route))
    page.goto("/members/", wait_until="commit")
    field = page.get_by_label("工会", exact=True)
    field.fill("一中")
    expect(page.get_by_role("option", name=tree["school"].name)).to_have_count(0)
    assert held, "the page asked for the picker script"
    held[0].continue_()
    page.get_by_role("option", name=tree["school"].name).click()
    expect(field).to_have_value(tree["school"].name)
