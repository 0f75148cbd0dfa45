"""待办: the work waiting for an account, on its home page and as counts in the menu.

Each item says what is waiting, how many, and links to where it is done. Only what the
account may act on is listed (access vocabulary); counts are a few indexed queries.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from imports.models import ImportJob
from members.selectors import pending_transfers
from progress.rollups import union_progress
from selfservice.models import Application, CorrectionRequest
from selfservice.selectors import applications_for, corrections_for
from unions.access import can_edit_members, can_import, user_root
from unions.models import User

STALE_PREVIEW = datetime.timedelta(days=3)


@dataclass
class TodoItem:
    key: str
    label: str
    count: int
    url: str
    note: str = ""
    urgent: bool = False


def menu_counts(user: User) -> dict[str, int]:
    """What the menu badges show: transfers to decide, the account's own uploads waiting
    for confirmation. Three queries on any page."""
    counts = {"transfers": 0, "previews": 0}
    if can_edit_members(user):
        counts["transfers"] = pending_transfers(user_root(user), deciding=True).count()
        counts["previews"] = _previews(user).count()
    return counts


def _previews(user: User):
    """The account's own uploads analysed and waiting for its confirmation."""
    return ImportJob.objects.filter(state=ImportJob.State.PREVIEW, uploader=user).exclude(
        kind=ImportJob.Kind.RECONCILE  # a compared list has nothing to commit
    )


def todo_for(user: User) -> list[TodoItem]:
    """The home page's to-do list, most pressing first; empty when nothing waits."""
    root = user_root(user)
    if root is None:
        return []
    items: list[TodoItem] = []
    if can_edit_members(user):
        n = pending_transfers(root, deciding=True).count()
        if n:
            items.append(
                TodoItem(
                    "transfers",
                    _("转会申请待本单位办理（接收或退回）"),
                    n,
                    reverse("members:transfers"),
                    urgent=True,
                )
            )
    if can_import(user):
        previews = _previews(user)
        n = previews.count()
        if n:
            stale = previews.filter(analysed_at__lt=timezone.now() - STALE_PREVIEW).count()
            only = previews.first() if n == 1 else None
            items.append(
                TodoItem(
                    "previews",
                    _("已核对、待确认入库的上传"),
                    n,
                    reverse("imports:job", args=[only.pk]) if only else reverse("imports:index"),
                    note=_("其中 %(n)d 份已超过 3 天") % {"n": stale} if stale else "",
                    urgent=bool(stale),
                )
            )
    if can_edit_members(user):
        n = applications_for(user).filter(state=Application.State.PENDING).count()
        m = corrections_for(user).filter(state=CorrectionRequest.State.PENDING).count()
        if n or m:
            items.append(
                TodoItem(
                    "applications",
                    _("待审核的入会申请和信息更正申请"),
                    n + m,
                    reverse("selfservice:queue"),
                    note=_("入会申请 %(n)d 份，更正申请 %(m)d 份") % {"n": n, "m": m},
                    urgent=True,
                )
            )
    if can_edit_members(user):
        n = pending_transfers(root, deciding=False).count()
        if n:
            items.append(
                TodoItem(
                    "transfers_sent",
                    _("本单位发出、等待对方办理的转会申请"),
                    n,
                    reverse("members:transfers"),
                )
            )
    if root.get_descendant_count():
        progress = union_progress(root)
        if progress.laggards:
            items.append(
                TodoItem(
                    "laggards",
                    _("进度落后的下级单位"),
                    len(progress.laggards),
                    reverse("progress:union", args=[root.pk]),
                    note="、".join(line.union.name for line in progress.laggards[:3]),
                    urgent=True,
                )
            )
    return items
