"""Each development log line once (issue 15): `make run` used to print every
development-server line twice (a logger's own handler and the root's, through propagation).
Logging is configured here as in development — a fresh process with DEBUG=1, Django's
setup, then Celery's `setup_logging` hook as the worker applies it — and every record must
reach the console exactly once."""

import os
import subprocess
import sys
from pathlib import Path

LOGGERS = [
    "django.server",  # runserver's request lines
    "django.request",  # "Not Found: …"
    "django",
    "axes.watch_login",
    "celery.worker.strategy",
    "celery.redirected",
    "imports.runner",
    "",
]

SCRIPT = f"""
import logging
import django

django.setup()
from registry.celery import _django_logging

for configure in (lambda: None, _django_logging):  # the web process, then the worker
    configure()
    for name in {LOGGERS!r}:
        logging.getLogger(name).warning("line of %s", name or "root")
"""


def test_every_record_is_printed_once_as_in_development():
    env = {
        **os.environ,
        "DEBUG": "1",
        "SECRET_KEY": "test-only-not-secret",
        "DJANGO_SETTINGS_MODULE": "registry.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = (done.stdout + done.stderr).splitlines()
    for name in LOGGERS:
        wanted = f"line of {name or 'root'}"
        assert lines.count(wanted) == 2, (wanted, lines)  # once per configuration above
