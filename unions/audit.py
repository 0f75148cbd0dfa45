"""Writing the audit trail. Callers pass what happened; this fills in who and from where."""

from django.http import HttpRequest

from unions.models import AuditEntry, Union, User


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
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        ip_address=client_ip(request),
        detail=detail or {},
    )
