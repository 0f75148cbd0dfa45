"""Self-service in the browser, on a 390 px wide phone screen: apply → verify → review →
approve → member in the list; self-check → confirm → card → an officer scans it;
correction request → approved."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from members.models import Member
from members.synthetic import id_number
from selfservice import services, sms
from tests.conftest import PASSWORD
from unions.models import User

PHONE_SCREEN = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "selfservice.sms.backends.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def phone_page(browser, live_server):
    """A fresh browser at phone width; call it once per person."""
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport=PHONE_SCREEN
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, username):
    """An onboarded officer: the pledge signed, a second factor passed when asked."""
    from tests.conftest import sign_pledge
    from tests.e2e.conftest import pass_second_factor
    from unions.models import User

    sign_pledge(User.objects.get(username=username))
    page.goto("/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    pass_second_factor(page, username)


def code_for(phone):
    text = [t for to, t in sms.outbox if to == phone][-1]
    return re.search(r"验证码是(\d{6})", text).group(1)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_apply_verify_review_approve_member_in_list(phone_page, tree, make_user, transactional_db):
    make_user(tree["school"], User.Role.COLLECTOR, username="school_collector")
    officer = phone_page()
    log_in(officer, "school_collector")
    officer.goto("/selfservice/links/")
    officer.get_by_test_id("link-list").get_by_role("link", name="申请链接和海报").first.click()
    expect(officer.get_by_test_id("poster")).to_contain_text("桃源一中工会")
    expect(officer.get_by_test_id("poster-qr").locator("svg")).to_be_visible()
    assert fits_the_screen(officer)
    join_url = officer.get_by_test_id("join-url").inner_text().strip()

    applicant = phone_page()
    applicant.goto(join_url)
    expect(applicant.get_by_test_id("join-union")).to_have_text("桃源一中工会")
    expect(applicant.get_by_test_id("statement")).to_contain_text("我自愿加入中华全国总工会")
    expect(applicant.get_by_test_id("privacy")).to_contain_text("目的")
    number = id_number(birth=datetime.date(1993, 6, 1), seq=51, male=False)
    applicant.get_by_role("textbox", name="姓名 *", exact=True).fill("李小红")
    applicant.get_by_label("证件号码").fill(number)
    applicant.get_by_label("手机号码").fill("1391234")
    applicant.get_by_label("工作单位").fill("桃源县第一中学")
    applicant.get_by_label("我已阅读并同意《中华全国总工会入会申请书》").check()
    applicant.get_by_label("我同意工会按上述告知处理我的个人信息").check()
    applicant.get_by_label("申请人签名（请输入本人姓名）").fill("李小红")
    applicant.get_by_role("button", name="获取验证码并提交").click()
    expect(applicant.get_by_test_id("error-mobile")).to_contain_text("手机号码应为11位数字")
    assert fits_the_screen(applicant)

    applicant.get_by_label("手机号码").fill("13912345678")
    applicant.get_by_label("我已阅读并同意《中华全国总工会入会申请书》").check()
    applicant.get_by_label("我同意工会按上述告知处理我的个人信息").check()
    applicant.get_by_role("button", name="获取验证码并提交").click()
    expect(applicant.get_by_test_id("code-sent")).to_contain_text("139****5678")
    applicant.get_by_label("短信验证码").fill(code_for("13912345678"))
    applicant.get_by_role("button", name="验证", exact=True).click()
    expect(applicant.get_by_role("alert")).to_contain_text("申请已提交")
    expect(applicant.get_by_test_id("application-state")).to_have_text("待审核")
    assert number not in applicant.url

    officer.goto("/selfservice/applications/")
    pending = officer.get_by_test_id("pending-applications")
    expect(pending).to_contain_text("李小红")
    expect(pending).not_to_contain_text(number)
    pending.get_by_role("link", name="审核").click()
    officer.get_by_role("button", name="批准入会").click()
    expect(officer.get_by_role("alert")).to_contain_text("已批准，李小红已登记为会员")

    officer.goto("/members/")
    expect(officer.get_by_test_id("member-table")).to_contain_text("李小红")
    assert Member.objects.with_id(number).get().union == tree["school"]

    applicant.reload()
    expect(applicant.get_by_test_id("application-state")).to_have_text("已批准入会")


def test_self_check_confirm_card_and_officer_scan(
    phone_page, tree, make_member, make_user, transactional_db
):
    member = make_member(tree["base"], name="王登记", mobile="13912345678")
    make_user(tree["sibling"], User.Role.VIEWER, username="far_viewer")

    me = phone_page()
    me.goto("/me/")
    me.get_by_label("证件号码").fill(member.id_number)
    me.get_by_label("手机号码").fill("13912345678")
    me.get_by_role("button", name="获取验证码").click()
    expect(me.get_by_test_id("code-sent")).to_be_visible()
    expect(me.locator("body")).not_to_contain_text("王登记")
    me.get_by_label("短信验证码").fill(code_for("13912345678"))
    me.get_by_role("button", name="验证", exact=True).click()

    record = me.get_by_test_id("my-record")
    expect(record).to_contain_text("王登记")
    expect(record).to_contain_text("漳江物流公司工会")
    expect(me.get_by_test_id("my-id")).to_have_text(member.masked_id)
    assert fits_the_screen(me)
    me.get_by_role("button", name="信息无误，确认").click()

    card = me.get_by_test_id("member-card")
    expect(card).to_contain_text("王登记")
    expect(me.get_by_test_id("card-status")).to_have_text("会籍有效")
    expect(me.get_by_test_id("card-qr").locator("svg")).to_be_visible()
    expect(card).not_to_contain_text(member.id_number)
    assert fits_the_screen(me)
    member.refresh_from_db()
    assert member.confirmed_at is not None

    officer = phone_page()
    log_in(officer, "far_viewer")
    officer.goto(f"/card/check/{services.card_token(member)}/")
    expect(officer.get_by_test_id("scan-result")).to_have_text("有效：在册会员")
    expect(officer.get_by_test_id("scan-member")).to_contain_text("王登记")
    # no part of the ID: its last four digits may appear only inside the card number
    shown = officer.locator("main").inner_text()
    card_number = officer.get_by_test_id("scan-member").locator("dd").last.inner_text()
    assert member.id_number[-4:] not in shown.replace(card_number, "")


def test_correction_request_is_approved_by_the_union(
    phone_page, tree, make_member, make_user, transactional_db
):
    member = make_member(tree["base"], name="王登记", mobile="13912345678", education="31")
    make_user(tree["base"], User.Role.COLLECTOR, username="base_collector")

    me = phone_page()
    me.goto("/me/")
    me.get_by_label("证件号码").fill(member.id_number)
    me.get_by_label("手机号码").fill("13912345678")
    me.get_by_role("button", name="获取验证码").click()
    me.get_by_label("短信验证码").fill(code_for("13912345678"))
    me.get_by_role("button", name="验证", exact=True).click()
    me.get_by_role("link", name="信息有误，申请更正").click()
    me.get_by_label("学历").select_option(label="大学本科")
    me.get_by_label("手机号码").fill("13800001111")
    me.get_by_role("button", name="提交更正申请").click()
    expect(me.get_by_test_id("correction-sent")).to_contain_text("漳江物流公司工会")

    officer = phone_page()
    log_in(officer, "base_collector")
    officer.goto("/selfservice/applications/")
    officer.get_by_test_id("pending-corrections").get_by_role("link", name="处理").click()
    changes = officer.get_by_test_id("correction-changes")
    expect(changes).to_contain_text("大学专科")
    expect(changes).to_contain_text("大学本科")
    expect(changes).to_contain_text("139****5678")
    expect(changes).to_contain_text("138****1111")
    officer.get_by_role("button", name="同意更正").click()
    expect(officer.get_by_role("alert")).to_contain_text("更正申请已处理")

    officer.goto(f"/members/{member.pk}/")
    expect(officer.get_by_test_id("member-history")).to_contain_text("大学专科 → 大学本科")
    member.refresh_from_db()
    assert (member.mobile, member.education) == ("13800001111", "21")
