"""The confidentiality pledge page: read, tick, accept."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from unions import pledge


class PledgeForm(forms.Form):
    agree = forms.BooleanField(
        label=gettext_lazy("我已阅读并承诺遵守以上内容"),
        error_messages={"required": gettext_lazy("请先勾选“我已阅读并承诺遵守以上内容”。")},
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
def pledge_page(request):
    version = pledge.current()
    signed = pledge.has_signed_current(request.user, request.session)
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and not signed and form.is_valid():
        pledge.accept(request.user, request=request)
        messages.success(request, _("已签署保密承诺书。"))
        return redirect(_next(request))
    return render(
        request,
        "registration/pledge.html",
        {"version": version, "signed": signed, "form": form, "next": _next(request)},
    )
