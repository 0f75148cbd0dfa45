"""The lockout matrix (unions/lockout.py): account + address, account, spraying, and the
ways out (cool-off, the superior's unlock, the superior's password reset)."""

import datetime

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from unions.models import AuditEntry, User

PER_ADDRESS = settings.AXES_FAILURE_LIMIT
PER_ACCOUNT = settings.AXES_ACCOUNT_FAILURE_LIMIT
SPRAY = settings.AXES_SPRAY_FAILURE_LIMIT
OFFICE = "10.8.8.8"  # the county office's one NAT address


def attempt(username, password, ip=OFFICE):
    return Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(username, times, ip=OFFICE):
    for _ in range(times):
        attempt(username, "wrong-password", ip)


def test_the_limits_are_in_the_order_that_makes_sense():
    assert PER_ADDRESS < PER_ACCOUNT < SPRAY


def test_one_persons_typos_do_not_lock_out_the_office(tree, make_user):
    """The issue's report: five wrong passwords for county_viewer, then county_admin with
    the right password from the same address."""
    make_user(tree["county"], User.Role.VIEWER, username="county_viewer")
    make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    fail("county_viewer", PER_ADDRESS)

    assert attempt("county_admin", PASSWORD).status_code == 302
    assert attempt("county_viewer", PASSWORD).status_code == 429


def test_account_and_address_lock_that_account_at_that_address_only(tree, make_user):
    make_user(tree["town"], username="zj_officer")
    fail("zj_officer", PER_ADDRESS - 1)
    assert attempt("zj_officer", PASSWORD).status_code == 302  # below the limit: fine

    fail("zj_officer", PER_ADDRESS)
    locked = attempt("zj_officer", PASSWORD)
    assert locked.status_code == 429
    assert attempt("zj_officer", PASSWORD, ip="10.9.9.9").status_code == 302  # from home


def test_the_account_locks_everywhere_after_failures_from_many_addresses(tree, make_user):
    make_user(tree["town"], username="zj_officer")
    for n in range(PER_ACCOUNT):
        attempt("zj_officer", "wrong-password", ip=f"10.0.{n // 200}.{n % 200 + 1}")

    assert attempt("zj_officer", PASSWORD, ip="10.77.77.77").status_code == 429
    lockout = AuditEntry.objects.filter(action=AuditEntry.Action.LOCKOUT).latest("id")
    assert lockout.union == tree["town"]
    assert lockout.detail["username"] == "zj_officer"


def test_an_address_alone_locks_only_when_it_sprays_many_accounts(tree, make_user):
    make_user(tree["town"], username="innocent")
    for n in range(SPRAY - 1):
        attempt(f"guess{n}", "wrong-password", ip="10.6.6.6")
    assert attempt("innocent", PASSWORD, ip="10.6.6.6").status_code == 302  # 29: not yet

    for n in range(2):
        attempt(f"more{n}", "wrong-password", ip="10.6.6.6")

    refused = attempt("innocent", PASSWORD, ip="10.6.6.6")
    assert refused.status_code == 429
    assert "网络地址" in refused.content.decode()
    assert attempt("innocent", PASSWORD, ip="10.7.7.7").status_code == 302


def test_spraying_ends_when_the_failures_leave_the_window(tree, make_user):
    make_user(tree["town"], username="innocent")
    for n in range(SPRAY):
        attempt(f"guess{n}", "wrong-password", ip="10.6.6.6")
    assert attempt("innocent", PASSWORD, ip="10.6.6.6").status_code == 429

    window = datetime.timedelta(minutes=settings.AXES_SPRAY_WINDOW_MINUTES)
    AccessFailureLog.objects.update(attempt_time=timezone.now() - window - datetime.timedelta(1))

    assert attempt("innocent", PASSWORD, ip="10.6.6.6").status_code == 302


