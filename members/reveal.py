"""显示完整证件号 / 手机号 for one page view. The POST (members.views.member_reveal) is
audited and leaves a random one-time token in the session; the redirect's URL carries only
that token, never the number. The detail page consumes the token: a reload, the back
button or a copied URL shows the masked values again and writes no second audit entry."""

import secrets

from unions.models import AuditEntry

FIELDS = {
    "id_number": AuditEntry.Action.ID_REVEALED,
    "mobile": AuditEntry.Action.MOBILE_REVEALED,
}
SESSION_KEY = "member_reveal"
KEPT = 10  # tokens not yet used (several tabs); older ones are dropped


def grant(request, member, field: str) -> str:
    token = secrets.token_urlsafe(12)
    pending = dict(request.session.get(SESSION_KEY) or {})
    pending[token] = [member.pk, field]
    request.session[SESSION_KEY] = dict(list(pending.items())[-KEPT:])
    return token


def take(request, member, token: str | None) -> frozenset:
    """The fields `token` reveals on this view of `member` (empty: none); used up at once."""
    if not token:
        return frozenset()
    pending = dict(request.session.get(SESSION_KEY) or {})
    granted = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if not granted or granted[0] != member.pk or granted[1] not in FIELDS:
        return frozenset()
    return frozenset({granted[1]})
