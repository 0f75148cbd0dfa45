"""Writes to the member register: add, edit, membership changes, transfers, review.

Every function takes keyword arguments only and runs in one transaction. Nothing
here deletes a member: a change of membership is an event plus a new status.
Rights (who may call what) are checked by the views through `unions.access`;
the rules that hold whoever calls (one ID one member, legal state changes) are here.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, MemberChange, MembershipEvent, TransferRequest
from registry import codes
from registry.validators import Problem, check_date, mask_id, mask_phone
from unions import audit
from unions.models import AuditEntry, Union, User
from unions.selectors import UnionNotFound, resolve_union

# The fields a form (or an accepted transfer's proposed data) may set.
EDITABLE_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "ethnicity",
    "political_status",
    "education",
    "mobile",
    "join_date",
    "household_type",
    "employment_status",
    "new_employment_form",
    "union_post",
    "post_type",
    "extra",
)

# 会籍变动 that change the status of a member who stays in the union.
STATUS_AFTER = {
    MembershipEvent.Kind.JOIN: Member.Status.ACTIVE,
    MembershipEvent.Kind.RESERVE: Member.Status.RESERVED,
    MembershipEvent.Kind.RETIRE: Member.Status.RETIRED,
    MembershipEvent.Kind.LEAVE: Member.Status.LEFT,
    MembershipEvent.Kind.EXPEL: Member.Status.EXPELLED,
    MembershipEvent.Kind.WITHDRAW: Member.Status.WITHDRAWN,
    MembershipEvent.Kind.DEATH: Member.Status.DECEASED,
}

# A member in one of these states can still be transferred to another union.
TRANSFERABLE = (Member.Status.ACTIVE, Member.Status.RESERVED)


class MemberElsewhere(Exception):
    """The ID is already registered: `member` is the holder (name only its union to users)."""

    def __init__(self, member: Member):
        super().__init__(member.union.name)
        self.member = member


# ---- history -------------------------------------------------------------------


def display(field: str, value) -> str:
    """A value as a person reads it, for the history: codes as names, IDs masked."""
    if value is None or value == "":
        return ""
    if field == "id_number":
        return mask_id(value)
    if field == "mobile":
        return mask_phone(value)
    if field == "new_employment_form":
        return _("是") if value else _("否")
    if field == "union":
        return value.name if isinstance(value, Union) else str(value)
    if field == "status":
        return str(Member.Status(value).label)
    if field == "extra":
        return "；".join(f"{k}：{v}" for k, v in value.items())
    if isinstance(value, datetime.date):
        return value.isoformat()
    model_field = Member._meta.get_field(field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _diff(member: Member, data: dict) -> dict:
    changes = {}
    for field, new in data.items():
        old = getattr(member, field)
        if old != new and not (old in (None, "") and new in (None, "")):
            changes[field] = [display(field, old), display(field, new)]
    return changes


def _log_change(member, *, by, source, changes, source_ref="") -> MemberChange | None:
    if not changes:
        return None
    return MemberChange.objects.create(
        member=member, by=by, source=source, source_ref=source_ref, changes=changes
    )


# ---- add and edit --------------------------------------------------------------


def holder_of(id_type: str, id_number: str, *, exclude: Member | None = None) -> Member | None:
    """The member already registered under this ID (一证一会员), if any."""
    qs = Member.objects.select_related("union").filter(id_type=id_type, id_number=id_number)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.first()


@transaction.atomic
def create_member(*, union: Union, data: dict, by: User, request=None) -> Member:
    """Register one member (入会). Raises MemberElsewhere when the ID is taken."""
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    holder = holder_of(data["id_type"], data["id_number"])
    if holder is not None:
        raise MemberElsewhere(holder)
    try:
        with transaction.atomic():
            member = Member.objects.create(union=union, **data)
    except IntegrityError:
        # registered by someone else between the check and the insert
        holder = holder_of(data["id_type"], data["id_number"])
        if holder is None:
            raise
        raise MemberElsewhere(holder) from None
    MembershipEvent.objects.create(
        member=member,
        kind=MembershipEvent.Kind.JOIN,
        on=member.join_date or timezone.localdate(),
        to_union=union,
        recorded_by=by,
    )
    _log_change(
        member,
        by=by,
        source=MemberChange.Source.FORM,
        changes={
            "union": ["", union.name],
            **{f: ["", display(f, v)] for f, v in data.items() if v not in (None, "", {})},
        },
    )
    audit.record(
        AuditEntry.Action.MEMBER_CHANGED,
        request=request,
        actor=by,
        union=union,
        obj=member,
        detail={"action": "created"},
    )
    return member


@transaction.atomic
def update_member(
    *, member: Member, data: dict, by: User, union: Union | None = None, request=None
) -> MemberChange | None:
    """Edit one member's record; every changed field goes to the history (IDs masked)."""
    member = Member.objects.select_for_update().select_related("union").get(pk=member.pk)
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    if (data.get("id_type", member.id_type), data.get("id_number", member.id_number)) != (
        member.id_type,
        member.id_number,
    ):
        holder = holder_of(
            data.get("id_type", member.id_type),
            data.get("id_number", member.id_number),
            exclude=member,
        )
        if holder is not None:
            raise MemberElsewhere(holder)
    changes = _diff(member, data)
    moved_from = None
    if union is not None and union.pk != member.union_id:
        # Moving inside the editor's own subtree needs no acceptance: the same
        # officers would accept it. It is still a 转出 and a 转入 in the history.
        changes["union"] = [member.union.name, union.name]
        moved_from, member.union = member.union, union
    if not changes:
        return None
    for field, value in data.items():
        setattr(member, field, value)
    member.save()
    if moved_from is not None:
        for kind in (MembershipEvent.Kind.TRANSFER_OUT, MembershipEvent.Kind.TRANSFER_IN):
            MembershipEvent.objects.create(
                member=member,
                kind=kind,
                reason=_("本级及下级工会之间调整"),
                from_union=moved_from,
                to_union=union,
                recorded_by=by,
            )
    change = _log_change(member, by=by, source=MemberChange.Source.FORM, changes=changes)
    audit.record(
        AuditEntry.Action.MEMBER_CHANGED,
        request=request,
        actor=by,
        union=member.union,
        obj=member,
        detail={"fields": sorted(changes)},
    )
    return change


