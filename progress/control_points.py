"""控制点: freeze a subtree (its unions, its members and its counts) with a checksum, and
compare two frozen points — the traceable record seed 004 asks for at each stage.

A point's data file (gzip, JSON lines, through Django's storage API) holds per member only
what a comparison needs: id, union, status, name, masked ID and a keyed fingerprint of the
whole record (a change of any field changes it; the fingerprint cannot be turned back into
the values). The SHA-256 of the uncompressed content is stored on the row, so a file
changed afterwards is detected (`verify`).
"""

import datetime
import gzip
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from members.models import Member
from progress.models import Campaign, ControlPoint
from registry.validators import mask_id
from unions import audit
from unions.access import subtree_q
from unions.models import AuditEntry, Union, User

FORMAT = 1
_RECORD_FIELDS = (
    "id_type",
    "id_number",
    "name",
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
    "union_id",
    "unit_id",
    "status",
    "extra",
)


class PointUnusable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def request_point(
    *, union: Union, by: User | None, reason: str, campaign: Campaign | None = None, request=None
) -> ControlPoint:
    """Record the request and freeze in the worker once this transaction commits."""
    from progress.tasks import freeze_control_point

    point = ControlPoint.objects.create(union=union, campaign=campaign, reason=reason, taken_by=by)
    audit.record(
        AuditEntry.Action.CONTROL_POINT,
        request=request,
        actor=by,
        union=union,
        obj=point,
        detail={"reason": point.get_reason_display()},
    )
    transaction.on_commit(lambda: freeze_control_point.delay(point.pk))
    return point


def _fingerprint(values: tuple) -> str:
    text = json.dumps(values, ensure_ascii=False, default=str, sort_keys=True)
    return salted_hmac("progress.control_point", text).hexdigest()[:32]


def freeze(point_id: int) -> ControlPoint:
    """Read the subtree as it is now (one consistent snapshot) and store it."""
    point = ControlPoint.objects.select_related("union").get(pk=point_id)
    if point.state != ControlPoint.State.PENDING:
        return point
    raw = io.BytesIO()
    counts: Counter = Counter()
    members = active = unions = 0
    with transaction.atomic():  # one snapshot of the tables on PostgreSQL
        root = Union.objects.get(pk=point.union_id)
        taken_at = timezone.now()
        header = {"format": FORMAT, "union": root.pk, "taken_at": taken_at.isoformat()}
        raw.write(_line(["header", header]))
        for row in (
            Union.objects.filter(subtree_q(root))
            .order_by("lft")
            .values_list("id", "parent_id", "name", "credit_code", "system_code", "is_active")
        ):
            unions += 1
            raw.write(_line(["union", *row]))
        rows = (
            Member.objects.filter(subtree_q(root, "union"))
            .order_by("id")
            .values_list("id", *_RECORD_FIELDS)
        )
        for pk, *values in rows.iterator(chunk_size=5000):
            record = dict(zip(_RECORD_FIELDS, values, strict=True))
            members += 1
            if record["status"] == Member.Status.ACTIVE:
                active += 1
                counts[record["union_id"]] += 1
            raw.write(
                _line(
                    [
                        "member",
                        pk,
                        record["union_id"],
                        record["status"],
                        record["name"],
                        mask_id(record["id_number"]),
                        _fingerprint(tuple(values)),
                    ]
                )
            )
    content = raw.getvalue()
    point.checksum = hashlib.sha256(content).hexdigest()
    point.data.save(
        f"{taken_at:%Y%m%d-%H%M%S}-{point.pk}.jsonl.gz",
        ContentFile(gzip.compress(content, compresslevel=6)),
        save=False,
    )
    point.taken_at = taken_at
    point.members, point.active_members, point.unions = members, active, unions
    point.counts = {str(k): v for k, v in counts.items()}
    point.state = ControlPoint.State.READY
    point.save()
    return point


def _line(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, default=str) + "\n").encode()


def _content(point: ControlPoint) -> bytes:
    if point.state != ControlPoint.State.READY or not point.data:
        raise PointUnusable(_("控制点“%(p)s”尚未冻结完成。") % {"p": point})
    with point.data.open("rb") as fh:
        return gzip.decompress(fh.read())


