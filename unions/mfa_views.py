"""双因素认证: enrolment (QR code rendered here, never by a third party), the code asked
after the password, and the one-time recovery codes."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from unions import audit, mfa
from unions.models import AuditEntry

_CODES_KEY = "mfa_new_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg font-monospace",
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
            }
        ),
    )


def _next_url(request, default="home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _is_verified(request) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


@login_required
def mfa_overview(request):
    return render(
        request,
        "registration/mfa_overview.html",
        {
            "enrolled": mfa.is_enrolled(request.user),
            "required": mfa.required_for(request.user),
            "codes_left": mfa.recovery_codes_left(request.user),
        },
    )


@login_required
def mfa_setup(request):
    user = request.user
    if mfa.is_enrolled(user):
        if not _is_verified(request):  # enrolled from another session meanwhile
            request.session[mfa.ENROLLED_AT_LOGIN_KEY] = True
            query = urlencode({"next": _next_url(request)})
            return redirect(f"{reverse('unions:mfa_verify')}?{query}")
        return redirect("unions:mfa_overview")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="动态验证码", confirmed=False)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = mfa.new_recovery_codes(user)
            django_otp.login(request, device)
            audit.record(AuditEntry.Action.MFA_ENROLLED, request=request, obj=user)
            request.session[_CODES_KEY] = codes
            messages.success(request, _("双因素认证已启用。"))
            return redirect(
                f"{reverse('unions:mfa_codes')}?{urlencode({'next': _next_url(request)})}"
            )
        form.add_error("code", _("验证码不正确，请看手机上当前显示的 6 位数字再试。"))
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr.svg_inline(omitsize=True, title=_("扫码添加"))),  # noqa: S308
            "secret": b32encode(device.bin_key).decode(),
            "required": mfa.required_for(user),
            "next": _next_url(request),
        },
    )


@login_required
def mfa_verify(request):
    user = request.user
    if _is_verified(request):
        return redirect(_next_url(request))
    if not mfa.is_enrolled(user):  # reset by the superior meanwhile
        request.session[mfa.ENROLLED_AT_LOGIN_KEY] = False
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = mfa.verify(user, form.cleaned_data["code"])
        if device is not None:
            django_otp.login(request, device)
            kind = "static" if device.__class__.__name__ == "StaticDevice" else "totp"
            audit.record(
                AuditEntry.Action.MFA_VERIFIED, request=request, obj=user, detail={"device": kind}
            )
            if kind == "static":
                messages.warning(
                    request,
                    _("已使用一个恢复码，还剩 %(n)d 个。") % {"n": mfa.recovery_codes_left(user)},
                )
            return redirect(_next_url(request))
        audit.record(AuditEntry.Action.MFA_FAILED, request=request, obj=user)
        form.add_error(
            "code", _("验证码不正确或已使用过。请输入手机上当前的 6 位数字，或一个未用过的恢复码。")
        )
    return render(
        request, "registration/mfa_verify.html", {"form": form, "next": _next_url(request)}
    )


@login_required
def mfa_codes(request):
    """The new recovery codes, shown once right after they are made."""
    codes = request.session.pop(_CODES_KEY, None)
    return render(
        request,
        "registration/mfa_codes.html",
        {
            "codes": codes,
            "codes_left": mfa.recovery_codes_left(request.user),
            "next": _next_url(request),
        },
    )


@require_POST
@login_required
def mfa_codes_renew(request):
    if not (_is_verified(request) and mfa.is_enrolled(request.user)):
        return redirect("unions:mfa_overview")
    request.session[_CODES_KEY] = mfa.new_recovery_codes(request.user)
    audit.record(AuditEntry.Action.MFA_CODES_RENEWED, request=request, obj=request.user)
    messages.success(request, _("已生成新的恢复码，旧的恢复码全部作废。"))
    return redirect("unions:mfa_codes")
