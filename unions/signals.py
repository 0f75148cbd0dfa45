import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from unions import audit, mfa, pledge
from unions.middleware import LOGIN_AT_KEY
from unions.models import AuditEntry, User


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        # The start of the absolute session lifetime (unions.middleware).
        request.session[LOGIN_AT_KEY] = time.time()
        # Read once here, so the gates cost no query on each request (unions.middleware).
        request.session.pop(mfa.ENROLLED_AT_LOGIN_KEY, None)
        request.session.pop(pledge.SESSION_KEY, None)
        mfa.needs_code(user, request.session)
        pledge.has_signed_current(user, request.session)
    audit.record(AuditEntry.Action.LOGIN, request=request, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditEntry.Action.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")[:150]
    account = User.objects.filter(username=username).select_related("union").first()
    audit.record(
        AuditEntry.Action.LOGIN_FAILED,
        request=request,
        actor=account,
        union=account.union if account else None,
        detail={"username": username},
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    username = (username or "")[:150]
    account = User.objects.filter(username=username).select_related("union").first()
    audit.record(
        AuditEntry.Action.LOCKOUT,
        request=request,
        actor=account,
        union=account.union if account else None,
        detail={"username": username, "ip_address": ip_address or ""},
    )
