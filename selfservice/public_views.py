"""The public side: apply to join, verify the phone, see the application's status,
check and confirm one's own record, ask for a correction, show the membership card.

No page shows anything of a member before the phone is verified; the answer to the
self-check form is the same whether or not the ID is registered; no personal data in
URLs (the forms are POSTed, what is pending lives in the session)."""

import datetime
import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.identity import mobile_hash
from members.models import Member
from registry.validators import Problem, mask_phone
from selfservice import services
from selfservice.forms import ApplicationForm, CodeForm, CorrectionForm, MobileForm, SelfCheckForm
from selfservice.models import Application
from unions.models import Union

PENDING = "selfservice_pending"
VERIFIED_MEMBER = "selfservice_member"
VERIFIED_PHONE = "selfservice_phone"


def _until() -> float:
    return time.time() + settings.SELF_SERVICE_SESSION_MINUTES * 60


def _verified(request, key: str):
    value = request.session.get(key)
    if not value or value.get("until", 0) < time.time():
        request.session.pop(key, None)
        return None
    return value


def verified_member(request) -> Member | None:
    value = _verified(request, VERIFIED_MEMBER)
    if value is None:
        return None
    return Member.objects.select_related("union").filter(pk=value["member"]).first()


def _start(request, *, purpose: str, mobile: str, data: dict, form, template, context):
    """Throttle, text a code, remember what waits for it, go to the code page."""
    try:
        services.allow_public_form(request)
        services.send_code(mobile=mobile, purpose=purpose, request=request)
    except services.Refused as refused:
        form.add_error(None, refused.message)
        return render(request, template, {**context, "form": form})
    request.session[PENDING] = {"purpose": purpose, "mobile": mobile, "data": data}
    return redirect("selfservice:verify")


@never_cache
def apply(request, token: str):
    union = services.union_from_join_token(token)
    if union is None:
        raise Http404
    context = {"union": union}
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {
            **form.application_data(),
            "union": union.pk,
            "signed_at": timezone.now().isoformat(),
        }
        return _start(
            request,
            purpose="apply",
            mobile=data["mobile"],
            data=data,
            form=form,
            template="selfservice/apply.html",
            context=context,
        )
    return render(request, "selfservice/apply.html", {**context, "form": form})


@never_cache
def verify(request):
    """The one code page of every public flow."""
    pending = request.session.get(PENDING)
    if not pending:
        return render(request, "selfservice/verify.html", {"nothing_pending": True})
    form = CodeForm(request.POST or None)
    context = {
        "form": form,
        "masked_mobile": mask_phone(pending["mobile"]),
    }
    if request.method == "POST":
        try:
            services.allow_public_form(request)
            if request.POST.get("resend"):
                services.send_code(
                    mobile=pending["mobile"], purpose=pending["purpose"], request=request
                )
                context["resent"] = True
                return render(request, "selfservice/verify.html", context)
            if form.is_valid():
                services.verify_code(
                    mobile=pending["mobile"],
                    purpose=pending["purpose"],
                    code=form.cleaned_data["code"],
                    request=request,
                )
                del request.session[PENDING]
                return _verified_next(request, pending)
        except services.Refused as refused:
            form.add_error("code", refused.message)
    return render(request, "selfservice/verify.html", context)


def _verified_next(request, pending: dict):
    data = pending["data"]
    request.session.cycle_key()  # a verified session gets a new key (no fixation)
    request.session[VERIFIED_PHONE] = {"mobile": pending["mobile"], "until": _until()}
    if pending["purpose"] == "apply":
        union = Union.objects.filter(pk=data.pop("union"), is_active=True).first()
        if union is None:
            raise Http404
        services.submit_application(
            union=union,
            data={**data, "signed_at": datetime.datetime.fromisoformat(data["signed_at"])},
            request=request,
        )
        request.session["selfservice_applied"] = True
        return redirect("selfservice:status")
    if pending["purpose"] == "check":
        member = services.find_member(
            id_type=data["id_type"], id_number=data["id_number"], mobile=pending["mobile"]
        )
        if member is None:
            request.session["selfservice_not_found"] = True
            return redirect("selfservice:me")
        request.session[VERIFIED_MEMBER] = {"member": member.pk, "until": _until()}
        return redirect("selfservice:me")
    return redirect("selfservice:status")


