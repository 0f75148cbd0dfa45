"""The rules of self-service: throttles, SMS codes, applications, corrections, cards.

Every write of a member goes through `members.services` (create_member, claim_member,
update_member, confirm_member); every step a visitor takes is audited (their phone is
masked by `unions.audit`). Keyword arguments only, like the other service modules.
"""

import datetime
import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from members import services as member_services
from members.identity import id_hash, mobile_hash
from members.models import Member
from registry import codes
from registry.validators import Problem
from selfservice import sms
from selfservice.models import Application, CorrectionRequest, PhoneCode, PublicHit
from unions import audit
from unions.audit import client_ip
from unions.models import AuditEntry, Union, User

HOUR = datetime.timedelta(hours=1)


class Refused(Exception):
    """A public request refused (throttle, wrong code …): `message` is for the visitor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- throttling ------------------------------------------------------------------


def allow_public_form(request, scope: str = "form") -> None:
    """Every public form submission counts against the visitor's address; past
    PUBLIC_FORMS_PER_IP_PER_HOUR in an hour, `Refused`."""
    ip = client_ip(request) or "unknown"
    now = timezone.now()
    PublicHit.objects.filter(at__lt=now - 2 * HOUR).delete()
    used = PublicHit.objects.filter(scope=scope, key=ip, at__gte=now - HOUR).count()
    if used >= settings.PUBLIC_FORMS_PER_IP_PER_HOUR:
        audit.record(
            AuditEntry.Action.SMS_REFUSED, request=request, detail={"reason": "form_per_ip"}
        )
        raise Refused(_("操作过于频繁，请一小时后再试。"))
    PublicHit.objects.create(scope=scope, key=ip)


# ---- SMS codes ---------------------------------------------------------------------

PURPOSES = {"apply": "入会申请", "check": "会员信息自助核对", "status": "查询入会申请"}


def _hash(mobile: str, code: str) -> str:
    return salted_hmac("selfservice.sms-code", f"{mobile}:{code}").hexdigest()


def send_code(*, mobile: str, purpose: str, request) -> None:
    """Text a fresh 6-digit code to `mobile` (earlier unused codes for it stop working).
    Refused when the phone asked within SMS_RESEND_SECONDS, or the phone or the address
    asked too often in the last hour."""
    now = timezone.now()
    ip = client_ip(request)
    recent = PhoneCode.objects.filter(mobile_hash=mobile_hash(mobile), created_at__gte=now - HOUR)
    refusal = None
    resend_after = now - datetime.timedelta(seconds=settings.SMS_RESEND_SECONDS)
    if recent.filter(created_at__gte=resend_after).exists():
        refusal = ("resend_interval", _("验证码已发送，请%(s)d秒后再重新获取。"))
    elif recent.count() >= settings.SMS_PER_PHONE_PER_HOUR:
        refusal = ("per_phone", _("该手机号码获取验证码次数过多，请一小时后再试。"))
    elif (
        ip
        and PhoneCode.objects.filter(ip_address=ip, created_at__gte=now - HOUR).count()
        >= settings.SMS_PER_IP_PER_HOUR
    ):
        refusal = ("per_ip", _("获取验证码过于频繁，请一小时后再试。"))
    if refusal:
        audit.record(
            AuditEntry.Action.SMS_REFUSED,
            request=request,
            detail={"mobile": mobile, "purpose": purpose, "reason": refusal[0]},
        )
        raise Refused(refusal[1] % {"s": settings.SMS_RESEND_SECONDS})
    PhoneCode.objects.filter(mobile_hash=mobile_hash(mobile), used_at__isnull=True).update(
        used_at=now
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    record = PhoneCode.objects.create(
        mobile=mobile,
        purpose=purpose,
        code_hash=_hash(mobile, code),
        ip_address=ip,
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
    )
    minutes = max(settings.SMS_CODE_TTL_SECONDS // 60, 1)
    try:
        sms.send_sms(
            mobile,
            _("【工会两库】您的验证码是%(code)s，用于%(purpose)s，%(m)d分钟内有效。请勿告诉他人。")
            % {"code": code, "purpose": PURPOSES[purpose], "m": minutes},
        )
    except sms.SmsError:
        record.delete()
        raise Refused(_("短信发送失败，请稍后再试。")) from None
    audit.record(
        AuditEntry.Action.SMS_SENT, request=request, detail={"mobile": mobile, "purpose": purpose}
    )


def verify_code(*, mobile: str, purpose: str, code: str, request) -> None:
    """Accept the latest code sent to `mobile` for `purpose` once; else `Refused`."""
    now = timezone.now()
    record = (
        PhoneCode.objects.filter(
            mobile_hash=mobile_hash(mobile), purpose=purpose, used_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    detail = {"mobile": mobile, "purpose": purpose}
    if record is None or record.expires_at <= now or record.tries >= settings.SMS_CODE_MAX_TRIES:
        audit.record(
            AuditEntry.Action.SMS_FAILED, request=request, detail={**detail, "reason": "expired"}
        )
        raise Refused(_("验证码已失效（超过有效时间或输错次数过多），请重新获取。"))
    PhoneCode.objects.filter(pk=record.pk).update(tries=F("tries") + 1)
    if constant_time_compare(record.code_hash, _hash(mobile, (code or "").strip())):
        PhoneCode.objects.filter(pk=record.pk).update(used_at=now)
        audit.record(AuditEntry.Action.SMS_VERIFIED, request=request, detail=detail)
        return
    audit.record(
        AuditEntry.Action.SMS_FAILED, request=request, detail={**detail, "reason": "wrong"}
    )
    left = settings.SMS_CODE_MAX_TRIES - record.tries - 1
    if left <= 0:
        raise Refused(_("验证码输错次数过多，已失效，请重新获取。"))
    raise Refused(_("验证码不正确，还可以再试%(n)d次。") % {"n": left})


# ---- application links ---------------------------------------------------------------

_JOIN_SALT = "selfservice.join"

# Unions that take in workers whose employer has no union yet (seed 004: "先将其纳入所属
# 区域或行业工会"): their posters say so.
UNORGANISED_WORKERS_KINDS = (
    codes.KIND_LOCAL_FEDERATION,
    codes.KIND_INDUSTRY,
    codes.KIND_FEDERATION,
)


def join_token(union: Union) -> str:
    """The public link's key: signed, so union ids cannot be walked."""
    return signing.Signer(salt=_JOIN_SALT).sign(str(union.pk))


