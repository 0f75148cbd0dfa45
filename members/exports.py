"""One member export for every door: the export page (导出会员名册), the member list's
导出 button and `manage.py export_members`.

One selector (`members.selectors.members_to_export`: the access rule, then the filter),
one writer (`members.export.export_members`), one cap (`settings.MEMBER_EXPORT_MAX_ROWS`),
one masking rule (full IDs and phones only for `unions.access.can_see_personal_data`;
查看 gets them masked as the lists show them) and one audit record per export.
"""

from dataclasses import replace

from django.conf import settings
from django.utils.translation import gettext as _

from members.export import export_members
from members.selectors import MemberFilter, members_to_export
from registry.db_router import reading_from_replica
from unions import audit
from unions.access import can_see_personal_data, user_root
from unions.models import AuditEntry, User


class ExportTooLarge(Exception):
    """More members than one export may hold; nothing was written or audited."""

    def __init__(self, count: int, limit: int):
        self.count, self.limit = count, limit
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return _(
            "当前结果有 %(n)s 人，超过单次导出上限 %(max)s 人。请按工会或其他条件缩小范围后分批导出。"
        ) % {"n": f"{self.count:,}", "max": f"{self.limit:,}"}


class NothingToExport(Exception):
    """No member matches: nothing was written or audited."""

    message = _("当前条件下没有会员，未生成导出文件。请检查所选工会和条件。")


def is_operator(user: User | None) -> bool:
    """A command run without --as, or a platform superuser without a union."""
    return user is None or (user.is_superuser and not user.union_id)


def masked_for(user: User | None) -> bool:
    return not is_operator(user) and not can_see_personal_data(user)


def for_user(member_filter: MemberFilter, user: User | None) -> MemberFilter:
    """ "Everything I may see" is the own subtree: say so in the audit log."""
    if member_filter.union is None and not is_operator(user):
        return replace(member_filter, union=user_root(user), include_sub=True)
    return member_filter


def export(
    out,
    *,
    user: User | None,
    member_filter: MemberFilter,
    request=None,
    via: str = "web",
    fmt: str = "xlsx",
    progress=None,
    refuse_empty: bool = False,
) -> tuple[int, bool]:
    """Write the members `user` may see that match `member_filter` to `out` (a path or a
    binary file) as `fmt` ("xlsx" or "csv") and audit it. Returns (rows, masked).

    Raises, before writing anything: ExportTooLarge above the cap,
    members.selectors.SearchTooShort for a too-short digit search, and with `refuse_empty`
    NothingToExport when no member matches. `progress(done, total)` follows the writing."""
    member_filter = for_user(member_filter, user)
    masked = masked_for(user)
    with reading_from_replica():  # the members are read from the replica, if there is one
        queryset = members_to_export(user, member_filter)
        count = queryset.count()
        limit = settings.MEMBER_EXPORT_MAX_ROWS
        if count > limit:
            raise ExportTooLarge(count, limit)
        if refuse_empty and not count:
            raise NothingToExport
        report = (lambda done: progress(done, count)) if progress is not None else None
        rows = export_members(queryset, out, masked=masked, fmt=fmt, progress=report)
    audit.record(
        AuditEntry.Action.EXPORT,
        request=request,
        actor=user,
        union=member_filter.union,
        object_repr=_("会员名单（%(n)d人）") % {"n": rows},
        detail={
            "rows": rows,
            "masked": masked,
            "filter": member_filter.summary(),
            "via": via,
            "format": fmt,
        },
    )
    return rows, masked
