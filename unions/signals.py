import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from unions import audit, mfa, pledge
from unions.middleware import LOGIN_AT_KEY
from unions.models import AuditEntry, Union, Unit, User


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


@receiver(m2m_changed, sender=Union.units.through)
def _units_linked(sender, instance, action, reverse, pk_set, **kwargs):
    """A union–unit link added or removed (the services, the /ops/ admin) marks the unions
    concerned as changed: the coverage kept by progress pages is versioned by the latest
    `updated_at` (`progress.coverage.units_version`), one index look-up."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    now = timezone.now()
    if not reverse:
        Union.objects.filter(pk=instance.pk).update(updated_at=now)
    elif pk_set:
        Union.objects.filter(pk__in=pk_set).update(updated_at=now)
    else:  # a unit's links cleared: its unit changed
        Unit.objects.filter(pk=instance.pk).update(updated_at=now)
