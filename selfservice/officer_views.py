"""The officers' side: application links and posters, the review queue, correction
requests, and 扫码核验 of membership cards.

Who may do what is asked of `unions.access` only: links, applications and corrections
are for editors (管理员, 采集员) of the union or above it; objects outside the
subtree answer 404. Any union account may check a card."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.services import holder_of
from registry.validators import Problem
from selfservice import services
from selfservice.forms import DecisionForm
from selfservice.models import Application, CorrectionRequest
from selfservice.selectors import applications_for, corrections_for
from unions import audit
from unions.access import (
    can_edit_members,
    get_in_scope,
    permission_required,
    unions_for,
    user_root,
)
from unions.middleware import pledge_required
from unions.models import AuditEntry


def editor_required(view):
    """管理员 and 采集员 of the union, having signed the confidentiality pledge (applicants'
    ID numbers and phones are on these pages)."""
    return pledge_required(permission_required(can_edit_members)(view))


account_required = permission_required(lambda user: user_root(user) is not None)

# How many levels below the own union the links page lists (deeper unions: their page).
LINK_LEVELS = 2


@editor_required
def links(request):
    root = user_root(request.user)
    unions = (
        unions_for(request.user)
        .filter(is_active=True, level__lte=root.level + LINK_LEVELS)
        .order_by("tree_id", "lft")
    )
    return render(
        request,
        "selfservice/links.html",
        {"rows": [(union, union.level - root.level) for union in unions]},
    )


@editor_required
def poster(request, pk: int):
    union = get_in_scope(unions_for(request.user).filter(is_active=True), pk=pk)
    url = request.build_absolute_uri(
        reverse("selfservice:apply", kwargs={"token": services.join_token(union)})
    )
    return render(
        request,
        "selfservice/poster.html",
        {
            "union": union,
            "url": url,
            "qr": services.qr_svg(url),
            "for_unorganised": union.kind in services.UNORGANISED_WORKERS_KINDS,
        },
    )


@editor_required
def queue(request):
    applications = applications_for(request.user)
    return render(
        request,
        "selfservice/queue.html",
        {
            "pending": applications.filter(state=Application.State.PENDING),
            "decided": applications.exclude(state=Application.State.PENDING)[:50],
            "corrections": corrections_for(request.user).filter(
                state=CorrectionRequest.State.PENDING
            ),
        },
    )


@editor_required
def application_detail(request, pk: int):
    application = get_in_scope(applications_for(request.user), pk=pk)
    holder = None
    if application.state == Application.State.PENDING:
        holder = holder_of(application.id_type, application.id_number)
    return render(
        request,
        "selfservice/application_detail.html",
        {
            "application": application,
            "holder": holder,
            "form": DecisionForm(),
        },
    )


@editor_required
@require_POST
def application_decide(request, pk: int):
    application = get_in_scope(applications_for(request.user), pk=pk)
    if not can_edit_members(request.user, application.union):
        return redirect("selfservice:application", pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择批准或不通过。"))
        return redirect("selfservice:application", pk=pk)
    try:
        if form.cleaned_data["decision"] == "approve":
            application = services.approve_application(
                application=application, by=request.user, request=request
            )
        else:
            application = services.reject_application(
                application=application,
                by=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
    except Problem as problem:
        messages.error(request, problem.message)
        return redirect("selfservice:application", pk=pk)
    if application.state == Application.State.APPROVED:
        messages.success(request, _("已批准，%(name)s已登记为会员。") % {"name": application.name})
    elif application.state == Application.State.TRANSFER:
        messages.success(
            request,
            _("%(name)s已在“%(holder)s”登记为会员，已向该工会发出调入申请，对方同意后转入。")
            % {"name": application.name, "holder": application.transfer.from_union.name},
        )
    else:
        messages.success(request, _("已退回申请，申请人查询时会看到原因。"))
    return redirect("selfservice:queue")


@editor_required
def correction_detail(request, pk: int):
    correction = get_in_scope(corrections_for(request.user), pk=pk)
    return render(
        request,
        "selfservice/correction_detail.html",
        {"correction": correction, "form": DecisionForm()},
    )


@editor_required
@require_POST
def correction_decide(request, pk: int):
    correction = get_in_scope(corrections_for(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择更正或不采纳。"))
        return redirect("selfservice:correction", pk=pk)
    try:
        services.decide_correction(
            correction=correction,
            accept=form.cleaned_data["decision"] == "approve",
            by=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except Problem as problem:
        messages.error(request, problem.message)
        return redirect("selfservice:correction", pk=pk)
    messages.success(request, _("更正申请已处理。"))
    return redirect("selfservice:queue")


@account_required
def scan(request, token: str):
    """扫码核验: valid or not, name, union, card number — never the ID number."""
    member = services.member_from_card(token)
    valid = services.card_valid(member)
    audit.record(
        AuditEntry.Action.CARD_CHECKED,
        request=request,
        obj=member,
        detail={"valid": valid},
    )
    return render(
        request,
        "selfservice/scan.html",
        {
            "member": member,
            "valid": valid,
            "number": services.card_number(member) if member else "",
        },
    )
