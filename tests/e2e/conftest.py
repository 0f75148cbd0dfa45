"""Browser tests: Playwright driving Debian's chromium against the live test server.

Skipped only when no chromium is installed and CI is unset; in CI a missing
browser is a failure, not a skip.
"""

import os
import shutil
import time

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make there between browser steps are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Anything the Content-Security-Policy blocks (an inline script or handler left in a
    # template, a resource from elsewhere) is reported on the console: fail on it.
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, refused


def totp_code(key: bytes, *, after_step: int = -1) -> tuple[str, int]:
    """A code an authenticator app would show for `key` now, for a time step after
    `after_step` (a code is accepted once; the device allows one step of drift, so the
    next step's code is taken rather than waiting). Returns (code, step)."""
    from django_otp.oath import hotp

    now = int(time.time() // 30)
    step = max(now, after_step + 1)
    while step > int(time.time() // 30) + 1:
        time.sleep(1)
    return f"{hotp(key, step, digits=6):06d}", step


def pass_second_factor(page, username) -> None:
    """Whatever the login led to: the code page (from the account's device) or the
    enrolment page (scan = read the secret, type the code, keep the recovery codes)."""
    from base64 import b32decode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    if "/mfa/verify/" in page.url:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        code, _ = totp_code(device.bin_key, after_step=device.last_t)
        page.get_by_label("验证码").fill(code)
        page.get_by_role("button", name="验证").click()
        page.wait_for_load_state()
    elif "/mfa/setup/" in page.url:
        secret = page.get_by_test_id("mfa-secret").inner_text()
        code, _ = totp_code(b32decode(secret))
        page.get_by_label("验证码").fill(code)
        page.get_by_role("button", name="启用").click()
        page.get_by_test_id("mfa-continue").click()
        page.wait_for_load_state()


@pytest.fixture
def login(page):
    """Log in through the form as a person would. `onboarded` (the default): the account
    has signed the confidentiality pledge, and a second factor asked for after the
    password is passed (enrolled on the spot when the account has none)."""

    def do_login(username, password, *, onboarded=True):
        from tests.conftest import sign_pledge
        from unions.models import User

        account = User.objects.filter(username=username).first()
        if onboarded and account is not None:
            sign_pledge(account)
        page.goto("/login/")
        page.get_by_label("账号").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        if onboarded:
            pass_second_factor(page, username)

    return do_login


def pick_union(page, label: str, typed: str, name: str) -> None:
    """Choose a union with the union picker: type part of the name, click the suggestion.
    Typed once the page has loaded, as a person does (typing before the picker's script
    arrives is tested on its own: test_members.py)."""
    page.wait_for_load_state()
    page.get_by_label(label).first.fill(typed)
    page.get_by_role("option", name=name).first.click()
