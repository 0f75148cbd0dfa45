"""Login security: password rules on every path, idle timeout, sessions, /ops/.
The lockout matrix is in test_lockout.py."""

import datetime
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from unions.middleware import REFRESHED_AT_KEY
from unions.models import AuditEntry, User

LIMIT = settings.AXES_FAILURE_LIMIT


def attempt(client, username, password, ip="10.1.1.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_wrong_password_is_audited_with_address_and_union(client, tree, make_user):
    make_user(tree["town"], username="zj_officer")
    attempt(client, "zj_officer", "wrong-password", ip="10.9.8.7")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.actor_username == "zj_officer"
    assert entry.union == tree["town"]
    assert entry.ip_address == "10.9.8.7"


def test_an_overlong_account_name_is_refused_by_the_form(client, tree, make_user):
    response = attempt(client, "名" * 300, "wrong-password")
    assert response.status_code == 200
    assert "账号最多 150 个字符。" in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_successful_login_is_audited(client, tree, make_user):
    make_user(tree["town"], username="zj_officer")
    response = attempt(client, "zj_officer", PASSWORD, ip="10.9.8.6")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (entry.actor_username, entry.ip_address) == ("zj_officer", "10.9.8.6")


def test_fewer_failures_than_the_limit_do_not_lock(client, tree, make_user):
    make_user(tree["town"], username="zj_officer")
    for _ in range(LIMIT - 1):
        attempt(client, "zj_officer", "wrong-password")
    assert attempt(client, "zj_officer", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("new_password", "complaint"),
    [
        ("Ab3-short", "太短"),
        ("4307251990", "只包含数字"),
        ("password123", "太常见"),
        ("zhangjiang_officer1", "相似"),
    ],
)
def test_password_change_applies_the_rules(client, tree, make_user, new_password, complaint):
    user = make_user(tree["town"], username="zhangjiang_officer", must_change_password=True)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert complaint in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.must_change_password


def test_password_change_ends_the_accounts_other_sessions(tree, make_user):
    make_user(tree["town"], username="zj_officer")
    office, home = Client(), Client()
    assert attempt(office, "zj_officer", PASSWORD).status_code == 302
    assert attempt(home, "zj_officer", PASSWORD, ip="10.2.2.2").status_code == 302
    assert home.get(reverse("home")).status_code == 200

    new = "Zhangjiang-Union-2026"
    office.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert office.get(reverse("home")).status_code == 200  # the changing session stays
    response = home.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_CHANGED).exists()


def _only_session():
    return Session.objects.get()


def test_idle_session_expires(client, tree, make_user):
    make_user(tree["town"], username="zj_officer")
    attempt(client, "zj_officer", PASSWORD)
    assert client.get(reverse("home")).status_code == 200

    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_request_pushes_the_idle_deadline_back_once_its_last_save_is_a_minute_old(
    client, tree, make_user
):
    make_user(tree["town"], username="zj_officer")
    attempt(client, "zj_officer", PASSWORD)
    session = client.session
    session[REFRESHED_AT_KEY] = time.time() - settings.SESSION_REFRESH_SECONDS
    session.save()
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=1))

    client.get(reverse("home"))

    remaining = _only_session().expire_date - timezone.now()
    idle = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert idle - datetime.timedelta(minutes=1) < remaining <= idle
    assert settings.SESSION_COOKIE_AGE <= 60 * 60  # idle sessions end within the hour


def test_pages_within_a_minute_of_the_last_save_write_no_session(client, tree, make_user):
    """Saving the session on every page cost each an UPDATE and a commit; the deadline
    then moves at most a minute early, never late."""
    make_user(tree["town"], username="zj_officer")
    attempt(client, "zj_officer", PASSWORD)
    client.get(reverse("home"))
    deadline = _only_session().expire_date

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("members:list")).status_code in (200, 302)

    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert _only_session().expire_date == deadline


def test_a_cookie_naming_no_session_makes_none(client, db):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32

    assert client.get(reverse("login")).status_code == 200

    assert not Session.objects.exists()


def test_switched_off_account_cannot_log_in(client, tree, make_user):
    user = make_user(tree["town"], username="gone")
    user.is_active = False
    user.save()
    assert attempt(client, "gone", PASSWORD).status_code == 200
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_ops_admin_is_for_superusers_only(client, tree, make_user):
    union_admin = make_user(tree["county"], User.Role.ADMIN)
    staff = make_user(tree["county"], User.Role.ADMIN, username="staffer")
    staff.is_staff = True
    staff.save()
    for user in (union_admin, staff):
        client.force_login(user)
        for url in ("/ops/", "/ops/unions/user/", "/ops/unions/auditentry/"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/ops/login/" in response["Location"]

    ops = User.objects.create_superuser("ops", password=PASSWORD, must_change_password=False)
    client.force_login(ops)
    assert client.get("/ops/").status_code == 200


def test_production_settings_pass_the_deploy_check():
    root = Path(__file__).resolve().parents[2]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "DJANGO_"))
        and k not in {"DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0", ALLOWED_HOSTS="gonghui.example.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_behind_a_proxy_the_forwarded_address_is_locked_not_the_proxy(
    client, tree, make_user, settings
):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    make_user(tree["town"], username="innocent")
    for n in range(settings.AXES_SPRAY_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "wrong-password"},
            REMOTE_ADDR="172.18.0.2",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",  # the left one is the client's own claim
        )

    def login_from(address):
        return Client().post(
            reverse("login"),
            {"username": "innocent", "password": PASSWORD},
            REMOTE_ADDR="172.18.0.2",
            HTTP_X_FORWARDED_FOR=address,
        )

    assert login_from("203.0.113.9").status_code == 429
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.LOCKOUT).latest("id")
    assert entry.ip_address == "203.0.113.9"
    assert login_from("198.51.100.7").status_code == 302


def test_without_proxies_forwarded_headers_are_ignored(client, tree, make_user):
    make_user(tree["town"], username="zj_officer")
    client.post(
        reverse("login"),
        {"username": "zj_officer", "password": "wrong"},
        REMOTE_ADDR="10.4.4.4",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED).ip_address == "10.4.4.4"
