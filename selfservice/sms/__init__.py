"""Sending SMS, chosen in settings the way Django chooses an email backend.

    SMS_BACKEND = "selfservice.sms.backends.ConsoleBackend"   # development (default)
    SMS_BACKEND = "selfservice.sms.backends.FileBackend"      # SMS_FILE_PATH, one file a day
    SMS_BACKEND = "selfservice.sms.backends.LocmemBackend"    # tests: selfservice.sms.outbox
    SMS_BACKEND = "mycompany.sms.AliyunBackend"               # a real gateway

A real gateway is a class with `send(phone, text) -> None` (subclass
`selfservice.sms.backends.BaseBackend`; its __init__ takes no arguments and reads its
own settings). It raises `SmsError` when the gateway refuses; the caller then tells
the visitor to try again later. See docs/self-service.md.
"""

from django.conf import settings
from django.utils.module_loading import import_string

# LocmemBackend appends (phone, text) here, like django.core.mail.outbox.
outbox: list[tuple[str, str]] = []


class SmsError(Exception):
    """The gateway did not accept the message."""


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str) -> None:
    get_backend().send(phone, text)
