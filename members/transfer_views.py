"""转会申请: the inbox of both sides, one request, accept / refuse / withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import selectors, services
from members.forms import DecisionForm
from members.models import Member, TransferRequest
from registry.paging import paginate
from registry.validators import Problem
from unions.access import (
    can_edit_members,
    get_in_scope,
    user_root,
)


def _transfer(request, pk) -> TransferRequest:
    return get_in_scope(selectors.transfers_for(request.user), pk=pk)


def _can_decide(user, transfer) -> bool:
    return can_edit_members(user, services.deciding_union(transfer))


def _can_cancel(user, transfer) -> bool:
    return can_edit_members(user, services.requesting_union(transfer))


def _member_name_for(transfer, *, can_see_member: bool) -> str:
    """The union that asked for a member held elsewhere sees the name it supplied,
    not the holder's record; a receiving union deciding on a 转出 sees the record's."""
    if can_see_member or transfer.origin == TransferRequest.Origin.TRANSFER:
        return transfer.member.name
    return str(transfer.proposed.get("name") or "")


@login_required
def transfer_list(request):
    """转会申请: those waiting for this subtree's decision, those it sent, and the past."""
    root = user_root(request.user)
    visible = selectors.transfers_for(request.user).select_related("member__union")
    pending = visible.filter(state=TransferRequest.State.PENDING)
    # The history grows without end: paged; the open requests are all shown.
    page, pager = paginate(
        request, visible.exclude(state=TransferRequest.State.PENDING), unit=_("份"), default=20
    )
    transfers = list(pending) + list(page.object_list)
    to_decide, sent, done = [], [], []
    for t in transfers:
        t.can_decide = can_edit_members(request.user, services.deciding_union(t))
        t.can_see_member = bool(root and root.contains(t.member.union))
        t.member_name = _member_name_for(t, can_see_member=t.can_see_member)
        if t.state != TransferRequest.State.PENDING:
            done.append(t)
        elif t.can_decide:
            to_decide.append(t)
        else:
            sent.append(t)
    return render(
        request,
        "members/transfer_list.html",
        {"to_decide": to_decide, "sent": sent, "done": done, "pager": pager},
    )


@login_required
def transfer_detail(request, pk):
    transfer = _transfer(request, pk)
    can_see_member = selectors.members_for(request.user).filter(pk=transfer.member_id).exists()
    return render(
        request,
        "members/transfer_detail.html",
        {
            "transfer": transfer,
            "member_name": _member_name_for(transfer, can_see_member=can_see_member),
            "can_decide": transfer.state == TransferRequest.State.PENDING
            and _can_decide(request.user, transfer),
            "can_cancel": transfer.state == TransferRequest.State.PENDING
            and _can_cancel(request.user, transfer),
            "can_see_member": can_see_member,
            "proposed": [
                (Member._meta.get_field(k).verbose_name, services.display(k, v))
                for k, v in services.proposal_of(transfer).items()
            ],
            "decider": services.deciding_union(transfer),
        },
    )


@login_required
@require_POST
def transfer_decide(request, pk):
    transfer = _transfer(request, pk)
    if not _can_decide(request.user, transfer):
        raise PermissionDenied(
            _("只有%(union)s的管理员或采集员可以处理这份申请。")
            % {"union": services.deciding_union(transfer).name}
        )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择接收或拒绝。"))
        return redirect("members:transfer", pk=transfer.pk)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        services.decide_transfer(
            transfer=transfer,
            accept=accept,
            by=request.user,
            note=form.cleaned_data["note"],
            request=request,
        )
    except Problem as p:
        messages.error(request, p.message)
    else:
        messages.success(
            request,
            _("已接收，会员已转入“%(union)s”。") % {"union": transfer.to_union.name}
            if accept
            else _("已拒绝这份申请，会员仍在“%(union)s”。") % {"union": transfer.from_union.name},
        )
    return redirect("members:transfer", pk=transfer.pk)


@login_required
@require_POST
def transfer_cancel(request, pk):
    transfer = _transfer(request, pk)
    if not _can_cancel(request.user, transfer):
        raise PermissionDenied(_("只有发起申请的工会可以撤回。"))
    try:
        services.cancel_transfer(transfer=transfer, by=request.user)
    except Problem as p:
        messages.error(request, p.message)
    else:
        messages.success(request, _("已撤回申请。"))
    return redirect("members:transfer", pk=transfer.pk)
