"""Two-factor authentication in the browser: enrol right after the first login, log out,
log in again with a code computed here (as the phone would), and the recovery code."""

from base64 import b32decode

from playwright.sync_api import expect

from tests.conftest import PASSWORD, sign_pledge
from tests.e2e.conftest import totp_code
from unions.models import AuditEntry, User


def test_an_admin_enrols_logs_out_and_logs_in_with_a_code(
    page, login, tree, make_user, transactional_db
):
    admin = make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    sign_pledge(admin)

    login("county_admin", PASSWORD, onboarded=False)
    expect(page).to_have_url("/mfa/setup/?next=%2F")
    expect(page.get_by_test_id("mfa-required")).to_be_visible()
    expect(page.get_by_test_id("mfa-qr").locator("svg")).to_be_visible()  # drawn locally
    secret = b32decode(page.get_by_test_id("mfa-secret").inner_text())

    code, step = totp_code(secret)
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="启用").click()
    expect(page.get_by_test_id("mfa-codes").locator("li")).to_have_count(10)
    recovery = page.get_by_test_id("mfa-codes").locator("li").first.inner_text()
    page.get_by_test_id("mfa-continue").click()
    expect(page.get_by_test_id("root-union")).to_have_text("桃源县总工会")

    page.get_by_role("button", name="退出").click()
    login("county_admin", PASSWORD, onboarded=False)
    expect(page).to_have_url("/mfa/verify/?next=%2F")
    page.get_by_label("验证码").fill(code)  # the code already used: refused
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_test_id("mfa-error")).to_contain_text("已使用过")

    fresh, _ = totp_code(secret, after_step=step)
    page.wait_for_timeout(1100)  # django-otp waits a second after a wrong code
    page.get_by_label("验证码").fill(fresh)
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_test_id("root-union")).to_have_text("桃源县总工会")
    page.goto("/accounts/")
    expect(page.get_by_test_id("accounts")).to_be_visible()

    # the phone is lost: a recovery code works once
    page.get_by_role("button", name="退出").click()
    login("county_admin", PASSWORD, onboarded=False)
    page.get_by_label("验证码").fill(recovery)
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_test_id("root-union")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    login("county_admin", PASSWORD, onboarded=False)
    page.get_by_label("验证码").fill(recovery)
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_test_id("mfa-error")).to_be_visible()

    assert AuditEntry.objects.filter(action=AuditEntry.Action.MFA_ENROLLED).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MFA_VERIFIED).count() == 2
