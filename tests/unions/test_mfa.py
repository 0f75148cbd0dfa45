"""Two-factor authentication (unions/mfa.py): who must, enrolment, codes, recovery codes,
the superior's reset. The browser journey is tests/e2e/test_mfa.py."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from unions import mfa
from unions.models import AuditEntry, User


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The device's current TOTP code (`steps_ahead` steps later), as a phone shows it."""
    device.refresh_from_db()
    t = int((time.time() - device.t0) // device.step) + device.drift + steps_ahead
    return f"{hotp(device.bin_key, t, digits=device.digits):06d}"


def log_in(username, ip="10.1.1.1"):
    browser = Client()
    response = browser.post(
        reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip
    )
    assert response.status_code == 302
    return browser


@pytest.mark.parametrize(
    ("position", "role", "required"),
    [
        ("city", User.Role.ADMIN, True),
        ("county", User.Role.ADMIN, True),
        ("town", User.Role.ADMIN, False),  # 工会联合会: below county level
        ("base", User.Role.ADMIN, False),
        ("county", User.Role.COLLECTOR, False),
        ("county", User.Role.VIEWER, False),
    ],
)
def test_who_must_use_a_second_factor(tree, make_user, position, role, required):
    assert mfa.required_for(make_user(tree[position], role)) is required


def test_platform_operators_must_and_the_setting_decides(tree, make_user, settings):
    ops = User.objects.create_superuser("ops", password=PASSWORD, must_change_password=False)
    collector = make_user(tree["base"], User.Role.COLLECTOR)
    assert mfa.required_for(ops)
    assert not mfa.required_for(collector)

    settings.MFA_REQUIRED_ROLES = ["collector@all"]
    assert mfa.required_for(collector) and not mfa.required_for(ops)


def test_a_wrong_setting_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        mfa.parse_rules(["boss@county"])


def test_an_admin_who_must_enrols_right_after_login(tree, make_user):
    make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    browser = log_in("county_admin")

    response = browser.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("unions:mfa_setup"))
    for url in (reverse("members:list"), reverse("unions:account_list"), "/ops/"):
        assert browser.get(url)["Location"].startswith(reverse("unions:mfa_setup")), url

    page = browser.get(reverse("unions:mfa_setup")).content.decode()
    assert "<svg" in page and 'data-testid="mfa-qr"' in page  # the QR code, drawn here
    assert "<script" not in page.split('data-testid="mfa-qr"')[1].split("</div>")[0]
    device = TOTPDevice.objects.get(user__username="county_admin", confirmed=False)

    wrong = browser.post(reverse("unions:mfa_setup"), {"code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    time.sleep(1.1)  # django-otp throttles: one second after one wrong code
    done = browser.post(reverse("unions:mfa_setup"), {"code": code_for(device)})
    assert done.status_code == 302

    codes_page = browser.get(done["Location"]).content.decode()
    codes = codes_page.split('data-testid="mfa-codes">')[1].split("</ol>")[0]
    assert codes.count("<li") == 10
    assert browser.get(reverse("home")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MFA_ENROLLED).count() == 1
    # the codes are shown once
    assert (
        'data-testid="mfa-codes"' not in browser.get(reverse("unions:mfa_codes")).content.decode()
    )


def test_after_enrolment_login_asks_for_the_code(tree, make_user):
    admin = make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    browser = log_in("county_admin")

    assert browser.get(reverse("home"))["Location"].startswith(reverse("unions:mfa_verify"))
    refused = browser.post(reverse("unions:mfa_verify"), {"code": "123456"})
    assert refused.status_code == 200 and "不正确" in refused.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MFA_FAILED).count() == 1

    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    passed = browser.post(
        reverse("unions:mfa_verify") + "?next=/unions/", {"code": code_for(device)}
    )
    assert passed.status_code == 302 and passed["Location"] == "/unions/"
    assert browser.get(reverse("home")).status_code == 200


def test_the_same_totp_code_is_not_accepted_twice(tree, make_user):
    admin = make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    code = code_for(device)
    assert mfa.verify(admin, code) is not None
    assert mfa.verify(admin, code) is None


def test_a_recovery_code_works_once(tree, make_user):
    admin = make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    codes = mfa.new_recovery_codes(admin)
    assert len(codes) == len(set(codes)) == 10

    first = log_in("county_admin")
    response = first.post(reverse("unions:mfa_verify"), {"code": codes[0]})
    assert response.status_code == 302
    assert first.get(reverse("home")).status_code == 200
    assert mfa.recovery_codes_left(admin) == 9

    second = log_in("county_admin", ip="10.2.2.2")
    reused = second.post(reverse("unions:mfa_verify"), {"code": codes[0]})
    assert reused.status_code == 200 and "已使用过" in reused.content.decode()
    assert second.get(reverse("home")).status_code == 302


def test_renewing_recovery_codes_voids_the_old_ones(client, tree, make_user):
    admin = make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    old = mfa.new_recovery_codes(admin)
    client.force_login(admin)  # enrolled and verified
    client.post(reverse("unions:mfa_codes_renew"))
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert mfa.recovery_codes_left(admin) == 10
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MFA_CODES_RENEWED).exists()