# ---- membership changes --------------------------------------------------------


def _check_event_date(on: datetime.date) -> None:
    if on > timezone.localdate():
        raise Problem("date_format", _("变动日期不能晚于今天。"))


@transaction.atomic
def record_event(
    *, member: Member, kind: str, on: datetime.date, reason: str = "", by: User, request=None
) -> MembershipEvent:
    """保留会籍, 退休, 离职, 除名, 退会, 死亡 (or 入会 again): new status, one event."""
    if kind not in STATUS_AFTER:
        raise Problem("invalid_choice", _("转会请使用“转出”办理，需对方工会接收。"))
    member = Member.objects.select_for_update().get(pk=member.pk)
    new_status = STATUS_AFTER[kind]
    if member.status == Member.Status.DECEASED:
        raise Problem("invalid_state", _("该会员已登记为死亡，不能再办理会籍变动。"))
    if member.status == new_status:
        raise Problem(
            "invalid_state",
            _("该会员的会籍状态已经是“%(status)s”。") % {"status": member.get_status_display()},
        )
    _check_event_date(on)
    event = MembershipEvent.objects.create(
        member=member,
        kind=kind,
        on=on,
        reason=reason,
        from_union=member.union,
        recorded_by=by,
    )
    old_status = member.status
    member.status = new_status
    member.save(update_fields=["status", "updated_at"])
    _log_change(
        member,
        by=by,
        source=MemberChange.Source.EVENT,
        source_ref=f"event:{event.pk}",
        changes={"status": [display("status", old_status), display("status", new_status)]},
    )
    audit.record(
        AuditEntry.Action.MEMBER_CHANGED,
        request=request,
        actor=by,
        union=member.union,
        obj=member,
        detail={"event": kind, "status": new_status},
    )
    return event


def find_union(ref: str) -> Union:
    """A receiving union named by its exact name or code, anywhere in the registry."""
    try:
        return resolve_union(ref, active_only=True)
    except UnionNotFound as error:
        raise Problem(error.code, error.message) from None


@transaction.atomic
def request_transfer(
    *,
    member: Member,
    to_union: Union,
    on: datetime.date,
    reason: str = "",
    by: User,
    origin: str = TransferRequest.Origin.TRANSFER,
    proposed: dict | None = None,
) -> TransferRequest:
    """转出: ask `to_union` to take the member; they stay where they are until it accepts."""
    member = Member.objects.select_for_update().select_related("union").get(pk=member.pk)
    if to_union.pk == member.union_id:
        raise Problem("same_union", _("转入工会就是会员现在所在的工会。"))
    if member.status not in TRANSFERABLE:
        raise Problem(
            "invalid_state",
            _("会籍状态为“%(status)s”的会员不能转会。") % {"status": member.get_status_display()},
        )
    if member.transfers.filter(state=TransferRequest.State.PENDING, to_union=to_union).exists():
        raise Problem(
            "transfer_pending",
            _("已有一份转入“%(union)s”的申请等待处理，不必重复提交。") % {"union": to_union.name},
        )
    _check_event_date(on)
    return TransferRequest.objects.create(
        member=member,
        from_union=member.union,
        to_union=to_union,
        origin=origin,
        on=on,
        reason=reason,
        proposed=proposed or {},
        requested_by=by,
    )


def deciding_union(transfer: TransferRequest) -> Union:
    """Who accepts: the receiving union for a 转出; the holder for requests the
    receiving side raised (an import conflict, a claim from the add form)."""
    if transfer.origin == TransferRequest.Origin.TRANSFER:
        return transfer.to_union
    return transfer.from_union


def requesting_union(transfer: TransferRequest) -> Union:
    if transfer.origin == TransferRequest.Origin.TRANSFER:
        return transfer.from_union
    return transfer.to_union