def union_from_join_token(token: str) -> Union | None:
    try:
        pk = int(signing.Signer(salt=_JOIN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Union.objects.filter(pk=pk, is_active=True).first()


def invite_to_join(*, union: Union, mobile: str, url: str) -> None:
    """Text the union's application link (`url`, from `join_token`) to a worker who is
    not registered yet (名单比对: 应采未采). Raises `Refused` when the gateway refuses.
    The caller audits: it knows why the invitation was sent."""
    try:
        sms.send_sms(
            mobile,
            _("【工会两库】%(union)s邀请您加入工会。请打开 %(url)s 在线填写入会申请。")
            % {"union": union.name, "url": url},
        )
    except sms.SmsError:
        raise Refused(_("短信发送失败，请稍后再试。")) from None


# ---- applications ---------------------------------------------------------------------

CONSENT_VERSION = "2026-1"


@transaction.atomic
def submit_application(*, union: Union, data: dict, request) -> Application:
    """A verified application enters the union's queue."""
    application = Application.objects.create(union=union, consent_version=CONSENT_VERSION, **data)
    audit.record(
        AuditEntry.Action.APPLICATION_SUBMITTED, request=request, union=union, obj=application
    )
    return application


def _member_data(application: Application) -> dict:
    signed = timezone.localtime(application.signed_at).strftime("%Y-%m-%d %H:%M")
    return {
        "name": application.name,
        "id_type": application.id_type,
        "id_number": application.id_number,
        "mobile": application.mobile,
        "gender": application.gender,
        "birth_date": application.birth_date,
        "ethnicity": application.ethnicity,
        "political_status": application.political_status,
        "education": application.education,
        "join_date": timezone.localdate(),
        "extra": {
            "工作单位": application.workplace,
            "入会申请书": _("网上申请第%(n)d号，%(who)s签名于%(at)s")
            % {"n": application.pk, "who": application.signature, "at": signed},
        },
    }


@transaction.atomic
def approve_application(*, application: Application, by: User, request=None) -> Application:
    """批准: the member is registered in the union through the one writer. An ID already
    registered in another union becomes a transfer request to its holder instead
    (一证一会员); an ID already in this union links the application to that member."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_pending(application)
    data = _member_data(application)
    try:
        member = member_services.create_member(
            union=application.union, data=data, by=by, request=request
        )
        application.state = Application.State.APPROVED
        application.member = member
    except member_services.MemberElsewhere as elsewhere:
        holder = elsewhere.member
        if holder.union_id == application.union_id:
            application.state = Application.State.APPROVED
            application.member = holder
            application.reason = _("申请人已是本会会员。")
        else:
            application.transfer = member_services.claim_member(
                holder=holder,
                to_union=application.union,
                data=data,
                by=by,
                reason=_("网上申请入会：本人申请加入%(union)s。") % {"union": application.union},
            )
            application.state = Application.State.TRANSFER
            # The applicant reads this: it must not say where the ID is registered.
            application.reason = _(
                "申请人已在其他工会登记为会员，已发出调入申请，待原所在工会同意后转入本会。"
            )
    _decided(application, by=by, request=request)
    return application


@transaction.atomic
def reject_application(
    *, application: Application, by: User, reason: str, request=None
) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_pending(application)
    reason = (reason or "").strip()
    if not reason:
        raise Problem("required", _("请填写不通过的原因，申请人查询时会看到。"))
    application.state = Application.State.REJECTED
    application.reason = reason
    _decided(application, by=by, request=request)
    return application


def _check_pending(application: Application) -> None:
    if application.state != Application.State.PENDING:
        raise Problem(
            "invalid_state",
            _("这份申请已经处理过了（%(state)s）。") % {"state": application.get_state_display()},
        )


def _decided(application: Application, *, by: User, request) -> None:
    application.decided_by = by
    application.decided_at = timezone.now()
    application.save()
    audit.record(
        AuditEntry.Action.APPLICATION_DECIDED,
        request=request,
        actor=by,
        union=application.union,
        obj=application,
        detail={"state": str(application.get_state_display()), "reason": application.reason},
    )


# ---- self-check --------------------------------------------------------------------------


def find_member(*, id_type: str, id_number: str, mobile: str) -> Member | None:
    """The member with this ID *and* this phone; called only after the phone is verified."""
    return (
        Member.objects.select_related("union", "unit")
        .filter(id_type=id_type, id_hash=id_hash(id_number), mobile_hash=mobile_hash(mobile))
        .first()
    )


def confirm_self(*, member: Member, request) -> Member:
    """The member confirmed their record: the half-yearly confirmation of 数据核查."""
    member = member_services.confirm_member(member=member, by=None, source_ref="selfservice")
    audit.record(AuditEntry.Action.SELF_CONFIRMED, request=request, union=member.union, obj=member)
    return member


def confirmed_this_cycle(member: Member) -> bool:
    if member.confirmed_at is None:
        return False
    since = member_services.review_cycle_start()
    return timezone.localtime(member.confirmed_at).date() >= since


# Fields a member may ask to correct (the ID is what they identified with: an officer
# corrects it from the member's page).
CORRECTABLE = ("name", "mobile", "ethnicity", "political_status", "education")
WORKPLACE = "工作单位"


def _current(member: Member) -> dict:
    return {name: getattr(member, name) for name in (*CORRECTABLE, "extra")}


def _wanted(member: Member, data: dict) -> dict:
    wanted = {k: v for k, v in data.items() if k in CORRECTABLE and v not in (None, "")}
    workplace = (data.get("workplace") or "").strip()
    if workplace and workplace != (member.extra or {}).get(WORKPLACE):
        wanted["extra"] = {**(member.extra or {}), WORKPLACE: workplace}
    return wanted


@transaction.atomic
def request_correction(*, member: Member, data: dict, note: str = "", request) -> CorrectionRequest:
    """更正申请: lands in the member's union's queue with old → new (masked where personal)."""
    wanted = _wanted(member, data)
    changes = member_services.changed_fields(_current(member), wanted)
    if not changes:
        raise Problem("no_change", _("填写的内容与登记信息相同，没有需要更正的内容。"))
    shown = member_services.history_entry(changes)
    if "extra" in changes:
        old = (changes["extra"][0] or {}).get(WORKPLACE, "")
        shown.pop("extra")
        shown[WORKPLACE] = [old, wanted["extra"][WORKPLACE]]
    stored = {k: v for k, v in wanted.items() if k in changes and k not in ("extra", "mobile")}
    if "extra" in changes:
        stored["workplace"] = wanted["extra"][WORKPLACE]
    correction = CorrectionRequest.objects.create(
        member=member,
        union=member.union,
        changes=shown,
        data=stored,
        mobile=wanted["mobile"] if "mobile" in changes else "",  # its own, encrypted column
        note=note.strip()[:300],
    )
    audit.record(
        AuditEntry.Action.CORRECTION_REQUESTED,
        request=request,
        union=member.union,
        obj=member,
        detail={"fields": [member_services.field_label(k) for k in shown]},
    )
    return correction


@transaction.atomic
def decide_correction(
    *, correction: CorrectionRequest, accept: bool, by: User, reason: str = "", request=None
) -> CorrectionRequest:
    """更正 applies the requested values through the member writer (history, audit);
    不采纳 needs a reason."""
    correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
    if correction.state != CorrectionRequest.State.PENDING:
        raise Problem("invalid_state", _("这份更正申请已经处理过了。"))
    reason = (reason or "").strip()
    if accept:
        member = correction.member
        data = {k: v for k, v in correction.data.items() if k in CORRECTABLE}
        if correction.mobile:
            data["mobile"] = correction.mobile
        if correction.data.get("workplace"):
            data["extra"] = {**(member.extra or {}), WORKPLACE: correction.data["workplace"]}
        member_services.update_member(member=member, data=data, by=by, request=request)
        correction.state = CorrectionRequest.State.APPROVED
    else:
        if not reason:
            raise Problem("required", _("请填写不采纳的原因。"))
        correction.state = CorrectionRequest.State.REJECTED
    correction.reason = reason
    correction.decided_by = by
    correction.decided_at = timezone.now()
    correction.save()
    audit.record(
        AuditEntry.Action.CORRECTION_DECIDED,
        request=request,
        actor=by,
        union=correction.union,
        obj=correction.member,
        detail={"state": str(correction.get_state_display())},
    )
    return correction


# ---- the electronic membership card ----------------------------------------------------

_CARD_SALT = "selfservice.card"


def card_number(member: Member) -> str:
    return f"HGK{member.pk:010d}"


def card_token(member: Member) -> str:
    """What the card's QR code carries: signed, holding no personal data, the same every
    time (no timestamp), so a printed or saved card keeps working while the member is 在册."""
    return signing.Signer(salt=_CARD_SALT).sign_object({"m": member.pk})


def member_from_card(token: str) -> Member | None:
    try:
        pk = int(signing.Signer(salt=_CARD_SALT).unsign_object(token)["m"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return Member.objects.select_related("union").filter(pk=pk).first()


def card_valid(member: Member | None) -> bool:
    """Valid while the member is 在册 in a live union: checked live at every scan, so a
    member who left stops verifying at once."""
    return bool(member and member.status == Member.Status.ACTIVE and member.union.is_active)


def qr_svg(text: str) -> str:
    """An inline SVG QR code, drawn here (no outside service); it has a viewBox and no
    fixed size, so the page sizes it (`.qr` in app.css) and it fits a 390 px screen."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=4, omitsize=True, title="二维码")
