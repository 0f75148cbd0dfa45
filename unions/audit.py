"""Writing the audit trail. Callers pass what happened; this fills in who and from where."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

from registry.masking import scrub  # unions.audit.scrub, as before
from unions.models import AuditEntry, Union, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The visitor's address. Behind PROXY_COUNT reverse proxies it is the entry that many
    places from the right of X-Forwarded-For (each proxy appends the address it was called
    from; anything further left the client could have written itself). Axes uses this too
    (AXES_CLIENT_IP_CALLABLE), so lockouts and the audit log agree on who it was."""
    if request is None:
        return None
    count = settings.AXES_IPWARE_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count and _is_ip(hops[-count]):
            return hops[-count]
    address = request.META.get("REMOTE_ADDR") or None
    return address if address and _is_ip(address) else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


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