@never_cache
def status(request):
    """入会申请 status: the applications made with this phone, after verifying it."""
    phone = _verified(request, VERIFIED_PHONE)
    if phone is not None:
        applications = Application.objects.filter(
            mobile_hash=mobile_hash(phone["mobile"])
        ).select_related("union")
        return render(
            request,
            "selfservice/status.html",
            {
                "applications": applications,
                "just_applied": request.session.pop("selfservice_applied", False),
            },
        )
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _start(
            request,
            purpose="status",
            mobile=form.cleaned_data["mobile"],
            data={},
            form=form,
            template="selfservice/status.html",
            context={},
        )
    return render(request, "selfservice/status.html", {"form": form})


@never_cache
def me(request):
    """自助核对: the lookup form, or — after the phone is verified — the own record."""
    member = verified_member(request)
    if member is not None:
        return render(
            request,
            "selfservice/me.html",
            {
                "member": member,
                "workplace": (member.extra or {}).get(services.WORKPLACE, "")
                or (member.unit.name if member.unit_id else ""),
                "confirmed": services.confirmed_this_cycle(member),
                "card_ok": services.card_valid(member),
            },
        )
    form = SelfCheckForm(request.POST or None)
    context = {"not_found": request.session.pop("selfservice_not_found", False)}
    if request.method == "POST" and form.is_valid():
        return _start(
            request,
            purpose="check",
            mobile=form.cleaned_data["mobile"],
            data={
                "id_type": form.cleaned_data["id_type"],
                "id_number": form.cleaned_data["id_number"],
            },
            form=form,
            template="selfservice/check.html",
            context=context,
        )
    return render(request, "selfservice/check.html", {**context, "form": form})


def _lookup_page(request, **context):
    """Where every member page leads without a verified phone: the empty lookup form
    (answered as a page, not a redirect, at the member pages' own addresses)."""
    return render(request, "selfservice/check.html", {"form": SelfCheckForm(), **context})


@require_POST
def me_confirm(request):
    member = verified_member(request)
    if member is None:
        return _lookup_page(request)
    services.confirm_self(member=member, request=request)
    return redirect("selfservice:card")


@require_POST
def me_leave(request):
    for key in (VERIFIED_MEMBER, VERIFIED_PHONE, PENDING):
        request.session.pop(key, None)
    return _lookup_page(request, left=True)


@never_cache
def me_correct(request):
    member = verified_member(request)
    if member is None:
        return _lookup_page(request)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note", "")
        try:
            services.allow_public_form(request)
            services.request_correction(member=member, data=data, note=note, request=request)
        except services.Refused as refused:
            form.add_error(None, refused.message)
        except Problem as problem:
            form.add_error(None, problem.message)
        else:
            return render(request, "selfservice/correct.html", {"member": member, "sent": True})
    return render(request, "selfservice/correct.html", {"member": member, "form": form})


@never_cache
def card(request):
    """The electronic membership card (惠工卡): after this half-year's confirmation."""
    member = verified_member(request)
    if member is None or not services.confirmed_this_cycle(member):
        return render(request, "selfservice/card.html", {"member": None})
    url = request.build_absolute_uri(
        reverse("selfservice:scan", kwargs={"token": services.card_token(member)})
    )
    return render(
        request,
        "selfservice/card.html",
        {
            "member": member,
            "number": services.card_number(member),
            "valid": services.card_valid(member),
            "qr": services.qr_svg(url),
        },
    )
