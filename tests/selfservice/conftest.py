import re

import pytest

from selfservice import sms


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Texts go to `selfservice.sms.outbox` (the locmem backend), emptied per test."""
    settings.SMS_BACKEND = "selfservice.sms.backends.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def last_code(phone: str) -> str:
    texts = [text for to, text in sms.outbox if to == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"验证码是(\d{6})", texts[-1]).group(1)
