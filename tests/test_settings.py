import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def load_settings(env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import registry.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_must_be_a_real_boolean():
    result = load_settings({"DEBUG": "maybe", "SECRET_KEY": "x"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_defaults_need_no_server():
    result = load_settings({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_database_url_selects_postgresql():
    result = load_settings({"SECRET_KEY": "x", "DATABASE_URL": "postgres://u@127.0.0.1:5432/db"})
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_health_check_answers_without_host_or_https(client, db):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_opening_a_post_only_address_explains_in_chinese(client, tree, make_user):
    account = make_user(tree["county"])
    client.force_login(account)
    response = client.get(f"/accounts/{account.pk}/reset/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "只接受页面上的按钮提交" in response.content.decode()


def test_the_favicon_is_served_at_the_root_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an icon resource


def test_login_and_password_messages_speak_of_the_account(client, tree, make_user):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = make_user(tree["town"], username="zhangjiang_officer")
    response = client.post("/login/", {"username": "zhangjiang_officer", "password": "wrong"})
    assert "账号或密码不正确" in response.content.decode()
    try:
        validate_password("zhangjiang_officer1", user)
    except ValidationError as error:
        text = " ".join(error.messages)
    assert "密码与账号太相似" in text and "用户名" not in text
