"""Pages of the member register. Each view: access helper → form → service → redirect.

The search may hold a full ID number, which must never appear in a URL (browser
history, proxy and server logs): the filter form is posted, kept in the session,
and the list URL carries only the paging cursor.
"""

import datetime
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import selectors, services
from members.exports import write_members_xlsx
from members.forms import DecisionForm, FilterForm, MemberEventForm, MemberForm
from members.models import Member, TransferRequest
from members.validators import Problem
from unions import audit
from unions.access import (
    get_in_scope,
    members_for,
    subtree_q,
    union_in_scope,
    unions_for,
    user_root,
)
from unions.models import AuditEntry

FILTER_SESSION_KEY = "member_filter"


def _editor(request):
    if not request.user.can_edit_members:
        raise PermissionDenied(_("您的账号是“查看”角色，只能查看脱敏信息。"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _member(request, pk) -> Member:
    return get_in_scope(members_for(request.user).select_related("union", "unit"), pk=pk)


# ---- list, search, export ------------------------------------------------------


def _subtree_unions(request) -> list:
    return list(unions_for(request.user).order_by("tree_id", "lft"))


def _current_filter(request, unions: list) -> selectors.MemberFilter:
    """The filter kept in the session, re-checked against the user's scope."""
    saved = dict(request.session.get(FILTER_SESSION_KEY) or {})
    union_pk = saved.pop("union", None)
    union = next((u for u in unions if u.pk == union_pk), None)
    return selectors.MemberFilter(union=union, **saved)


def _save_filter(request, cleaned: dict) -> None:
    saved = {k: (v or "") for k, v in cleaned.items() if k not in ("union", "include_sub")}
    saved["include_sub"] = bool(cleaned.get("include_sub"))
    saved["union"] = cleaned["union"].pk if cleaned.get("union") else None
    request.session[FILTER_SESSION_KEY] = saved


@login_required
def member_list(request):
    unions = _subtree_unions(request)
    if request.method == "POST":
        if "reset" in request.POST:
            request.session.pop(FILTER_SESSION_KEY, None)
            return redirect("members:list")
        form = FilterForm(request.POST, unions=unions)
        if form.is_valid():
            _save_filter(request, form.cleaned_data)
            return redirect("members:list")
    else:
        union_pk = _int(request.GET.get("union"))
        if union_pk is not None:
            # A link from another page ("this union's members"): start a fresh filter.
            if union_pk not in {u.pk for u in unions}:
                raise Http404
            request.session[FILTER_SESSION_KEY] = {"union": union_pk, "include_sub": True}
            return redirect("members:list")
        member_filter = _current_filter(request, unions)
        initial = {**member_filter.__dict__, "union": getattr(member_filter.union, "pk", "")}
        form = FilterForm(initial=initial, unions=unions)

    member_filter = _current_filter(request, unions)
    scoped = members_for(request.user)
    context = {"form": form, "filter": member_filter}
    try:
        base = member_filter.apply(scoped, with_status=False)
        filtered = member_filter.apply(scoped)
        page = selectors.keyset_page(
            filtered.select_related("union"),
            after=_int(request.GET.get("after")),
            before=_int(request.GET.get("before")),
        )
        by_status = selectors.status_counts(base)
    except selectors.SearchTooShort:
        messages.error(request, _("按证件号码或手机号码查找时请至少输入后4位数字。"))
        page = selectors.Page(rows=[], next_after=None, prev_before=None)
        by_status = {}
    total = (
        by_status.get(member_filter.status, 0) if member_filter.status else sum(by_status.values())
    )
    context.update(
        page=page,
        total=total,
        status_counts=[
            (value, label, by_status.get(value, 0))
            for value, label in Member.Status.choices
            if by_status.get(value)
        ],
        can_edit=request.user.can_edit_members,
        selects=[
            form[name]
            for name in ("status", "gender", "political_status", "new_employment_form", "education")
        ],
    )
    return render(request, "members/member_list.html", context)


@login_required
def member_export(request):
    """The current filter as xlsx. Editors get full IDs and phones; 查看 gets them masked."""
    member_filter = _current_filter(request, _subtree_unions(request))
    try:
        queryset = member_filter.apply(members_for(request.user))
    except selectors.SearchTooShort:
        messages.error(request, _("按证件号码或手机号码查找时请至少输入后4位数字。"))
        return redirect("members:list")
    count = queryset.count()
    if count > settings.MEMBER_EXPORT_MAX_ROWS:
        messages.error(
            request,
            _(
                "当前结果有 %(n)s 人，超过单次导出上限 %(max)s 人。请按工会或其他条件缩小范围后分批导出。"
            )
            % {"n": f"{count:,}", "max": f"{settings.MEMBER_EXPORT_MAX_ROWS:,}"},
        )
        return redirect("members:list")
    masked = not request.user.can_edit_members
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    rows = write_members_xlsx(queryset, out, masked=masked)
    out.seek(0)
    root = member_filter.union or user_root(request.user)
    audit.record(
        AuditEntry.Action.EXPORT,
        request=request,
        union=root,
        object_repr=_("会员名单（%(n)d人）") % {"n": rows},
        detail={"what": "members", "rows": rows, "masked": masked, **member_filter.describe()},
    )
    filename = f"会员名单-{root.name}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=filename)


# ---- one member ----------------------------------------------------------------


def _detail_context(request, member, *, revealed=False) -> dict:
    return {
        "member": member,
        "revealed": revealed,
        "can_edit": request.user.can_edit_members,
        "events": member.events.select_related("from_union", "to_union", "recorded_by"),
        "changes": member.changes.select_related("by"),
        "transfers": selectors.transfers_for(request.user).filter(member=member),
        "fields": _field_rows(member),
    }


def _field_rows(member) -> list[tuple[str, str]]:
    rows = []
    for name in services.EDITABLE_FIELDS:
        if name in ("name", "id_number", "mobile", "extra"):
            continue
        rows.append(
            (
                Member._meta.get_field(name).verbose_name,
                services.display(name, getattr(member, name)),
            )
        )
    return rows


@login_required
def member_detail(request, pk):
    member = _member(request, pk)
    return render(request, "members/member_detail.html", _detail_context(request, member))


@login_required
@require_POST
def member_reveal(request, pk):
    """显示完整证件号: answers the POST with the page itself, so the number never
    travels in a URL; the audit entry names the member by the masked ID."""
    member = _member(request, pk)
    _editor(request)
    audit.record(AuditEntry.Action.ID_REVEALED, request=request, union=member.union, obj=member)
    context = _detail_context(request, member, revealed=True)
    response = render(request, "members/member_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _conflict_message(request, holder: Member) -> str:
    if union_in_scope(request.user, holder.union):
        return _("该证件号码已登记为会员（%(name)s，所在工会：%(union)s），请直接修改该会员。") % {
            "name": holder.name,
            "union": holder.union.name,
        }
    return _(
        "该证件号码已在“%(union)s”登记为会员（一证一会员）。如该会员已调入本单位，"
        "请点击“申请调入”，由对方工会确认后转入。"
    ) % {"union": holder.union.name}


@login_required
def member_add(request):
    _editor(request)
    unions = unions_for(request.user)
    holder = None
    if request.method == "POST":
        form = MemberForm(request.POST, unions=unions)
        if form.is_valid():
            union = form.cleaned_data["union"]
            try:
                member = services.create_member(
                    union=union, data=form.member_data(), by=request.user, request=request
                )
            except services.MemberElsewhere as conflict:
                holder = conflict.member
                if "claim" in request.POST and not union_in_scope(request.user, holder.union):
                    try:
                        services.claim_member(
                            holder=holder, to_union=union, data=form.member_data(), by=request.user
                        )
                    except (Problem, IntegrityError) as p:
                        messages.error(request, getattr(p, "message", _("申请已存在。")))
                    else:
                        messages.success(
                            request,
                            _("已向“%(union)s”发出调入申请，对方确认后该会员转入本单位。")
                            % {"union": holder.union.name},
                        )
                        return redirect("members:transfers")
                form.add_error("id_number", _conflict_message(request, holder))
            else:
                for warning in getattr(form, "id_warnings", []):
                    messages.warning(request, warning)
                messages.success(request, _("已登记会员 %(name)s。") % {"name": member.name})
                return redirect("members:detail", pk=member.pk)
    else:
        form = MemberForm(unions=unions, initial={"union": request.user.union_id})
    return render(
        request,
        "members/member_form.html",
        {
            "form": form,
            "holder": holder,
            "can_claim": holder is not None and not union_in_scope(request.user, holder.union),
        },
    )


@login_required
def member_edit(request, pk):
    member = _member(request, pk)
    _editor(request)
    unions = unions_for(request.user)
    if request.method == "POST":
        form = MemberForm(request.POST, unions=unions, member=member)
        if form.is_valid():
            try:
                change = services.update_member(
                    member=member,
                    data=form.member_data(),
                    union=form.cleaned_data["union"],
                    by=request.user,
                    request=request,
                )
            except services.MemberElsewhere as conflict:
                form.add_error("id_number", _conflict_message(request, conflict.member))
            else:
                for warning in getattr(form, "id_warnings", []):
                    messages.warning(request, warning)
                if change is None:
                    messages.info(request, _("没有修改任何内容。"))
                else:
                    messages.success(request, _("已保存修改。"))
                return redirect("members:detail", pk=member.pk)
    else:
        form = MemberForm(initial=MemberForm.initial_for(member), unions=unions, member=member)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@login_required
def member_event(request, pk):
    """会籍变动: 转出 files a transfer request; the other kinds change the status now."""
    member = _member(request, pk)
    _editor(request)
    form = MemberEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == MemberEventForm.TRANSFER:
                target = services.find_union(data["to_union"])
                transfer = services.request_transfer(
                    member=member,
                    to_union=target,
                    on=data["on"],
                    reason=data["reason"],
                    by=request.user,
                )
                messages.success(
                    request,
                    _("已向“%(union)s”发出转会申请；对方接收前，会员仍在本单位。")
                    % {"union": target.name},
                )
                return redirect("members:transfer", pk=transfer.pk)
            event = services.record_event(
                member=member,
                kind=data["kind"],
                on=data["on"],
                reason=data["reason"],
                by=request.user,
                request=request,
            )
        except Problem as p:
            field = "to_union" if p.code.startswith(("union", "same")) else None
            form.add_error(field, p.message)
        else:
            messages.success(
                request,
                _("已办理%(kind)s，会籍状态：%(status)s。")
                % {"kind": event.get_kind_display(), "status": member_status(event)},
            )
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_event.html", {"form": form, "member": member})


def member_status(event) -> str:
    event.member.refresh_from_db(fields=["status"])
    return event.member.get_status_display()


# ---- transfers -----------------------------------------------------------------


def _transfer(request, pk) -> TransferRequest:
    return get_in_scope(selectors.transfers_for(request.user), pk=pk)


def _can_decide(user, transfer) -> bool:
    return user.can_edit_members and union_in_scope(user, services.deciding_union(transfer))


def _can_cancel(user, transfer) -> bool:
    return user.can_edit_members and union_in_scope(user, services.requesting_union(transfer))


def _member_name_for(transfer, *, can_see_member: bool) -> str:
    """The union that asked for a member held elsewhere sees the name it supplied,
    not the holder's record; a receiving union deciding on a 转出 sees the record's."""
    if can_see_member or transfer.origin == TransferRequest.Origin.TRANSFER:
        return transfer.member.name
    return str(transfer.proposed.get("name") or "")


def _within(root, union) -> bool:
    return bool(root and union.tree_id == root.tree_id and root.lft <= union.lft <= root.rght)


@login_required
def transfer_list(request):
    """转会申请: those waiting for this subtree's decision, those it sent, and the past."""
    root = user_root(request.user)
    visible = selectors.transfers_for(request.user).select_related("member__union")
    pending = visible.filter(state=TransferRequest.State.PENDING)
    transfers = list(pending) + list(visible.exclude(state=TransferRequest.State.PENDING)[:200])
    to_decide, sent, done = [], [], []
    editor = request.user.can_edit_members
    for t in transfers:
        t.can_decide = editor and _within(root, services.deciding_union(t))
        t.can_see_member = _within(root, t.member.union)
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
        {"to_decide": to_decide, "sent": sent, "done": done},
    )


@login_required
def transfer_detail(request, pk):
    transfer = _transfer(request, pk)
    can_see_member = members_for(request.user).filter(pk=transfer.member_id).exists()
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
                for k, v in services.proposed_data(transfer.proposed).items()
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


# ---- data review ---------------------------------------------------------------


def _review_union(request):
    """The union a review page is about: ?union=<pk> inside the scope, else the own union."""
    union_pk = _int(request.GET.get("union") or request.POST.get("union"))
    if union_pk is None:
        root = user_root(request.user)
        if root is None:
            raise Http404
        return root
    return get_in_scope(unions_for(request.user), pk=union_pk)


def _union_options(request) -> list[tuple[int, str]]:
    unions = _subtree_unions(request)
    base = unions[0].level if unions else 0
    return [(u.pk, "　" * (u.level - base) + u.name) for u in unions]


@login_required
def review(request):
    """Members whose data need a look: warnings, keyset-paged."""
    union = _review_union(request)
    members = members_for(request.user).filter(subtree_q(union, "union"))
    flagged = selectors.with_region(members).filter(selectors.review_q()).select_related("union")
    page = selectors.keyset_page(flagged, after=_int(request.GET.get("after")))
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
        members_for(request.user)
        .filter(union=union, status__in=(Member.Status.ACTIVE, Member.Status.RESERVED))
        .select_related("union")
    )
    page = selectors.keyset_page(own, after=_int(request.GET.get("after")))
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
            "can_edit": request.user.can_edit_members,
            "totals": (sum(r.total for r in rows), sum(r.confirmed for r in rows)),
        },
    )


@login_required
@require_POST
def confirm(request):
    """确认 one member, or every member listed on the page (bulk)."""
    _editor(request)
    field = "page_member" if "all" in request.POST else "member"
    ids = {i for i in map(_int, request.POST.getlist(field)) if i is not None}
    members = members_for(request.user).filter(pk__in=ids)
    if len(ids) != members.count():
        raise Http404
    count = services.confirm_members(members=members, by=request.user)
    messages.success(request, _("已确认 %(n)d 名会员的信息。") % {"n": count})
    params = {k: request.POST[k] for k in ("union", "after") if request.POST.get(k)}
    return redirect(reverse("members:checklist") + ("?" + urlencode(params) if params else ""))
