"""No personal data in logs (registry/logfilter.py): every record through the configured
handlers has its ID-number-like and mobile-like strings masked — messages, arguments,
exceptions (a unique violation prints the key), Celery's task lines."""

import io
import logging

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from imports.models import ImportJob
from imports.tasks import process_import_job
from members.models import Member
from registry.logfilter import PersonalDataFilter
from tests.imports.sheets import mobile, person_id
from tests.imports.test_job_reliability_flow import sheet_bytes
from unions.models import User

ID = person_id(1)
PHONE = mobile(1)


@pytest.fixture
def console():
    """What the configured console handler writes, captured for the test."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_every_configured_handler_masks(console):
    for name in ("", "django", "django.server"):
        configured = [
            h for h in logging.getLogger(name).handlers if type(h) is logging.StreamHandler
        ]
        assert configured, name
        for handler in configured:
            assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), (name, handler)


def test_message_arguments_and_exceptions_are_masked(console):
    log = logging.getLogger("anything.at.all")
    log.warning("member %s, phone %s", ID, PHONE)
    try:
        raise ValueError(f"duplicate key: Key (id_number)=({ID}) already exists.")
    except ValueError:
        log.exception("import failed for %s", {"mobile": PHONE})
    text = console.getvalue()
    assert ID not in text and PHONE not in text
    assert f"{ID[:6]}" in text and "already exists" in text and "Traceback" in text


def test_celery_task_lines_are_masked(console):
    """Celery logs a task's result on success and its arguments on failure; the worker
    logs through Django's configuration (registry/celery.py)."""
    from celery.signals import setup_logging

    from registry.celery import _django_logging

    assert any(receiver() is _django_logging for _, receiver in setup_logging.receivers)
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        {"name": "t", "id": "1", "runtime": 0.1, "return_value": [ID, PHONE]},
    )
    assert ID not in console.getvalue() and PHONE not in console.getvalue()


def test_an_import_that_fails_on_a_unique_violation_logs_no_id(
    console, tree, make_user, media_root, settings, monkeypatch
):
    """A commit that hits the one-ID-one-member constraint: the database's message names
    the key (PostgreSQL: `Key (id_number)=(…) already exists`) and the task logs it."""
    from members import services

    settings.IMPORT_MAX_ATTEMPTS = 1
    collector = make_user(tree["base"], User.Role.COLLECTOR)
    Member.objects.create(union=tree["base"], name="李四", id_number=ID, mobile=PHONE)

    def clashing_writer(*args, **kwargs):
        # A second member with the same ID: the real constraint and the database's own
        # message. The engine turns an IntegrityError into a polite "check again"; this
        # one escapes as a bug would, so the task logs it with its traceback.
        try:
            with transaction.atomic():
                Member.objects.create(union=tree["base"], name="王五", id_number=ID, mobile=PHONE)
        except IntegrityError as clash:
            raise RuntimeError(f"writing {ID} / {PHONE} failed: {clash}") from clash

    monkeypatch.setattr(services, "apply_roster", clashing_writer)
    job = ImportJob(
        kind=ImportJob.Kind.MEMBERS,
        union=tree["base"],
        uploader=collector,
        original_filename="花名册.xlsx",
        sha256="0" * 64,
        state=ImportJob.State.COMMITTING,
        task_id="d-1",
        heartbeat_at=timezone.now(),
    )
    job.file.save("roster.xlsx", ContentFile(sheet_bytes(3)), save=False)
    job.save()

    process_import_job.apply(args=[job.pk], task_id="d-1")

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    text = console.getvalue()
    assert "IntegrityError" in text and "RuntimeError" in text, text  # logged, with traceback
    if connection.vendor == "postgresql":
        assert "already exists" in text and f"{ID[:6]}********" in text  # the key, masked
    for secret in (ID, PHONE, *(person_id(n) for n in (1, 2, 3)), *(mobile(n) for n in (1, 2, 3))):
        assert secret not in text