def verify(point: ControlPoint) -> bool:
    """The stored data are exactly what was frozen."""
    try:
        return hashlib.sha256(_content(point)).hexdigest() == point.checksum
    except (OSError, EOFError, gzip.BadGzipFile, PointUnusable):
        return False


@dataclass
class FrozenMember:
    id: int
    union_id: int
    status: str
    name: str
    masked_id: str
    fingerprint: str


@dataclass
class Frozen:
    unions: dict[int, str] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)
    members: dict[int, FrozenMember] = field(default_factory=dict)

    def below(self, root_id: int) -> set[int]:
        """`root_id` and every union under it, as the tree stood at this point."""
        children: dict[int | None, list[int]] = {}
        for pk, parent in self.parents.items():
            children.setdefault(parent, []).append(pk)
        found, stack = set(), [root_id]
        while stack:
            pk = stack.pop()
            if pk in found:
                continue
            found.add(pk)
            stack.extend(children.get(pk, []))
        return found


def load(point: ControlPoint) -> Frozen:
    if not verify(point):
        raise PointUnusable(
            _("控制点“%(p)s”的数据与冻结时的校验值不符（已被改动或损坏），不能用于比对。")
            % {"p": point}
        )
    frozen = Frozen()
    for line in _content(point).splitlines():
        kind, *values = json.loads(line)
        if kind == "union":
            frozen.unions[values[0]] = values[2]
            frozen.parents[values[0]] = values[1]
        elif kind == "member":
            member = FrozenMember(*values)
            frozen.members[member.id] = member
    return frozen


@dataclass
class Comparison:
    older: ControlPoint
    newer: ControlPoint
    added: list[FrozenMember]
    removed: list[FrozenMember]
    changed: list[tuple[FrozenMember, FrozenMember]]
    per_union: list[tuple[str, int, int]]  # (union, active before, active after)


def covering(union: Union):
    """Points whose subtree holds `union` (its own and those of the unions above it)."""
    return ControlPoint.objects.filter(
        union__tree_id=union.tree_id, union__lft__lte=union.lft, union__rght__gte=union.rght
    ).select_related("union", "taken_by", "campaign")


def compare(older: ControlPoint, newer: ControlPoint, *, within: Union) -> Comparison:
    """Members added, removed and changed between two points, and the members on the roll
    per union at each — all within `within`'s subtree (a point taken higher up holds more)."""
    if (older.taken_at or older.requested_at) > (newer.taken_at or newer.requested_at):
        older, newer = newer, older
    a, b = load(older), load(newer)
    a_ids, b_ids = a.below(within.pk), b.below(within.pk)
    a_members = {pk: m for pk, m in a.members.items() if m.union_id in a_ids}
    b_members = {pk: m for pk, m in b.members.items() if m.union_id in b_ids}
    added = [m for pk, m in b_members.items() if pk not in a_members]
    removed = [m for pk, m in a_members.items() if pk not in b_members]
    changed = [
        (a_members[pk], m)
        for pk, m in b_members.items()
        if pk in a_members and a_members[pk].fingerprint != m.fingerprint
    ]
    names = {**a.unions, **b.unions}
    before = {int(k): v for k, v in older.counts.items() if int(k) in a_ids}
    after = {int(k): v for k, v in newer.counts.items() if int(k) in b_ids}
    per_union = sorted(
        (
            (names.get(pk, str(pk)), before.get(pk, 0), after.get(pk, 0))
            for pk in set(before) | set(after)
        ),
        key=lambda row: (-(abs(row[2] - row[1])), row[0]),
    )
    return Comparison(older, newer, added, removed, changed, per_union)


def points_at_deadline(today: datetime.date | None = None) -> list[ControlPoint]:
    """The beat's job: when a campaign's deadline is today, freeze every tree once."""
    today = today or timezone.localdate()
    created = []
    for campaign in Campaign.objects.filter(deadline=today):
        for root in Union.objects.filter(parent__isnull=True, is_active=True):
            exists = ControlPoint.objects.filter(
                union=root, campaign=campaign, reason=ControlPoint.Reason.DEADLINE
            ).exists()
            if not exists:
                with transaction.atomic():
                    created.append(
                        request_point(
                            union=root,
                            by=None,
                            reason=ControlPoint.Reason.DEADLINE,
                            campaign=campaign,
                        )
                    )
    return created
