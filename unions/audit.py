"""Writing the audit trail. Callers pass what happened; this fills in who and from where."""

import re

from django.http import HttpRequest

from members.validators import mask_id
from unions.models import AuditEntry, Union, User

# Anything shaped like an ID number (18 or 15 characters, digits with a final X)
# is masked before it is written, whatever the caller passed.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def scrub(value):
    """`value` with every ID-number-like string masked, through dicts and lists."""
    if isinstance(value, str):
        return _ID_LIKE.sub(lambda m: mask_id(m.group(1).upper()), value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
    union: Union | None = None,
    obj=None,
    object_repr: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        union=union if union is not None else getattr(actor, "union", None),
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=scrub(object_repr or (str(obj) if obj is not None else ""))[:200],
        ip_address=client_ip(request),
        detail=scrub(detail or {}),
    )
