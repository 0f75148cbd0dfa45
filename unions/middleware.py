"""The session's idle deadline (`SessionRefreshMiddleware`, right after Django's
SessionMiddleware), then the gates every request passes after authentication, in this order:

1. `SessionLifetimeMiddleware`: a login lasts at most `SESSION_ABSOLUTE_HOURS`, however
   busy (the idle limit is the session cookie's age);
2. `SecondFactorMiddleware`: an account with a second factor (or one that must have it,
   `MFA_REQUIRED_ROLES`) does nothing else until it has entered a code or enrolled;
3. `PasswordChangeRequiredMiddleware`: an initial or reset password is changed first;
4. `PledgeGateMiddleware`: pages with personal data wait for the confidentiality pledge.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

LOGIN_AT_KEY = "login_at"
REFRESHED_AT_KEY = "refreshed_at"


def _exempt(request) -> bool:
    return request.path.startswith(("/static/", "/healthz"))


# Django refuses to redirect to a URL longer than 2048 characters; a longer way back
# is dropped (the gate page then leads home).
_MAX_NEXT = 1500


def _with_next(target: str, request) -> str:
    here = request.get_full_path()
    if request.method == "GET" and request.path != target and len(here) <= _MAX_NEXT:
        return f"{target}?{urlencode({'next': here})}"
    return target


def _redirect_with_next(name: str, request):
    return redirect(_with_next(reverse(name), request))


class SessionRefreshMiddleware:
    """Pushes the idle deadline back (saves the session, which sets its expiry to
    SESSION_COOKIE_AGE from now) when its last save is SESSION_REFRESH_SECONDS old or
    something in it changed. Saving on every request instead (SESSION_SAVE_EVERY_REQUEST)
    cost every page an UPDATE and a commit waiting for the disk; this way a session ends
    at most SESSION_REFRESH_SECONDS before the idle limit, never after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():  # no session cookie, or a logout
            return response
        refreshed = session.get(REFRESHED_AT_KEY, 0)
        if session.is_empty():  # the cookie named no live session: none is made up
            return response
        now = time.time()
        if session.modified or now - refreshed >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED_AT_KEY] = now  # marks it modified: SessionMiddleware saves it
        return response


class SessionLifetimeMiddleware:
    """Ends a session `SESSION_ABSOLUTE_HOURS` after its login, besides the idle limit.
    The login time is written at login (unions.signals); a session without one (older
    than this rule) gets it now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _exempt(request):
            started = request.session.get(LOGIN_AT_KEY)
            if started is None:
                request.session[LOGIN_AT_KEY] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_HOURS * 3600:
                from unions import audit
                from unions.models import AuditEntry

                audit.record(AuditEntry.Action.SESSION_EXPIRED, request=request, actor=user)
                auth.logout(request)
                messages.info(
                    request,
                    _("登录已满 %(hours)d 小时，请重新登录。")
                    % {"hours": settings.SESSION_ABSOLUTE_HOURS},
                )
                return redirect(_with_next(reverse("login"), request))
        return self.get_response(request)


class SecondFactorMiddleware:
    """An account that has enrolled a device enters a code after its password; one that
    must use a second factor and has none enrols first (after changing an initial
    password). Until then only these pages, logout and the password change answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not _exempt(request)
            and not user.is_verified()
        ):
            from unions import mfa

            path = request.path
            if mfa.needs_code(user, request.session):
                request.second_factor_pending = True  # base.html shows no menu meanwhile
                if path not in {reverse("unions:mfa_verify"), reverse("logout")}:
                    return _redirect_with_next("unions:mfa_verify", request)
            elif mfa.required_for(user) and not user.must_change_password:
                request.second_factor_pending = True
                allowed = {
                    reverse("unions:mfa_setup"),
                    reverse("unions:mfa_codes"),
                    reverse("logout"),
                }
                if path not in allowed:
                    return _redirect_with_next("unions:mfa_setup", request)
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """An account with an initial or reset password may do nothing but change it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("password_change"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith("/static/"):
                return redirect("password_change")
        return self.get_response(request)


class PledgeGateMiddleware:
    """Every page of the apps in `PLEDGE_NAMESPACES` (member data, uploads, error reports,
    exports), and every view marked with `pledge_required` (an app whose namespace also
    holds public pages), waits until the account has signed the current confidentiality
    pledge. Gating by namespace means a new page there is gated without anyone remembering to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        user = getattr(request, "user", None)
        gated = match is not None and (
            set(match.namespaces) & set(settings.PLEDGE_NAMESPACES)
            or getattr(view_func, "pledge_required", False)
        )
        if not gated or user is None or not user.is_authenticated:
            return None
        from unions import pledge

        if pledge.has_signed_current(user, request.session):
            return None
        return _redirect_with_next("unions:pledge", request)


def pledge_required(view):
    """Mark a view outside `PLEDGE_NAMESPACES` that shows personal data to officers."""
    view.pledge_required = True
    return view


def _scope_once(user):
    """The request's user, itself (not a lazy wrapper), marked to read its scope once."""
    if isinstance(user, SimpleLazyObject):
        user.pk  # noqa: B018 - loads the wrapped user
        user = user._wrapped
    user._scope_once = True
    return user


class ScopeOncePerRequestMiddleware:
    """A page read (GET, HEAD) reads the user's scope (`unions.access.user_root`) once,
    however many checks ask for it: the scope, the 查找工会 box, the breadcrumbs and the
    rights each asked again. Writes (POST) read it afresh at every question, so a move
    made by the request itself is seen by its later checks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and request.method in ("GET", "HEAD"):
            request.user = SimpleLazyObject(lambda: _scope_once(user))
        return self.get_response(request)
