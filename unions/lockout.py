"""Login lockout that fits offices (django-axes with three rules of our own).

County and town offices sit behind one NAT address, so an address alone never locks
because of one person's typos. Three rules, each with its own limit:

- **account + address**: `AXES_FAILURE_LIMIT` failures for one account from one address
  lock that account at that address (the office's typist waits; the same account from
  elsewhere and every other account of the office still log in);
- **account**: `AXES_ACCOUNT_FAILURE_LIMIT` failures for one account from any addresses
  lock the account everywhere (guessing spread over many addresses);
- **spraying**: `AXES_SPRAY_FAILURE_LIMIT` failures from one address within
  `AXES_SPRAY_WINDOW_MINUTES`, whatever the accounts, lock the address for everyone.

The first two last `AXES_COOLOFF_MINUTES` from the latest failure; the third ends when
the window no longer holds that many failures. The superior unlocks an account from its
page (`unlock_account`), and a password reset by the superior unlocks it too.
"""

import dataclasses
import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

ACCOUNT_AT_ADDRESS = "account_address"
ACCOUNT = "account"
SPRAYING = "spraying"


@dataclasses.dataclass(frozen=True)
class Lock:
    rule: str  # ACCOUNT_AT_ADDRESS, ACCOUNT or SPRAYING
    until: datetime.datetime
    ip_address: str | None = None


def _cooloff() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)


def _spray_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.AXES_SPRAY_WINDOW_MINUTES)


def _recent(attempts, now):
    return attempts.filter(attempt_time__gte=now - _cooloff())


def _count_lock(attempts, limit: int, rule: str, now, ip=None) -> Lock | None:
    totals = _recent(attempts, now).aggregate(
        n=Sum("failures_since_start"), last=Max("attempt_time")
    )
    if (totals["n"] or 0) >= limit:
        return Lock(rule, totals["last"] + _cooloff(), ip)
    return None


def spraying_lock(ip_address: str | None, now=None) -> Lock | None:
    """The address is locked while its last `AXES_SPRAY_FAILURE_LIMIT` failures all fall
    within the window; it opens when the oldest of them leaves the window."""
    if not ip_address:
        return None
    now = now or timezone.now()
    limit = settings.AXES_SPRAY_FAILURE_LIMIT
    times = list(
        AccessFailureLog.objects.filter(
            ip_address=ip_address, attempt_time__gte=now - _spray_window()
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[:limit]
    )
    if len(times) >= limit:
        return Lock(SPRAYING, times[-1] + _spray_window(), ip_address)
    return None


def current_lock(username: str | None, ip_address: str | None, now=None) -> Lock | None:
    """Which rule, if any, refuses a login of `username` from `ip_address` now."""
    now = now or timezone.now()
    if username:
        mine = AccessAttempt.objects.filter(username=username)
        lock = _count_lock(
            mine.filter(ip_address=ip_address),
            settings.AXES_FAILURE_LIMIT,
            ACCOUNT_AT_ADDRESS,
            now,
            ip_address,
        )
        lock = lock or _count_lock(mine, settings.AXES_ACCOUNT_FAILURE_LIMIT, ACCOUNT, now)
        if lock:
            return lock
    return spraying_lock(ip_address, now)


def account_locks(username: str, now=None) -> list[Lock]:
    """Every lock on `username` now: account-wide, or per address (for the account page)."""
    now = now or timezone.now()
    mine = AccessAttempt.objects.filter(username=username)
    everywhere = _count_lock(mine, settings.AXES_ACCOUNT_FAILURE_LIMIT, ACCOUNT, now)
    if everywhere:
        return [everywhere]
    locks = []
    addresses = _recent(mine, now).values_list("ip_address", flat=True).distinct()
    for ip in sorted({a for a in addresses if a}):
        lock = _count_lock(
            mine.filter(ip_address=ip), settings.AXES_FAILURE_LIMIT, ACCOUNT_AT_ADDRESS, now, ip
        )
        if lock:
            locks.append(lock)
    return locks


class OfficeLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the three rules above instead of one limit.

    Axes asks `get_failures(...) >= get_failure_limit(...)` both before a login (is the
    client locked?) and after a failure (did this one lock it?); the answer here crosses
    the limit exactly when one of the rules holds, and remembers which for the page."""

    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        lock = current_lock(username, getattr(request, "axes_ip_address", None))
        request.office_lock = lock
        return get_failure_limit(request, credentials) if lock else 0


def lockout_response(request, original_response=None, credentials=None):
    """The locked page: which rule, and until when (local time, in Chinese)."""
    lock = getattr(request, "office_lock", None)
    if lock is None:
        username = get_client_username(request, credentials)
        lock = current_lock(username, getattr(request, "axes_ip_address", None))
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"lock": lock, "until": timezone.localtime(lock.until) if lock else None},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
