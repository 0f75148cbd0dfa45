"""Headers and sessions: CSP without inline script, no-store on pages and downloads,
Permissions-Policy, the absolute session lifetime, no inline JS left in templates."""

import re
import time
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from unions.middleware import LOGIN_AT_KEY
from unions.models import AuditEntry, User

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def assert_hardened(response):
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "no-store" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_carry_the_headers(client, tree, make_user, make_member):
    collector = make_user(tree["base"], User.Role.COLLECTOR)
    member = make_member(tree["base"])
    assert_hardened(Client().get(reverse("login")))
    client.force_login(collector)
    for url in (
        reverse("home"),
        reverse("members:list"),
        reverse("members:detail", args=[member.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_hardened(response)


def test_downloads_with_personal_data_are_not_stored(client, tree, make_user, make_member):
    admin = make_user(tree["county"], User.Role.ADMIN)
    make_member(tree["base"])
    client.force_login(admin)
    started = client.post(
        reverse("imports:export"),
        {"union": tree["county"].pk, "scope": "subtree", "status": "", "format": "xlsx"},
    )
    assert started.status_code == 302, started.status_code  # to the export job's page
    job_page = client.get(started["Location"])
    assert_hardened(job_page)
    from members.models import ExportJob

    job = ExportJob.objects.get()
    response = client.get(reverse("members:export_download", args=[job.pk]))
    assert response.status_code == 200, response.status_code
    assert "attachment" in response["Content-Disposition"]
    assert_hardened(response)


def test_no_inline_script_in_any_template():
    """The policy forbids inline script: a <script> without src, or an on…= handler
    attribute, would silently stop working in the browser."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}")
        if "<style" in text:
            offenders.append(f"{path.relative_to(TEMPLATES)}: <style>")
    assert not offenders, offenders


def test_a_session_ends_after_its_absolute_lifetime(tree, make_user):
    make_user(tree["town"], username="zj_officer")
    browser = Client()
    browser.post(reverse("login"), {"username": "zj_officer", "password": PASSWORD})
    assert browser.get(reverse("home")).status_code == 200  # busy, never idle

    session = browser.session
    session[LOGIN_AT_KEY] = time.time() - settings.SESSION_ABSOLUTE_HOURS * 3600 - 1
    session.save()

    response = browser.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert browser.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SESSION_EXPIRED).exists()


def test_the_absolute_lifetime_defaults_to_twelve_hours():
    assert settings.SESSION_ABSOLUTE_HOURS == 12
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
