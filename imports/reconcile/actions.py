"""What the user confirms on a list comparison's result, member by member.

Nothing changes until one of these runs, and each goes through the one writer of its
kind: `members.services` (record_event, request_transfer, update_member, claim_member),
the normal import preview (imports.services.create_job), the self-service link
(selfservice.services). Each call writes one audit entry (`reconcile_confirmed`) naming
the job, the action and the count; the entries it handled are marked done and are
never handled twice.
"""

import datetime
import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from imports import services as import_services
from imports.models import ImportJob, ReconcileEntry
from members import services as member_services
from members.models import Member, MemberChange, MembershipEvent
from registry import codes
from registry.cells import safe_text
from registry.validators import Problem, mask_id
from selfservice import services as selfservice
from unions import audit
from unions.access import can_edit_members
from unions.models import AuditEntry, Union, User

Group = ReconcileEntry.Group
Action = ReconcileEntry.Action

# The membership events offered for someone registered here but not on the list.
EVENT_KINDS = [
    (MembershipEvent.Kind.LEAVE, MembershipEvent.Kind.LEAVE.label),
    (MembershipEvent.Kind.TRANSFER_OUT, MembershipEvent.Kind.TRANSFER_OUT.label),
    (MembershipEvent.Kind.RESERVE, MembershipEvent.Kind.RESERVE.label),
    (MembershipEvent.Kind.RETIRE, MembershipEvent.Kind.RETIRE.label),
    (MembershipEvent.Kind.WITHDRAW, MembershipEvent.Kind.WITHDRAW.label),
    (MembershipEvent.Kind.DEATH, MembershipEvent.Kind.DEATH.label),
]


@dataclass
class Outcome:
    done: int = 0
    problems: list[str] = field(default_factory=list)  # per member, in Chinese
    job: ImportJob | None = None  # the import started by "通过导入登记"


def open_entries(job: ImportJob, group: str, ids) -> list[ReconcileEntry]:
    """The chosen entries of `group` not handled yet (others are silently left out)."""
    wanted = [int(i) for i in ids if str(i).isdigit() and len(str(i)) < 16]
    return list(
        job.entries.filter(group=group, pk__in=wanted, done_at__isnull=True)
        .select_related("member", "member__union")
        .order_by("row", "id")
    )


def _mark(entries: list[ReconcileEntry], action: str, by: User, ref: str = "") -> None:
    ReconcileEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        action=action, action_ref=ref[:50], done_at=timezone.now(), done_by=by
    )


def _audit(job: ImportJob, action: str, count: int, *, by: User, request, **more) -> None:
    if count:
        audit.record(
            AuditEntry.Action.RECONCILE_CONFIRMED,
            request=request,
            actor=by,
            union=job.union,
            obj=job,
            detail={"job": job.pk, "action": action, "count": count, **more},
        )


def _who(entry: ReconcileEntry) -> str:
    return f"{entry.name}（{mask_id(entry.id_number)}）"


def _reason(job: ImportJob) -> str:
    return _("名单比对：不在名单《%(file)s》中") % {"file": job.original_filename}


# ---- 应采未采 ----------------------------------------------------------------------------


def invite(*, job: ImportJob, ids, by: User, url: str, request=None) -> Outcome:
    """发送入会邀请: the union's application link by SMS to each chosen person with a phone."""
    outcome = Outcome()
    sent = []
    for entry in open_entries(job, Group.MISSING, ids):
        if not entry.mobile:
            outcome.problems.append(
                _("%(who)s：名单中没有手机号码，请把入会链接或海报转给本人。")
                % {"who": _who(entry)}
            )
            continue
        try:
            selfservice.invite_to_join(union=job.union, mobile=entry.mobile, url=url)
        except selfservice.Refused as refused:
            outcome.problems.append(f"{_who(entry)}：{refused.message}")
            continue
        sent.append(entry)
    _mark(sent, Action.INVITED, by)
    outcome.done = len(sent)
    _audit(job, Action.INVITED, outcome.done, by=by, request=request)
    return outcome


ROSTER_HEADER = ["姓名", "证件类型", "证件号码", "手机号码", "工作单位"]


