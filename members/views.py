"""Pages of the member register. Each view: access helper → form → service → redirect.

The search may hold a full ID number, which must never appear in a URL (browser
history, proxy and server logs): the filter form is posted, kept in the session,
and the list URL carries only the paging cursor.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import export_jobs, reveal, selectors, services
from members.forms import FilterForm, MemberEventForm, MemberForm
from members.models import Member
from members.view_helpers import int_or_none, require_editor
from registry import codes
from registry.paging import keyset_pager, page_size
from registry.validators import Problem
from unions import audit
from unions.access import (
    can_edit_members,
    get_in_scope,
    union_in_scope,
    unions_for,
    user_root,
)

FILTER_SESSION_KEY = "member_filter"


def _member(request, pk) -> Member:
    return get_in_scope(selectors.members_for(request.user).select_related("union", "unit"), pk=pk)


# ---- list, search, export ------------------------------------------------------


def _current_filter(request) -> selectors.MemberFilter:
    """The filter kept in the session, its union re-checked against the user's scope
    (one query: the scope is never loaded whole)."""
    saved = dict(request.session.get(FILTER_SESSION_KEY) or {})
    union_pk = saved.pop("union", None)
    union = unions_for(request.user).filter(pk=union_pk).first() if union_pk else None
    known = selectors.MemberFilter.__dataclass_fields__
    return selectors.MemberFilter(union=union, **{k: v for k, v in saved.items() if k in known})


def _save_filter(request, cleaned: dict) -> None:
    saved = {
        k: (v or "") for k, v in cleaned.items() if k not in ("union", "union_name", "include_sub")
    }
    saved["include_sub"] = bool(cleaned.get("include_sub"))
    saved["union"] = cleaned["union"].pk if cleaned.get("union") else None
    request.session[FILTER_SESSION_KEY] = saved


def _paging(request) -> tuple[int | None, int | None]:
    """The keyset cursor; junk (?after=abc, a number beyond 64 bits) reads as page one."""
    after, before = request.GET.get("after"), request.GET.get("before")
    after_pk, before_pk = int_or_none(after), int_or_none(before)
    if (after is not None and after_pk is None) or (before is not None and before_pk is None):
        messages.warning(request, _("翻页参数无效，已显示第一页。"))
    return after_pk, before_pk


# Labels read once per request: get_FOO_display() translates every choice of the field
# again for each row (a third of a 50-row page's time).
def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


@login_required
def member_list(request):
    unions = unions_for(request.user)
    if request.method == "POST":
        if "reset" in request.POST:
            request.session.pop(FILTER_SESSION_KEY, None)
            return redirect("members:list")
        form = FilterForm(request.POST, unions=unions)
        if form.is_valid():
            _save_filter(request, form.cleaned_data)
            return redirect("members:list")
        member_filter = _current_filter(request)
    else:
        union_pk = request.GET.get("union")
        if union_pk is not None:
            # A link from another page ("this union's members"): start a fresh filter.
            pk = int_or_none(union_pk)
            union = unions.filter(pk=pk).first() if pk else None
            if union is None:
                raise Http404
            request.session[FILTER_SESSION_KEY] = {"union": union.pk, "include_sub": True}
            return redirect("members:list")
        member_filter = _current_filter(request)
        initial = {**member_filter.__dict__, "union": member_filter.union}
        form = FilterForm(initial=initial, unions=unions)

    root = user_root(request.user)
    scoped = selectors.members_in(root)
    after, before = _paging(request)
    context = {"form": form, "filter": member_filter}
    counts = selectors.ListCounts({})
    try:
        filtered = member_filter.apply(scoped)
        page = selectors.keyset_page(
            filtered.select_related("union"), after=after, before=before, size=page_size(request)
        )
        counts = selectors.list_counts(root, member_filter, scoped)
    except selectors.SearchTooShort:
        messages.error(request, _("按证件号码或手机号码查找时请至少输入后4位数字。"))
        page = selectors.Page(rows=[], next_after=None, prev_before=None)
    status_label, gender_label = _labels(Member.Status.choices), _labels(codes.GENDER.choices)
    for member in page.rows:
        member.status_label = status_label.get(member.status, member.status)
        member.gender_label = gender_label.get(member.gender, "")
    by_status = counts.by_status
    total = (
        by_status.get(member_filter.status, 0) if member_filter.status else sum(by_status.values())
    )
    context.update(
        page=page,
        pager=keyset_pager(
            request,
            page,
            total=selectors.COUNT_CAP if counts.capped else total,
            capped=counts.capped,
            unit=_("人"),
        ),
        paged=after is not None or before is not None,
        total=total,
        total_capped=counts.capped,
        count_cap=selectors.COUNT_CAP,
        status_counts=[
            (value, status_label[value], by_status.get(value, 0))
            for value, _label in Member.Status.choices
            if by_status.get(value)
        ],
        can_edit=can_edit_members(request.user),
        selects=[
            form[name]
            for name in ("status", "gender", "political_status", "new_employment_form", "education")
        ],
        running_export=export_jobs.running_for(request.user),
    )
    return render(request, "members/member_list.html", context)


# ---- one member ----------------------------------------------------------------


def _detail_context(request, member, *, revealed: frozenset = frozenset()) -> dict:
    return {
        "member": member,
        "revealed": revealed,
        "can_edit": can_edit_members(request.user),
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
    shown = reveal.take(request, member, request.GET.get("shown"))
    response = render(
        request, "members/member_detail.html", _detail_context(request, member, revealed=shown)
    )
    if shown:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def member_reveal(request, pk):
    """显示完整证件号 / 显示完整手机号: one field per POST, audited by name (the entry names
    the member by the masked ID), then a redirect to the page with a one-time token: the
    full value is shown on that page view only, and reloading it writes nothing."""
    require_editor(request)
    member = _member(request, pk)
    field = request.POST.get("field", "id_number")
    if field not in reveal.FIELDS:
        field = "id_number"
    audit.record(reveal.FIELDS[field], request=request, union=member.union, obj=member)
    token = reveal.grant(request, member, field)
    return redirect(f"{reverse('members:detail', args=[member.pk])}?shown={token}")


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
    require_editor(request)
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
    require_editor(request)
    member = _member(request, pk)
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
    require_editor(request)
    member = _member(request, pk)
    form = MemberEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == MemberEventForm.TRANSFER:
                target = data["to_union"]
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
