"""Writes to the member register: add, edit, membership changes, transfers, review.

Every function takes keyword arguments only and runs in one transaction. Nothing
here deletes a member: a change of membership is an event plus a new status.
Rights (who may call what) are checked by the callers through `unions.access`;
the rules that hold whoever calls (one ID one member, legal state changes) are here.

This module is the only writer of members, whichever door a change comes through
(form, import, transfer, /ops/ admin, commands): it alone writes the history (one
format: keyed by field, codes as names, ID numbers and phones masked), the audit
entries and the per-union tallies (`members.tallies`), in the same transaction.
"""

import dataclasses
import datetime
from collections import Counter
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from members import bulk, identity, tallies
from members.models import Member, MemberChange, MembershipEvent, TransferRequest
from registry import codes
from registry.validators import Problem, check_date, mask_id, mask_phone
from unions import audit
from unions.models import AuditEntry, Union, Unit, User
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

# Foreign keys appear in the history under the relation's name, shown by name.
_RELATIONS = {"union_id": "union", "unit_id": "unit"}


_LABELS = {"union": _lazy("所在工会"), "unit": _lazy("工作单位"), "status": _lazy("会籍状态")}


def field_label(name: str) -> str:
    """A history key as a person reads it: 学历 rather than education."""
    if name in _LABELS:
        return str(_LABELS[name])
    try:
        return str(Member._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def display(field: str, value) -> str:
    """A value as a person reads it, for the history: codes as names, IDs and phones masked."""
    if value is None or value == "" or value == {}:
        return ""
    if field == "id_number":
        return mask_id(value)
    if field == "mobile":
        return mask_phone(value)
    if field == "new_employment_form":
        return _("是") if value else _("否")
    if field in ("union", "unit"):
        return value.name if isinstance(value, Union | Unit) else str(value)
    if field == "status":
        return str(Member.Status(value).label)
    if field == "extra":
        return "；".join(f"{k}：{audit.scrub(str(v))}" for k, v in value.items())
    if isinstance(value, datetime.date):
        return value.isoformat()
    model_field = Member._meta.get_field(field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return audit.scrub(str(value))


def _empty(value) -> bool:
    return value is None or value == "" or value == {}


def changed_fields(current: Mapping, data: Mapping) -> dict[str, tuple]:
    """{field: (old, new)} for every field of `data` whose value differs from `current`
    (both keyed by attname: `union_id`, `unit_id`); empty values are all alike.
    The one comparison of a member with new data, for forms and imports alike."""
    changes = {}
    for name, new in data.items():
        old = current.get(name)
        if old != new and not (_empty(old) and _empty(new)):
            changes[name] = (old, new)
    return changes


def _editable(data: dict) -> dict:
    """The fields a caller may set; a `unit` (Unit or None) is set by its id."""
    values = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    if "unit" in data:
        values["unit_id"] = data["unit"].pk if data["unit"] is not None else None
    return values


def _values_of(member: Member) -> dict:
    return {
        name: getattr(member, name) for name in (*EDITABLE_FIELDS, "union_id", "unit_id", "status")
    }


class _Names:
    """Names of the unions and units a batch of changes mentions: two queries per batch."""

    def __init__(self, changes: list[dict]):
        wanted = {"union_id": set(), "unit_id": set()}
        for change in changes:
            for attname, ids in wanted.items():
                if attname in change:
                    ids.update(v for v in change[attname] if v is not None)
        self.names = {
            "union_id": dict(
                Union.objects.filter(pk__in=wanted["union_id"]).values_list("id", "name")
            ),
            "unit_id": dict(
                Unit.objects.filter(pk__in=wanted["unit_id"]).values_list("id", "name")
            ),
        }

    def of(self, attname: str, pk) -> str:
        return "" if pk is None else self.names[attname].get(pk, str(pk))


def history_entry(changes: dict[str, tuple], names: _Names | None = None) -> dict:
    """The history's one format: {field: [old, new]} as displayed, personal data masked."""
    names = names or _Names([changes])
    entry = {}
    for name, (old, new) in changes.items():
        if name in _RELATIONS:
            entry[_RELATIONS[name]] = [names.of(name, old), names.of(name, new)]
        else:
            entry[name] = [display(name, old), display(name, new)]
    return entry


def _log_change(member, *, by, source, changes, source_ref="") -> MemberChange | None:
    if not changes:
        return None
    return MemberChange.objects.create(
        member=member, by=by, source=source, source_ref=source_ref, changes=changes
    )


# ---- add and edit --------------------------------------------------------------


def holder_of(id_type: str, id_number: str, *, exclude: Member | None = None) -> Member | None:
    """The member already registered under this ID (一证一会员), if any."""
    qs = Member.objects.select_related("union").filter(
        id_type=id_type, id_hash=identity.id_hash(id_number)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.first()


def _creation_entry(values: dict) -> dict:
    """History of a registration typed in by a person: every value supplied, from empty."""
    return history_entry(
        {
            name: (None, value)
            for name, value in values.items()
            if (name in EDITABLE_FIELDS or name in _RELATIONS) and not _empty(value)
        }
    )


@transaction.atomic
def create_member(
    *, union: Union, data: dict, by: User | None, request=None, source=MemberChange.Source.FORM
) -> Member:
    """Register one member (入会). Raises MemberElsewhere when the ID is taken."""
    data = _editable(data)
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
    tallies.adjust(tallies.delta_for(union.pk, member.status))
    _log_change(
        member,
        by=by,
        source=source,
        changes=_creation_entry({"union_id": union.pk, **data}),
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
    *,
    member: Member,
    data: dict,
    by: User | None,
    union: Union | None = None,
    request=None,
    source=MemberChange.Source.FORM,
) -> MemberChange | None:
    """Edit one member's record; every changed field goes to the history (IDs masked)."""
    member = Member.objects.select_for_update().select_related("union").get(pk=member.pk)
    data = _editable(data)
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
    if union is not None:
        data["union_id"] = union.pk
    changes = changed_fields(_values_of(member), data)
    if not changes:
        return None
    old_union = member.union
    for name, (_old, new) in changes.items():
        setattr(member, name, new)
    member.save()
    if "union_id" in changes:
        # Moving inside the editor's own subtree needs no acceptance: the same
        # officers would accept it. It is still a 转出 and a 转入 in the history.
        tallies.adjust(tallies.moved((old_union.pk, member.status), (union.pk, member.status)))
        for kind in (MembershipEvent.Kind.TRANSFER_OUT, MembershipEvent.Kind.TRANSFER_IN):
            MembershipEvent.objects.create(
                member=member,
                kind=kind,
                reason=_("本级及下级工会之间调整"),
                from_union=old_union,
                to_union=union,
                recorded_by=by,
            )
    change = _log_change(member, by=by, source=source, changes=history_entry(changes))
    audit.record(
        AuditEntry.Action.MEMBER_CHANGED,
        request=request,
        actor=by,
        union=member.union,
        obj=member,
        detail={"fields": [field_label(name) for name in sorted(change.changes)]},
    )
    return change


# ---- many at once: rosters, demo data ---------------------------------------------

BATCH = 2000


@dataclasses.dataclass
class Roster:
    """What a roster import writes, prepared and checked by the import engine.

    `creates`: new members' values by attname (with `union_id`); `updates`: (member pk,
    values to set); `conflicts`: (member pk, holder union id, requesting union id,
    proposed values) for IDs registered outside the importer's reach (一证一会员)."""

    union: Union
    creates: list[dict] = dataclasses.field(default_factory=list)
    updates: list[tuple[int, dict]] = dataclasses.field(default_factory=list)
    conflicts: list[tuple[int, int, int, dict]] = dataclasses.field(default_factory=list)
    filename: str = ""
    counts: dict = dataclasses.field(default_factory=dict)


def _noop_progress(stage: str, done: int, total: int) -> None:
    return None


@transaction.atomic
@tallies.deferred()  # the tallies are locked last, in one statement (tallies.deferred)
def apply_roster(roster: Roster, *, by: User | None, source_ref: str = "", progress=None) -> dict:
    """Write a checked roster in one transaction: new members (with their 入会 events and
    history), changed members (history per member, 转出/转入 when the union changes), transfer
    requests for conflicts, tallies, and one audit entry with the counts.

    Returns what was actually written: {"created", "updated", "conflicts"}."""
    progress = progress or _noop_progress
    total = len(roster.creates) + len(roster.updates)
    progress("write", 0, total)
    created = len(
        register_members(
            roster.creates, by=by, source=MemberChange.Source.IMPORT, source_ref=source_ref
        )
    )
    progress("write", created, total)
    updated = 0
    # Members are locked in primary key order, whatever order the sheet lists them in: two
    # imports updating the same people wait for each other instead of deadlocking.
    updates = sorted(roster.updates, key=lambda update: update[0])
    for start in range(0, len(updates), BATCH):
        updated += _update_batch(
            updates[start : start + BATCH],
            by=by,
            source=MemberChange.Source.IMPORT,
            source_ref=source_ref,
        )
        progress("write", created + start + BATCH, total)
    opened = open_import_conflicts(roster.conflicts, by=by, source_ref=source_ref)
    audit.record(
        AuditEntry.Action.IMPORT_COMMITTED,
        actor=by,
        union=roster.union,
        object_repr=roster.filename,
        detail={"file": roster.filename, "source_ref": source_ref, **roster.counts},
    )
    progress("write", total, total)
    return {"created": created, "updated": updated, "conflicts": opened}


def register_members(
    rows: list[dict], *, by: User | None, source: str, source_ref: str = ""
) -> list[int]:
    """Insert new members in bulk (COPY on PostgreSQL): each with its 入会 event and its
    place in the tallies. No history entry: the 入会 event records the registration and
    the stored upload (`source_ref`) holds the row as written; history starts with the
    first change. `rows` are values by attname with
    `union_id`; a row may carry `status` and `created_at` (demo data back-dates them), and
    `id_hash`, the blind index of its own `id_number` when the caller computed it already
    (the import engine matched the row by it).
    Returns the new primary keys. The caller has checked one ID = one member; the
    unique index refuses a duplicate anyway (IntegrityError, nothing written)."""
    if not rows:
        return []
    now = timezone.now()
    today = timezone.localdate()
    by_id = by.pk if by is not None and by.pk else None
    for values in rows:
        values.setdefault("created_at", now)
        values["updated_at"] = now
        values.setdefault("status", Member.Status.ACTIVE)
    # blind indexes and last four computed as each row is written
    pks = bulk.insert(Member, rows, derive=_identity_columns)
    bulk.insert(
        MembershipEvent,
        [
            {
                "member_id": pk,
                "on": values.get("join_date") or today,
                "to_union_id": values["union_id"],
            }
            for pk, values in zip(pks, rows, strict=True)
        ],
        common={
            "kind": MembershipEvent.Kind.JOIN,
            "recorded_by_id": by_id,
            "recorded_at": now,
            "reason": _("导入") if source == MemberChange.Source.IMPORT else "",
        },
        pks=False,
    )
    tallies.adjust(Counter((values["union_id"], values["status"]) for values in rows))
    return pks


def _identity_columns(values: dict) -> dict:
    return identity.columns(values, known_id_hash=values.get("id_hash", ""))


def _update_batch(chunk: list[tuple[int, dict]], *, by, source: str, source_ref: str) -> int:
    """Apply (pk, values) to members, locked; history per changed member. Returns how
    many changed."""
    members = Member.objects.select_for_update().order_by("pk").in_bulk([pk for pk, _v in chunk])
    now = timezone.now()
    changed: list[tuple[Member, dict, int | None]] = []
    fields: set[str] = {"updated_at"}
    for pk, values in chunk:
        member = members.get(pk)
        if member is None:
            continue
        values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS or k in _RELATIONS}
        changes = changed_fields(_values_of(member), values)
        if not changes:
            continue
        old_union = member.union_id
        for name, (_old, new) in changes.items():
            setattr(member, name, new)
        derived = identity.columns(
            {k: new for k, (_old, new) in changes.items() if k in ("id_number", "mobile")}
        )
        for name, value in derived.items():
            setattr(member, name, value)
        member.updated_at = now
        fields.update(changes, derived)
        changed.append((member, changes, old_union))
    if not changed:
        return 0
    Member.objects.bulk_update([m for m, _c, _u in changed], sorted(fields))
    names = _Names([c for _m, c, _u in changed])
    by_id = by.pk if by is not None and by.pk else None
    bulk.insert(
        MemberChange,
        [
            {
                "member_id": m.pk,
                "at": now,
                "by_id": by_id,
                "source": source,
                "source_ref": source_ref,
                "changes": history_entry(c, names),
            }
            for m, c, _u in changed
        ],
        pks=False,
    )
    deltas = Counter()
    events = []
    for member, changes, old_union in changed:
        if "union_id" not in changes:
            continue
        # update(), not +=: a Counter's += drops the old union's -1
        deltas.update(tallies.moved((old_union, member.status), (member.union_id, member.status)))
        for kind in (MembershipEvent.Kind.TRANSFER_OUT, MembershipEvent.Kind.TRANSFER_IN):
            events.append(
                {
                    "member_id": member.pk,
                    "kind": kind,
                    "on": now.date(),
                    "reason": _("本级及下级工会之间调整"),
                    "from_union_id": old_union,
                    "to_union_id": member.union_id,
                    "recorded_by_id": by_id,
                    "recorded_at": now,
                }
            )
    bulk.insert(MembershipEvent, events, pks=False)
    tallies.adjust(deltas)
    return len(changed)


def open_import_conflicts(
    conflicts: list[tuple[int, int, int, dict]], *, by: User | None, source_ref: str
) -> int:
    """A transfer request per ID a roster names that another union holds (one open
    request per member and receiving union: importing the sheet again adds none)."""
    if not conflicts:
        return 0
    pending = set(
        TransferRequest.objects.filter(
            member_id__in=[c[0] for c in conflicts], state=TransferRequest.State.PENDING
        ).values_list("member_id", "to_union_id")
    )
    requests = []
    for member_id, holder_id, to_union_id, proposed in conflicts:
        if (member_id, to_union_id) in pending:
            continue
        pending.add((member_id, to_union_id))
        requests.append(
            TransferRequest(
                member_id=member_id,
                from_union_id=holder_id,
                to_union_id=to_union_id,
                origin=TransferRequest.Origin.IMPORT_CONFLICT,
                **_sealed_proposal(proposed),
                source_ref=source_ref,
                requested_by=by if by is not None and by.pk else None,
                reason=_("导入时发现该会员已在其他工会登记"),
            )
        )
    TransferRequest.objects.bulk_create(requests)
    return len(requests)


def _sealed_proposal(proposed: dict | None) -> dict:
    """A transfer request's proposal as stored: without the ID (the member has it), the
    phone in its own encrypted column rather than in the JSON."""
    proposed = dict(proposed or {})
    for name in ("id_type", "id_number"):
        proposed.pop(name, None)
    return {"proposed": proposed, "proposed_mobile": proposed.pop("mobile", None) or ""}


def proposal_of(transfer: TransferRequest) -> dict:
    """The data a transfer request would apply on acceptance (`proposed_data`, with the phone)."""
    data = proposed_data(transfer.proposed)
    if transfer.proposed_mobile:
        data["mobile"] = transfer.proposed_mobile
    return data


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
    tallies.adjust(tallies.moved((member.union_id, old_status), (member.union_id, new_status)))
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
        detail={
            "event": str(MembershipEvent.Kind(kind).label),
            "status": str(Member.Status(new_status).label),
        },
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
        **_sealed_proposal(proposed),
        requested_by=by,
    )


def deciding_side(origin: str) -> str:
    """Who accepts: the receiving union ("to_union") for a 转出; the holder ("from_union")
    for requests the receiving side raised (an import conflict, a claim from the add form)."""
    return "to_union" if origin == TransferRequest.Origin.TRANSFER else "from_union"


def deciding_union(transfer: TransferRequest) -> Union:
    return getattr(transfer, deciding_side(transfer.origin))


def requesting_union(transfer: TransferRequest) -> Union:
    side = deciding_side(transfer.origin)
    return transfer.from_union if side == "to_union" else transfer.to_union


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
        audit.record(
            AuditEntry.Action.TRANSFER_REFUSED,
            request=request,
            actor=by,
            union=deciding_union(transfer),
            obj=transfer.member,
            detail={
                "transfer": transfer.pk,
                "from": transfer.from_union.name,
                "to": transfer.to_union.name,
                "reason": note,
            },
        )
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
    data = proposal_of(transfer)
    if "extra" in data:
        data["extra"] = {**member.extra, **data["extra"]}
    data["union_id"] = to_union.pk
    data["status"] = Member.Status.ACTIVE
    before = (member.union_id, member.status)
    changes = changed_fields(_values_of(member), data)
    for name, (_old, value) in changes.items():
        setattr(member, name, value)
    member.save()
    tallies.adjust(tallies.moved(before, (to_union.pk, Member.Status.ACTIVE)))
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
        changes=history_entry(changes),
    )
    transfer.state = TransferRequest.State.ACCEPTED
    transfer.save()
    audit.record(
        AuditEntry.Action.TRANSFER_ACCEPTED,
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


@transaction.atomic
def confirm_member(*, member: Member, by: User | None = None, source_ref: str = "") -> Member:
    """One member's data were checked now (the member themselves, through self-service,
    when `by` is None): `confirmed_at`, one history entry. The caller audits."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    old = member.confirmed_at
    member.confirmed_at = timezone.now()
    member.save(update_fields=["confirmed_at", "updated_at"])
    _log_change(
        member,
        by=by,
        source=MemberChange.Source.FORM,
        source_ref=source_ref,
        changes={
            "confirmed_at": [
                timezone.localtime(old).strftime("%Y-%m-%d %H:%M") if old else "",
                timezone.localtime(member.confirmed_at).strftime("%Y-%m-%d %H:%M"),
            ]
        },
    )
    return member