def roster_bytes(entries: list[ReconcileEntry]) -> bytes:
    """The chosen people as a member roster the import engine reads."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("会员信息")
    sheet.append(ROSTER_HEADER)
    for e in entries:
        sheet.append(
            [
                safe_text(e.name),
                codes.ID_TYPE.name_of(e.id_type),
                e.id_number,
                e.mobile,
                safe_text(e.unit_name),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@transaction.atomic
def send_to_import(*, job: ImportJob, ids, by: User, request=None) -> Outcome:
    """通过导入登记: the chosen people become a roster upload for the union, analysed by the
    normal import (preview first, the user confirms it there). Nothing is written here."""
    entries = open_entries(job, Group.MISSING, ids)
    if not entries:
        return Outcome()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    upload = SimpleUploadedFile(f"名单比对补录-{stamp}.xlsx", roster_bytes(entries))
    started = import_services.create_job(
        uploader=by, union=job.union, kind=ImportJob.Kind.MEMBERS, upload=upload
    )
    _mark(entries, Action.IMPORTED, by, f"job:{started.pk}")
    _audit(job, Action.IMPORTED, len(entries), by=by, request=request, import_job=started.pk)
    return Outcome(done=len(entries), job=started)


# ---- registered here, not on the list ------------------------------------------------------


def record_events(
    *,
    job: ImportJob,
    ids,
    kind: str,
    on: datetime.date,
    reason: str = "",
    to_union: Union | None = None,
    by: User,
    request=None,
) -> Outcome:
    """离职, 保留会籍, 退休 … (members.services.record_event) or 转出 (request_transfer to
    `to_union`) for each chosen member; each member on its own, so one refusal (e.g. the
    status is already 已离职) does not stop the others."""
    outcome = Outcome()
    handled = []
    reason = reason or _reason(job)
    for entry in open_entries(job, Group.ABSENT, ids):
        member = entry.member
        if member is None or not can_edit_members(by, member.union):
            outcome.problems.append(_("%(who)s：不在您可以办理的范围内。") % {"who": _who(entry)})
            continue
        try:
            if kind == MembershipEvent.Kind.TRANSFER_OUT:
                transfer = member_services.request_transfer(
                    member=member, to_union=to_union, on=on, reason=reason, by=by
                )
                ref = f"transfer:{transfer.pk}"
            else:
                event = member_services.record_event(
                    member=member, kind=kind, on=on, reason=reason, by=by, request=request
                )
                ref = f"event:{event.pk}"
        except Problem as problem:
            outcome.problems.append(f"{_who(entry)}：{problem.message}")
            continue
        moved = kind == MembershipEvent.Kind.TRANSFER_OUT
        _mark([entry], Action.TRANSFER_OUT if moved else Action.EVENT, by, ref)
        handled.append(entry)
    outcome.done = len(handled)
    _audit(job, kind, outcome.done, by=by, request=request)
    return outcome


# ---- same ID, other name or phone -------------------------------------------------------


def adopt_list_values(*, job: ImportJob, ids, by: User, request=None) -> Outcome:
    """采用名单中的值: the list's name and phone for each chosen member, through
    members.services.update_member (history with source 名单比对, audit)."""
    outcome = Outcome()
    handled = []
    for entry in open_entries(job, Group.MISMATCHED, ids):
        member = entry.member
        if member is None or not can_edit_members(by, member.union):
            outcome.problems.append(_("%(who)s：不在您可以办理的范围内。") % {"who": _who(entry)})
            continue
        data = {name: getattr(entry, name) for name in entry.registered if getattr(entry, name)}
        member_services.update_member(
            member=member,
            data=data,
            by=by,
            request=request,
            source=MemberChange.Source.RECONCILE,
        )
        _mark([entry], Action.UPDATED, by)
        handled.append(entry)
    outcome.done = len(handled)
    _audit(job, Action.UPDATED, outcome.done, by=by, request=request)
    return outcome


# ---- a member of another union ----------------------------------------------------------


def request_transfers(*, job: ImportJob, ids, by: User, request=None) -> Outcome:
    """申请转入: a transfer request to the holding union for each chosen member (the
    holder decides, as for a claim from the add form); the list's name and phone go
    with it."""
    outcome = Outcome()
    if not can_edit_members(by, job.union):
        outcome.problems.append(_("您不能为“%(union)s”办理转入。") % {"union": job.union.name})
        return outcome
    handled = []
    for entry in open_entries(job, Group.ELSEWHERE, ids):
        member = Member.objects.with_id(entry.id_number).filter(id_type=entry.id_type).first()
        if member is None:
            outcome.problems.append(_("%(who)s：已不在登记库中。") % {"who": _who(entry)})
            continue
        data = {"name": entry.name}
        if entry.mobile:
            data["mobile"] = entry.mobile
        try:
            transfer = member_services.claim_member(
                holder=member, to_union=job.union, data=data, by=by, reason=_reason_claim(job)
            )
        except Problem as problem:
            outcome.problems.append(f"{_who(entry)}：{problem.message}")
            continue
        _mark([entry], Action.CLAIMED, by, f"transfer:{transfer.pk}")
        handled.append(entry)
    outcome.done = len(handled)
    _audit(job, Action.CLAIMED, outcome.done, by=by, request=request)
    return outcome


def _reason_claim(job: ImportJob) -> str:
    return _("名单比对：在名单《%(file)s》中，申请转入%(union)s") % {
        "file": job.original_filename,
        "union": job.union.name,
    }
