"""数据核查: members with warnings, and the half-yearly (January / July) checklist."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import selectors, services
from members.models import Member
from members.view_helpers import int_or_none, require_editor, subtree_unions
from unions.access import (
    can_edit_members,
    get_in_scope,
    subtree_q,
    unions_for,
    user_root,
)


def _review_union(request):
    """The union a review page is about: ?union=<pk> inside the scope, else the own union."""
    union_pk = int_or_none(request.GET.get("union") or request.POST.get("union"))
    if union_pk is None:
        root = user_root(request.user)
        if root is None:
            raise Http404
        return root
    return get_in_scope(unions_for(request.user), pk=union_pk)


def _union_options(request) -> list[tuple[int, str]]:
    unions = subtree_unions(request)
    base = unions[0].level if unions else 0
    return [(u.pk, "　" * (u.level - base) + u.name) for u in unions]


@login_required
def review(request):
    """Members whose data need a look: warnings, keyset-paged."""
    union = _review_union(request)
    members = selectors.members_for(request.user).filter(subtree_q(union, "union"))
    flagged = members.filter(selectors.review_q()).select_related("union")
    page = selectors.keyset_page(flagged, after=int_or_none(request.GET.get("after")))
    for member in page.rows:
        member.warnings = selectors.warnings_for(member)
    return render(
        request,
        "members/review.html",
        {"union": union, "page": page, "tab": "review", "unions": _union_options(request)},
    )


@login_required
def checklist(request):
    """半年度核查: per union, who was confirmed since the cycle began (January / July)."""
    union = _review_union(request)
    since = services.review_cycle_start()
    rows = selectors.checklist(union, since)
    own = (
        selectors.members_for(request.user)
        .filter(union=union, status__in=(Member.Status.ACTIVE, Member.Status.RESERVED))
        .select_related("union")
    )
    page = selectors.keyset_page(own, after=int_or_none(request.GET.get("after")))
    since_at = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    for member in page.rows:
        member.is_confirmed = bool(member.confirmed_at and member.confirmed_at >= since_at)
    return render(
        request,
        "members/checklist.html",
        {
            "union": union,
            "since": since,
            "rows": rows,
            "page": page,
            "tab": "checklist",
            "unions": _union_options(request),
            "can_edit": can_edit_members(request.user),
            "totals": (sum(r.total for r in rows), sum(r.confirmed for r in rows)),
        },
    )


@login_required
@require_POST
def confirm(request):
    """确认 one member, or every member listed on the page (bulk)."""
    require_editor(request)
    field = "page_member" if "all" in request.POST else "member"
    ids = set(map(int_or_none, request.POST.getlist(field)))
    members = selectors.members_for(request.user).filter(pk__in=ids - {None})
    if None in ids or len(ids) != members.count():
        raise Http404
    count = services.confirm_members(members=members, by=request.user)
    messages.success(request, _("已确认 %(n)d 名会员的信息。") % {"n": count})
    params = {k: request.POST[k] for k in ("union", "after") if request.POST.get(k)}
    return redirect(reverse("members:checklist") + ("?" + urlencode(params) if params else ""))
