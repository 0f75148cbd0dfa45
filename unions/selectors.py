"""Read-side queries over the union tree."""

import datetime

from django.db.models import Q
from django.utils import timezone

from unions.access import subtree_q
from unions.models import Union


class UnionNotFound(Exception):
    """A union reference that names no union (`code` "union_unknown"), several
    ("union_ambiguous") or nothing at all ("required"); `message` is Chinese."""

    def __init__(self, message: str, *, code: str = "union_unknown"):
        super().__init__(message)
        self.message = message
        self.code = code


def resolve_union(
    ref: str, *, within: Union | None = None, active_only: bool = False, allow_pk: bool = False
) -> Union:
    """The one union `ref` names: its 统一社会信用代码 or system code (either case, any
    width), else its exact name, which must be unique; with `allow_pk`, also its id
    (operators' commands only: a page must not let users enumerate unions by number)."""
    from registry.codes import normalize_key

    text = (ref or "").strip()
    if not text:
        raise UnionNotFound("请填写工会的准确名称或编码。", code="required")
    unions = Union.objects.all()
    if within is not None:
        unions = unions.filter(subtree_q(within))
    if active_only:
        unions = unions.filter(is_active=True)
    code = normalize_key(text)
    found = list(unions.filter(Q(credit_code=code) | Q(system_code=code))[:1])
    if not found and allow_pk and text.isdigit():
        found = list(unions.filter(pk=int(text)))
    if not found:
        found = list(unions.filter(name=text)[:2])
    if not found:
        raise UnionNotFound(
            f"找不到工会组织“{text}”（请填写统一社会信用代码、系统赋码或准确的工会名称）。"
        )
    if len(found) > 1:
        raise UnionNotFound(
            f"有多个工会名为“{text}”，请改用统一社会信用代码或系统赋码。",
            code="union_ambiguous",
        )
    return found[0]


def filter_accounts(
    accounts, *, q: str = "", union: Union | None = None, role: str = "", active: str = ""
):
    """Narrow an already-scoped account queryset by the list page's filters."""
    if q:
        accounts = accounts.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    if union is not None:
        accounts = accounts.filter(subtree_q(union, "union"))
    if role:
        accounts = accounts.filter(role=role)
    if active in ("0", "1"):
        accounts = accounts.filter(is_active=active == "1")
    return accounts.select_related("union").order_by("union__tree_id", "union__lft", "username")


def filter_audit(
    entries,
    *,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    actor: str = "",
    union: Union | None = None,
):
    """Narrow an already-scoped audit queryset by the log page's filters (dates are
    local calendar days, both ends included)."""
    if action:
        entries = entries.filter(action=action)
    if date_from:
        entries = entries.filter(at__gte=_start_of(date_from))
    if date_to:
        entries = entries.filter(at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    if actor:
        entries = entries.filter(actor_username__icontains=actor)
    if union is not None:
        entries = entries.filter(subtree_q(union, "union"))
    return entries.select_related("union").order_by("-at", "-id")


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def account_history(entries, account):
    """What was done to `account` and what it did itself, newest first, from an
    already-scoped audit queryset."""
    return (
        entries.filter(Q(object_type="user", object_id=str(account.pk)) | Q(actor=account))
        .select_related("union")
        .order_by("-at", "-id")
    )
