"""Two-factor authentication (django-otp): who must use it, and the devices.

`MFA_REQUIRED_ROLES` lists who must, each entry `role@level` or `operator`:

- `role` is `admin`, `collector` or `viewer` (the account's role);
- `level` is `county` (the account's union is county level or above) or `all`;
- `operator` is a platform operator (superuser, the `/ops/` site).

"County level and above" is read from the union's kind, not its depth: 地方总工会 and
地方产业工会 are organised only at county level and above (中国工会章程), whereas a
tree may start at a province, a city or a county, so the same depth means different
levels in different deployments. Everyone else may opt in; an account with a confirmed
device is always asked for a code, whether or not it must have one.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry import codes

COUNTY_AND_ABOVE_KINDS = frozenset({codes.KIND_LOCAL_FEDERATION, codes.KIND_INDUSTRY})
ROLES = {"admin", "collector", "viewer"}
LEVELS = {"county", "all"}
RECOVERY_CODE_COUNT = 10


def parse_rules(entries) -> list[tuple[str, str]]:
    """`MFA_REQUIRED_ROLES` as (role, level) pairs; ("operator", "") for operators."""
    rules = []
    for entry in entries:
        entry = entry.strip()
        if entry == "operator":
            rules.append(("operator", ""))
            continue
        role, _, level = entry.partition("@")
        level = level or "all"
        if role not in ROLES or level not in LEVELS:
            raise ImproperlyConfigured(
                f"MFA_REQUIRED_ROLES: {entry!r} is not 'operator' or role@level "
                f"(role: {', '.join(sorted(ROLES))}; level: county, all)"
            )
        rules.append((role, level))
    return rules


def is_county_or_above(union) -> bool:
    return union is not None and union.kind in COUNTY_AND_ABOVE_KINDS


def required_for(user) -> bool:
    """Must `user` use a second factor (whether or not they have enrolled yet)?"""
    if user is None or not user.is_authenticated:
        return False
    for role, level in parse_rules(settings.MFA_REQUIRED_ROLES):
        if role == "operator":
            if user.is_superuser:
                return True
        elif (
            user.role == role
            and user.union_id
            and (level == "all" or is_county_or_above(user.union))
        ):
            return True
    return False


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


ENROLLED_AT_LOGIN_KEY = "mfa_enrolled_at_login"


def needs_code(user, session) -> bool:
    """Must this (not yet verified) session enter a code? It must when the account had a
    device at login. Read once per session and kept there: a device is only ever added
    by enrolling, which verifies the session that does it; a reset removes devices."""
    enrolled = session.get(ENROLLED_AT_LOGIN_KEY)
    if enrolled is None:
        enrolled = is_enrolled(user)
        session[ENROLLED_AT_LOGIN_KEY] = enrolled
    return enrolled


def new_recovery_codes(user) -> list[str]:
    """Replace the account's recovery codes with 10 new one-time codes; returned once,
    stored as django-otp static tokens (each deleted when used)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="恢复码", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=t) for t in tokens])
    return tokens


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def remove_devices(user) -> int:
    """Every TOTP and static device of the account (the superior's reset)."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return removed + static


def verify(user, code: str):
    """The device that accepts `code` (a 6-digit TOTP code, or a recovery code, used up
    at once), else None. Each device throttles repeated failures (django-otp)."""
    from django.db import transaction

    code = "".join(code.split()).replace("-", "").lower()
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit():
            devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        else:
            devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
        for device in devices:
            if device.verify_token(code):
                return device
    return None