def test_others_may_opt_in_and_are_then_asked_too(tree, make_user):
    collector = make_user(tree["base"], User.Role.COLLECTOR, username="opt_in")
    browser = log_in("opt_in")
    assert browser.get(reverse("home")).status_code == 200  # not required
    page = browser.get(reverse("unions:mfa_overview")).content.decode()
    assert "未启用" in page

    browser.get(reverse("unions:mfa_setup"))
    device = TOTPDevice.objects.get(user=collector)
    browser.post(reverse("unions:mfa_setup"), {"code": code_for(device)})
    assert mfa.is_enrolled(collector)

    later = log_in("opt_in", ip="10.3.3.3")
    assert later.get(reverse("home"))["Location"].startswith(reverse("unions:mfa_verify"))


def test_the_superior_resets_a_lost_device(client, tree, make_user, county_admin):
    town_admin = make_user(tree["town"], User.Role.ADMIN, username="town_admin")
    TOTPDevice.objects.create(user=town_admin, name="phone", confirmed=True)
    mfa.new_recovery_codes(town_admin)
    client.force_login(county_admin)

    page = client.get(reverse("unions:account_detail", args=[town_admin.pk])).content.decode()
    assert "已启用" in page.split('data-testid="account-mfa">')[1].split("</dd>")[0]
    response = client.post(reverse("unions:account_mfa_reset", args=[town_admin.pk]))
    assert response.status_code == 302

    assert not mfa.is_enrolled(town_admin) and mfa.recovery_codes_left(town_admin) == 0
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MFA_RESET)
    assert (entry.actor, entry.object_id) == (county_admin, str(town_admin.pk))
    # not required at town level: after the reset the account logs in with its password
    assert log_in("town_admin").get(reverse("home")).status_code == 200


def test_nobody_resets_their_own_second_factor(client, county_admin):
    client.force_login(county_admin)
    client.post(reverse("unions:account_mfa_reset", args=[county_admin.pk]))
    assert mfa.is_enrolled(county_admin)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MFA_RESET).exists()


def test_a_reset_ends_the_verified_session(client, tree, make_user, county_admin):
    city_admin = make_user(tree["city"], User.Role.ADMIN, username="city_admin")
    client.force_login(county_admin)
    assert client.get(reverse("unions:account_list")).status_code == 200

    superior = Client()
    superior.force_login(city_admin)
    from tests.conftest import confirmed_totp

    confirmed_totp(city_admin)
    from unions.services import reset_second_factor

    reset_second_factor(actor=city_admin, account=county_admin)

    response = client.get(reverse("unions:account_list"), follow=True)
    assert response.request["PATH_INFO"] == reverse("unions:mfa_setup")


def test_an_initial_password_is_changed_before_enrolment(tree, make_user):
    make_user(tree["county"], User.Role.ADMIN, username="fresh_admin", must_change_password=True)
    browser = log_in("fresh_admin")
    assert browser.get(reverse("home"))["Location"] == reverse("password_change")
    browser.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Taoyuan-County-2026",
            "new_password2": "Taoyuan-County-2026",
        },
    )
    assert browser.get(reverse("home"))["Location"].startswith(reverse("unions:mfa_setup"))


def test_a_session_that_began_before_enrolment_elsewhere_is_asked_for_the_code(tree, make_user):
    admin = make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    first = log_in("county_admin")  # not enrolled yet: sent to the enrolment page
    assert first.get(reverse("home"))["Location"].startswith(reverse("unions:mfa_setup"))
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)  # enrolled elsewhere

    response = first.get(reverse("home"), follow=True)

    assert response.request["PATH_INFO"] == reverse("unions:mfa_verify")
