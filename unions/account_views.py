"""账号管理: 管理员 open, edit, reset and switch off the accounts of their subtree."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.paging import paginate
from unions import lockout, mfa, pledge, services
from unions.access import accounts_for, admin_required, audit_for, get_in_scope
from unions.forms import AccountFilterForm, AccountForm
from unions.selectors import account_history, filter_accounts

# The initial password travels from the create/reset POST to the sheet page in the
# session and is removed the first time the sheet shows it.
_SHEET_KEY = "account_sheet:{}"


def _hand_over(request, account, password: str, *, reason: str):
    request.session[_SHEET_KEY.format(account.pk)] = {"password": password, "reason": reason}
    return redirect("unions:account_sheet", pk=account.pk)


@admin_required
def account_list(request):
    form = AccountFilterForm(request.GET or None, actor=request.user)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    accounts = filter_accounts(
        pledge.with_signed_flag(accounts_for(request.user)),
        q=filters.get("q", ""),
        union=filters.get("union"),
        role=filters.get("role", ""),
        active=filters.get("active", ""),
    )
    if filters.get("pledge") == "unsigned":
        accounts = accounts.filter(signed_pledge=False)
    page, pager = paginate(request, accounts, unit=_("个账号"))
    return render(
        request, "accounts/account_list.html", {"form": form, "page": page, "pager": pager}
    )


@admin_required
def account_create(request):
    form = AccountForm(request.POST or None, actor=request.user)
    if form.is_valid():
        account, password = services.create_account(
            actor=request.user,
            union=form.cleaned_data["union"],
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            full_name=form.cleaned_data["full_name"],
            request=request,
        )
        messages.success(request, _("账号已开通。请打印账号开通单交给使用人。"))
        return _hand_over(request, account, password, reason="created")
    if request.method == "GET" and request.GET.get("union"):
        form.initial["union"] = request.GET["union"]
    return render(request, "accounts/account_form.html", {"form": form, "creating": True})


@admin_required
def account_detail(request, pk):
    account = get_in_scope(accounts_for(request.user).select_related("union", "created_by"), pk=pk)
    history = account_history(audit_for(request.user), account)[:30]
    locks = [
        {"rule": lock.rule, "until": timezone.localtime(lock.until), "ip": lock.ip_address}
        for lock in lockout.account_locks(account.username)
    ]
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "history": history,
            "locks": locks,
            "mfa_enrolled": mfa.is_enrolled(account),
            "mfa_required": mfa.required_for(account),
            "pledge_signed": pledge.has_signed_current(account),
        },
    )


@require_POST
@admin_required
def account_unlock(request, pk):
    account = get_in_scope(accounts_for(request.user), pk=pk)
    services.unlock_account(actor=request.user, account=account, request=request)
    messages.success(request, _("账号 %(name)s 已解除锁定。") % {"name": account.username})
    return redirect("unions:account_detail", pk=account.pk)


@require_POST
@admin_required
def account_mfa_reset(request, pk):
    account = get_in_scope(accounts_for(request.user), pk=pk)
    if account.pk == request.user.pk:
        messages.error(request, _("不能重置自己的双因素认证，请联系上级工会的管理员。"))
        return redirect("unions:account_detail", pk=account.pk)
    services.reset_second_factor(actor=request.user, account=account, request=request)
    messages.success(
        request,
        _("账号 %(name)s 的双因素认证已重置，下次登录时重新启用。") % {"name": account.username},
    )
    return redirect("unions:account_detail", pk=account.pk)


@admin_required
def account_edit(request, pk):
    account = get_in_scope(accounts_for(request.user).select_related("union"), pk=pk)
    initial = {"full_name": account.first_name, "union": account.union_id, "role": account.role}
    form = AccountForm(request.POST or None, actor=request.user, account=account, initial=initial)
    if form.is_valid():
        services.update_account(
            actor=request.user,
            account=account,
            union=form.cleaned_data.get("union", account.union),
            role=form.cleaned_data.get("role", account.role),
            full_name=form.cleaned_data["full_name"],
            request=request,
        )
        messages.success(request, _("账号信息已保存。"))
        return redirect("unions:account_detail", pk=account.pk)
    return render(
        request, "accounts/account_form.html", {"form": form, "account": account, "creating": False}
    )


@admin_required
def account_sheet(request, pk):
    account = get_in_scope(accounts_for(request.user).select_related("union"), pk=pk)
    handed = request.session.pop(_SHEET_KEY.format(account.pk), None)
    return render(
        request,
        "accounts/account_sheet.html",
        {
            "account": account,
            "password": handed["password"] if handed else None,
            "reason": handed["reason"] if handed else None,
        },
    )


@require_POST
@admin_required
def account_reset(request, pk):
    account = get_in_scope(accounts_for(request.user), pk=pk)
    if account.pk == request.user.pk:
        messages.error(request, _("不能重置自己的密码，请使用“修改密码”。"))
        return redirect("unions:account_detail", pk=account.pk)
    password = services.reset_password(actor=request.user, account=account, request=request)
    messages.success(request, _("密码已重置，旧密码立即失效。请打印账号开通单交给使用人。"))
    return _hand_over(request, account, password, reason="reset")


@require_POST
@admin_required
def account_set_active(request, pk):
    account = get_in_scope(accounts_for(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    if account.pk == request.user.pk:
        messages.error(request, _("不能停用自己的账号。"))
        return redirect("unions:account_detail", pk=account.pk)
    services.set_account_active(actor=request.user, account=account, active=active, request=request)
    if active:
        messages.success(request, _("账号 %(name)s 已启用。") % {"name": account.username})
    else:
        messages.success(
            request, _("账号 %(name)s 已停用，立即不能再登录。") % {"name": account.username}
        )
    return redirect("unions:account_detail", pk=account.pk)