def proposed_data(proposed: dict) -> dict:
    """The importing union's row data, kept to the fields a form could set."""
    data = {}
    for field, value in (proposed or {}).items():
        if field in ("id_type", "id_number") or field not in EDITABLE_FIELDS:
            continue
        if field == "extra":
            if isinstance(value, dict):
                data["extra"] = value
            continue
        if field == "new_employment_form" and not isinstance(value, bool) and value is not None:
            value = {"1": True, "0": False}.get(codes.YES_NO.resolve(value))
        if field in ("birth_date", "join_date") and value not in (None, ""):
            try:
                value = check_date(value, allow_year_month=True)
            except Problem:
                continue
        data[field] = value
    return data


@transaction.atomic
def decide_transfer(
    *, transfer: TransferRequest, accept: bool, by: User, note: str = "", request=None
) -> TransferRequest:
    """接收 moves the member (events 转出 and 转入, history); 拒绝 leaves them where they are."""
    transfer = TransferRequest.objects.select_for_update().get(pk=transfer.pk)
    if transfer.state != TransferRequest.State.PENDING:
        raise Problem(
            "invalid_state",
            _("这份申请已经处理过了（%(state)s）。") % {"state": transfer.get_state_display()},
        )
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.decision_note = note
    if not accept:
        transfer.state = TransferRequest.State.REFUSED
        transfer.save()
        return transfer

    member = Member.objects.select_for_update().select_related("union").get(pk=transfer.member_id)
    if member.union_id != transfer.from_union_id:
        raise Problem("member_moved", _("该会员已不在转出工会，这份申请不能再接收。"))
    if member.status not in TRANSFERABLE:
        raise Problem(
            "invalid_state",
            _("会籍状态为“%(status)s”的会员不能转会。") % {"status": member.get_status_display()},
        )
    to_union = transfer.to_union
    data = proposed_data(transfer.proposed)
    if "extra" in data:
        data["extra"] = {**member.extra, **data["extra"]}
    changes = _diff(member, data)
    changes["union"] = [member.union.name, to_union.name]
    if member.status != Member.Status.ACTIVE:
        changes["status"] = [display("status", member.status), display("status", "active")]
    for field, value in data.items():
        setattr(member, field, value)
    member.union = to_union
    member.status = Member.Status.ACTIVE
    member.save()
    common = {
        "member": member,
        "on": transfer.on,
        "reason": transfer.reason,
        "from_union": transfer.from_union,
        "to_union": to_union,
        "recorded_by": by,
    }
    MembershipEvent.objects.create(kind=MembershipEvent.Kind.TRANSFER_OUT, **common)
    MembershipEvent.objects.create(kind=MembershipEvent.Kind.TRANSFER_IN, **common)
    _log_change(
        member,
        by=by,
        source=MemberChange.Source.EVENT,
        source_ref=f"transfer:{transfer.pk}",
        changes=changes,
    )
    transfer.state = TransferRequest.State.ACCEPTED
    transfer.save()
    audit.record(
        AuditEntry.Action.MEMBER_CHANGED,
        request=request,
        actor=by,
        union=to_union,
        obj=member,
        detail={"transfer": transfer.pk, "from": transfer.from_union.name, "to": to_union.name},
    )
    # Other open requests for this member no longer describe where they are.
    TransferRequest.objects.filter(member=member, state=TransferRequest.State.PENDING).exclude(
        pk=transfer.pk
    ).update(
        state=TransferRequest.State.CANCELLED,
        decided_at=timezone.now(),
        decision_note=_("会员已转入其他工会。"),
    )
    return transfer


@transaction.atomic
def cancel_transfer(*, transfer: TransferRequest, by: User) -> TransferRequest:
    transfer = TransferRequest.objects.select_for_update().get(pk=transfer.pk)
    if transfer.state != TransferRequest.State.PENDING:
        raise Problem("invalid_state", _("这份申请已经处理过了，不能撤回。"))
    transfer.state = TransferRequest.State.CANCELLED
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.save()
    return transfer


@transaction.atomic
def claim_member(
    *, holder: Member, to_union: Union, data: dict, by: User, reason: str = ""
) -> TransferRequest:
    """The add form found the ID in another union: ask the holder to release the member,
    with the form's data applied if it accepts."""
    proposed = {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in data.items()
        if k in EDITABLE_FIELDS and k not in ("id_type", "id_number") and v not in (None, "")
    }
    return request_transfer(
        member=holder,
        to_union=to_union,
        on=timezone.localdate(),
        reason=reason or _("本单位新登记该会员时发现其已在其他工会登记。"),
        by=by,
        origin=TransferRequest.Origin.CLAIM,
        proposed=proposed,
    )


# ---- 半年度核查 ---------------------------------------------------------------


def review_cycle_start(today: datetime.date | None = None) -> datetime.date:
    """Data are reviewed every January and July: the current cycle began on the 1st."""
    today = today or timezone.localdate()
    return datetime.date(today.year, 7 if today.month >= 7 else 1, 1)


@transaction.atomic
def confirm_members(*, members, by: User) -> int:
    """确认: the member's data were checked now. `members` is an already-scoped queryset."""
    return members.update(confirmed_at=timezone.now())
