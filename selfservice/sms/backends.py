"""Built-in SMS backends (interface: `send(phone, text)`; see selfservice/sms/__init__.py)."""

import datetime
import sys
import threading
from pathlib import Path

from django.conf import settings


class BaseBackend:
    """Subclass and implement `send`; raise `selfservice.sms.SmsError` on failure."""

    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes each message to standard output (development)."""

    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()


class FileBackend(BaseBackend):
    """Appends each message to SMS_FILE_PATH/sms-YYYY-MM-DD.log."""

    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now()
        with self._lock, open(folder / f"sms-{now:%Y-%m-%d}.log", "a", encoding="utf-8") as f:
            f.write(f"{now:%H:%M:%S}\t{phone}\t{text}\n")


class LocmemBackend(BaseBackend):
    """Keeps messages in `selfservice.sms.outbox` (tests)."""

    def send(self, phone: str, text: str) -> None:
        from selfservice import sms

        sms.outbox.append((phone, text))