def test_the_locked_page_says_until_when(tree, make_user):
    make_user(tree["town"], username="zj_officer")
    fail("zj_officer", PER_ADDRESS)
    last = AccessAttempt.objects.get(username="zj_officer").attempt_time

    page = attempt("zj_officer", PASSWORD).content.decode()

    until = timezone.localtime(AccessAttempt.objects.get(username="zj_officer").attempt_time)
    until += datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    assert until > timezone.localtime(last)
    assert "登录失败次数过多" in page
    assert f"锁定至 {until:%Y}年{until.month}月{until.day}日 {until:%H:%M}" in page
    assert "同一网络的其他账号不受影响" in page


def test_a_lock_ends_after_the_cool_off(tree, make_user):
    make_user(tree["town"], username="zj_officer")
    fail("zj_officer", PER_ADDRESS)
    assert attempt("zj_officer", PASSWORD).status_code == 429

    long_ago = timezone.now() - settings.AXES_COOLOFF_TIME * datetime.timedelta(hours=1)
    AccessAttempt.objects.update(attempt_time=long_ago - datetime.timedelta(minutes=1))

    assert attempt("zj_officer", PASSWORD).status_code == 302


def test_the_superior_sees_the_lock_and_unlocks_from_the_account_page(
    client, tree, make_user, county_admin
):
    officer = make_user(tree["town"], username="zj_officer")
    fail("zj_officer", PER_ADDRESS)
    client.force_login(county_admin)

    page = client.get(reverse("unions:account_detail", args=[officer.pk])).content.decode()
    lock_text = page.split('data-testid="account-lock">')[1].split("</dd>")[0]
    assert OFFICE in lock_text and "至" in lock_text
    assert 'data-testid="unlock"' in page

    response = client.post(reverse("unions:account_unlock", args=[officer.pk]))
    assert response.status_code == 302

    assert attempt("zj_officer", PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_UNLOCKED)
    assert (entry.actor, entry.object_id, entry.union) == (
        county_admin,
        str(officer.pk),
        tree["town"],
    )
    assert entry.detail == {"rule": "account_address", "addresses": [OFFICE]}
    page = client.get(reverse("unions:account_detail", args=[officer.pk])).content.decode()
    assert "未锁定" in page and 'data-testid="unlock"' not in page


def test_the_superiors_unlock_lifts_an_account_wide_lock(client, tree, make_user, county_admin):
    officer = make_user(tree["town"], username="zj_officer")
    for n in range(PER_ACCOUNT):
        attempt("zj_officer", "wrong-password", ip=f"10.3.3.{n + 1}")
    assert attempt("zj_officer", PASSWORD, ip="10.4.4.4").status_code == 429

    client.force_login(county_admin)
    client.post(reverse("unions:account_unlock", args=[officer.pk]))

    assert attempt("zj_officer", PASSWORD, ip="10.4.4.4").status_code == 302


def test_only_the_subtree_admin_can_unlock(client, tree, make_user):
    officer = make_user(tree["town"], username="zj_officer")
    sibling_admin = make_user(tree["sibling"], User.Role.ADMIN, username="dc_admin")
    collector = make_user(tree["county"], User.Role.COLLECTOR, username="c")
    fail("zj_officer", PER_ADDRESS)

    client.force_login(sibling_admin)
    assert client.post(reverse("unions:account_unlock", args=[officer.pk])).status_code == 404
    client.force_login(collector)
    assert client.post(reverse("unions:account_unlock", args=[officer.pk])).status_code == 403
    assert attempt("zj_officer", PASSWORD).status_code == 429
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_UNLOCKED).exists()


def test_a_password_reset_by_the_superior_unlocks_too(tree, make_user, county_admin):
    from unions.services import reset_password

    officer = make_user(tree["town"], username="zj_officer")
    for n in range(PER_ACCOUNT):
        attempt("zj_officer", "wrong-password", ip=f"10.0.0.{n + 1}")
    fail("zj_officer", PER_ADDRESS)
    password = reset_password(actor=county_admin, account=officer)

    assert attempt("zj_officer", password).status_code == 302
    assert attempt("zj_officer", password, ip="10.0.2.2").status_code == 302
