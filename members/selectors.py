"""Reads over the member register. Callers pass querysets already narrowed by
`unions.access`; these functions only narrow them further."""

import datetime
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from members import identity
from members.models import Member, TransferRequest, UnionTally
from members.services import deciding_side
from registry import codes
from registry.validators import clean_text
from unions.access import scope, subtree_q, user_root
from unions.models import SubtreeTally, Union, User

PAGE_SIZE = 50

_FULL_ID = re.compile(r"^[0-9A-Z]{8,}$")
_ID_SUFFIX = re.compile(r"^\d{3,17}[\dX]$|^\d{4,18}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def members_for(user: User) -> QuerySet:
    """The members of the user's subtree (none for an account without a union)."""
    return scope(user, Member.objects.all(), "union")


def members_in(root: Union | None) -> QuerySet:
    """The members of `root`'s subtree, for a caller that already read the user's root
    (`unions.access.user_root`); none without one. Same rule as `members_for`."""
    if root is None:
        return Member.objects.none()
    return Member.objects.filter(in_subtree(root))


# Up to this many unions, a subtree's members are asked for by their union IDs (read
# first, one indexed query on the tree) instead of through a join on the tree's bounds:
# PostgreSQL walks the member table newest first either way, but checks a list of IDs in
# the index scan itself, where the join looked up each member's union — a town's first
# page went from ≈ 170 ms to ≈ 15 ms at 1,000,000 members. Large subtrees keep the join
# (their members are dense, a page is found after a few rows).
SMALL_SUBTREE = 2000


def in_subtree(root: Union) -> Q:
    """Members of `root` and every union below it."""
    if (
        root.parent_id is None
        and not Union.objects.filter(parent=None).exclude(pk=root.pk).exists()
    ):
        # The root of the registry's only tree holds every member: no condition, where the
        # join on the tree's bounds made PostgreSQL hash all 100,000 unions of a province
        # for every search (≈ 50 ms of a 60 ms last-4 count).
        return Q()
    if (root.rght - root.lft + 1) // 2 <= SMALL_SUBTREE:
        ids = Union.objects.filter(subtree_q(root)).values_list("pk", flat=True)
        return Q(union_id__in=list(ids))
    return subtree_q(root, "union")


class SearchTooShort(ValueError):
    pass


def search_q(text: str) -> Q:
    """What the search box means: a full ID, the last digits of an ID or of a phone, a
    mobile, or the beginning of a name. ID numbers and phones are encrypted at rest
    (members/identity.py), so each form uses a plain column and its index:

    - a full ID or a full mobile: the blind index (`id_hash`, `mobile_hash`), equality only;
    - last digits: `id_last4` and `mobile_last4`; more than four digits that are not a
      whole ID match on their last four (the database cannot see the rest);
    - a name: the `name` index (prefix, so an exact name too).
    """
    raw = (text or "").strip()
    if not raw:
        return Q()
    compact = clean_text(raw).upper()
    if _MOBILE.match(compact):
        return Q(mobile_hash=identity.mobile_hash(compact)) | Q(id_last4=compact[-4:])
    if _ID_SUFFIX.match(compact):
        if len(compact) == 18:
            return Q(id_hash=identity.id_hash(compact))
        q = Q(id_last4=compact[-4:])
        if compact.isdigit() and len(compact) < 11:
            q |= Q(mobile_last4=compact[-4:])
        return q
    if compact.isdigit():
        raise SearchTooShort(compact)
    if _FULL_ID.match(compact) and any(c.isdigit() for c in compact):
        # passports and permits: letters and digits
        return Q(id_hash=identity.id_hash(compact))
    return Q(name__startswith=re.sub(r"\s+", " ", raw))


@dataclass
class MemberFilter:
    q: str = ""
    union: Union | None = None
    include_sub: bool = True
    status: str = ""
    gender: str = ""
    political_status: str = ""
    new_employment_form: str = ""  # "1", "0" or ""
    education: str = ""
    name_contains: str = ""  # the export page's 姓名包含

    def apply(self, qs: QuerySet, *, with_status: bool = True) -> QuerySet:
        if self.q:
            qs = qs.filter(search_q(self.q))
        if self.name_contains:
            qs = qs.filter(name__contains=self.name_contains)
        if self.union is not None:
            if self.include_sub:
                qs = qs.filter(in_subtree(self.union))
            else:
                qs = qs.filter(union=self.union)
        if self.status and with_status:
            qs = qs.filter(status=self.status)
        for field in ("gender", "political_status", "education"):
            if getattr(self, field):
                qs = qs.filter(**{field: getattr(self, field)})
        if self.new_employment_form:
            qs = qs.filter(new_employment_form=self.new_employment_form == "1")
        return qs

    def counts_from_tallies(self) -> bool:
        """Whether the per-status counts of this filter are sums of tallies: only a
        union (with or without its subtree) and a status narrow it."""
        return not (
            self.q
            or self.name_contains
            or self.gender
            or self.political_status
            or self.education
            or self.new_employment_form
        )

    def summary(self) -> str:
        """The filter in one line of Chinese, for the audit log; a search by digits is
        written as “（证件号码或手机号码）”, never as the number."""
        parts = []
        if self.union is not None:
            parts.append(self.union.name + ("及全部下级" if self.include_sub else "（仅本级）"))
        if self.q:
            parts.append("查找：" + _hide_digits(self.q))
        if self.name_contains:
            parts.append("姓名包含：" + _hide_digits(self.name_contains))
        for name in ("status", "gender", "political_status", "education"):
            value = getattr(self, name)
            if value:
                field = Member._meta.get_field(name)
                label = dict(field.flatchoices).get(value, value)
                parts.append(f"{field.verbose_name}：{label}")
        if self.new_employment_form:
            label = "是" if self.new_employment_form == "1" else "否"
            parts.append(f"{Member._meta.get_field('new_employment_form').verbose_name}：{label}")
        return "；".join(parts) or "全部会员"


def _hide_digits(text: str) -> str:
    return "（证件号码或手机号码）" if any(c.isdigit() for c in text) else text


def members_to_export(user: User | None, member_filter: MemberFilter) -> QuerySet:
    """Which members an export holds — the one selector behind the export page, the
    member list's export and `manage.py export_members`: the access rule (no account,
    or a superuser without a union, is a platform operator: the whole registry), then
    the filter."""
    if user is None or (user.is_superuser and not user.union_id):
        scoped = Member.objects.all()
    else:
        scoped = members_for(user)
    return member_filter.apply(scoped)


@dataclass
class Page:
    rows: list
    next_after: int | None
    prev_before: int | None


def keyset_page(
    qs: QuerySet, *, after: int | None = None, before: int | None = None, size: int = PAGE_SIZE
) -> Page:
    """Newest first, paged by primary key (`id < last seen`), never by OFFSET: page
    20,000 costs what page 1 costs."""
    if before is not None:
        rows = list(qs.filter(pk__gt=before).order_by("pk")[: size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows=rows,
            next_after=rows[-1].pk if rows else None,
            prev_before=rows[0].pk if rows and more_before else None,
        )
    if after is not None:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(
        rows=rows,
        next_after=rows[-1].pk if rows and more else None,
        prev_before=rows[0].pk if rows and after is not None else None,
    )


def status_counts(qs: QuerySet) -> dict[str, int]:
    """Members per status in one grouped query."""
    # COUNT(*) rather than COUNT(id): answered from the (union, status) index alone.
    return dict(qs.order_by().values_list("status").annotate(n=Count("*")))


COUNT_CAP = 5_000


@dataclass
class ListCounts:
    by_status: dict[str, int]
    capped: bool = False  # more than COUNT_CAP members match; by_status is empty


_STATUS_COUNTS: dict[int, tuple[int, dict[str, int]]] = {}  # union id → (version, counts)


def subtree_status_counts(union: Union) -> dict[str, int]:
    """Members per status in `union`'s subtree: its tallies summed over its MPTT range (at a
    province's root, 100,000 unions' rows: ≈ 100 ms), remembered by this process until the
    subtree's version moves — `SubtreeTally.changes`, which every tally change below the
    union bumps (`members.tallies.adjust`). The version is read first, so remembered counts
    are never older than the version they are filed under."""
    version = SubtreeTally.objects.filter(union=union).values_list("changes", flat=True).first()
    known = _STATUS_COUNTS.get(union.pk)
    if version is not None and known is not None and known[0] == version:
        return known[1]
    rows = (
        UnionTally.objects.filter(subtree_q(union, "union"), count__gt=0)
        .order_by()
        .values_list("status")
        .annotate(n=Sum("count"))
    )
    counts = {status: n for status, n in rows if n}
    if version is not None:
        if len(_STATUS_COUNTS) > 10_000:
            _STATUS_COUNTS.clear()
        _STATUS_COUNTS[union.pk] = (version, counts)
    return counts


def list_counts(root: Union | None, member_filter: MemberFilter, scoped: QuerySet) -> ListCounts:
    """Members per status for the list's filter, never a count of a million rows:

    - a union (or the whole scope) and a status only: the tallies the member writer keeps,
      summed over the union's MPTT range — one small query whatever the tree holds;
    - any other filter (a search, gender, …): at most COUNT_CAP + 1 matching rows are
      counted (grouped by the database); beyond that the page says “超过 5,000 人”.
    """
    union = member_filter.union or root
    if union is None:
        return ListCounts({})
    if member_filter.counts_from_tallies():
        if member_filter.union is None or member_filter.include_sub:
            return ListCounts(subtree_status_counts(union))
        rows = (
            UnionTally.objects.filter(union=union, count__gt=0)
            .order_by()
            .values_list("status")
            .annotate(n=Sum("count"))
        )
        return ListCounts({status: n for status, n in rows if n})
    base = member_filter.apply(scoped, with_status=False)
    first = base.order_by().values_list("status", flat=True)[: COUNT_CAP + 1]
    inner, params = first.query.sql_with_params()
    # `inner` is Django's own compiled SQL; every value is a parameter. The database
    # groups the first COUNT_CAP + 1 matches, so only a few rows travel back.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.status, COUNT(*) FROM ({inner}) s GROUP BY s.status", params)  # noqa: S608
        by_status = dict(cursor.fetchall())
    if sum(by_status.values()) > COUNT_CAP:
        return ListCounts({}, capped=True)
    return ListCounts(by_status)


# ---- transfers -----------------------------------------------------------------


def transfers_for(user: User) -> QuerySet:
    """Requests a user may see: those sent from or to a union of their subtree.
    The other side sees the request itself, not the sender's members."""
    root = user_root(user)
    if root is None:
        return TransferRequest.objects.none()
    return TransferRequest.objects.filter(
        subtree_q(root, "from_union") | subtree_q(root, "to_union")
    ).select_related("member", "from_union", "to_union", "requested_by", "decided_by")


def pending_transfers(root: Union | None, *, deciding: bool) -> QuerySet:
    """Open requests waiting for `root`'s subtree to decide (`deciding`), or sent by it
    and waiting on the other side (the side that decides: `services.deciding_side`)."""
    if root is None:
        return TransferRequest.objects.none()
    wanted = Q()
    for origin in TransferRequest.Origin.values:
        side = deciding_side(origin)
        if not deciding:
            side = "from_union" if side == "to_union" else "to_union"
        wanted |= Q(origin=origin) & subtree_q(root, side)
    return TransferRequest.objects.filter(wanted, state=TransferRequest.State.PENDING)


# ---- data review -----------------------------------------------------------------

OPTIONAL_FIELDS = (
    "gender",
    "birth_date",
    "ethnicity",
    "political_status",
    "education",
    "join_date",
    "household_type",
    "employment_status",
    "new_employment_form",
    "union_post",
)
MIN_WORK_AGE = 16
MAX_WORK_AGE = 70


def _years_ago(today: datetime.date, years: int) -> datetime.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def review_q(today: datetime.date | None = None) -> Q:
    """Members with something to check: missing optional fields, an age implausible
    for work while 在册, or a region code no county ever had. One condition the
    database evaluates while it walks the members newest first."""
    today = today or timezone.localdate()
    missing = Q(birth_date__isnull=True) | Q(join_date__isnull=True)
    missing |= Q(new_employment_form__isnull=True)
    for field in OPTIONAL_FIELDS:
        if field not in ("birth_date", "join_date", "new_employment_form"):
            missing |= Q(**{field: ""})
    age = Q(status=Member.Status.ACTIVE) & (
        Q(birth_date__gt=_years_ago(today, MIN_WORK_AGE))
        | Q(birth_date__lt=_years_ago(today, MAX_WORK_AGE))
    )
    region = Q(id_type=codes.ID_RESIDENT, id_region_known=False)
    return missing | age | region | implausible_dates_q(today)


# Dates that can be typed but can hardly be true (the import warns about the same ones).
JOIN_MIN_AGE = 14
_JOIN_MIN_DAYS = datetime.timedelta(days=JOIN_MIN_AGE * 365 + 3)  # never past the birthday


def implausible_dates_q(today: datetime.date) -> Q:
    return (
        Q(join_date__gt=today)
        | Q(join_date__lt=F("birth_date") + _JOIN_MIN_DAYS)
        | Q(birth_date__lt=datetime.date(1900, 1, 1))
        | Q(employment_status="01", birth_date__lte=_years_ago(today, 100))
    )


def _implausible_dates(member: Member, today: datetime.date) -> list[str]:
    out = []
    born, joined = member.birth_date, member.join_date
    if joined and joined > today:
        out.append(f"入会时间{joined:%Y-%m-%d}晚于今天")
    elif joined and born and joined < born + _JOIN_MIN_DAYS:
        out.append(f"入会时间{joined:%Y-%m-%d}时不满{JOIN_MIN_AGE}岁")
    if born and born.year < 1900:
        out.append(f"出生日期{born:%Y-%m-%d}早于1900年")
    if born and member.employment_status == "01" and born <= _years_ago(today, 100):
        out.append("年满100岁，就业状况却是“在岗”")
    return out


def warnings_for(member: Member, today: datetime.date | None = None) -> list[str]:
    """What the 数据核查 page says about one member, in Chinese."""
    today = today or timezone.localdate()
    out = []
    if member.id_type == codes.ID_RESIDENT and not member.id_region_known:
        out.append(f"证件号码地区代码“{member.id_number[:6]}”不在行政区划代码表中")
    if member.birth_date and member.status == Member.Status.ACTIVE:
        years = (today - member.birth_date).days // 365
        if member.birth_date > _years_ago(today, MIN_WORK_AGE):
            out.append(f"年龄{years}岁，不满{MIN_WORK_AGE}岁却在册")
        elif member.birth_date < _years_ago(today, MAX_WORK_AGE):
            out.append(f"年龄{years}岁，超过{MAX_WORK_AGE}岁仍在册（是否已退休？）")
    out += _implausible_dates(member, today)
    missing = [
        str(Member._meta.get_field(f).verbose_name)
        for f in OPTIONAL_FIELDS
        if getattr(member, f) in (None, "")
    ]
    if missing:
        out.append("未填写：" + "、".join(missing))
    return out


@dataclass
class ChecklistRow:
    union: Union
    total: int
    confirmed: int

    @property
    def pending(self) -> int:
        return self.total - self.confirmed


def checklist(root: Union, since: datetime.date) -> list[ChecklistRow]:
    """Per union of `root`'s subtree: members under review (在册, 保留会籍) and how many
    were confirmed since the review cycle began. Two queries whatever the tree size."""
    since_at = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    counts = {
        row["union_id"]: row
        for row in Member.objects.filter(
            subtree_q(root, "union"),
            status__in=(Member.Status.ACTIVE, Member.Status.RESERVED),
        )
        .order_by()
        .values("union_id")
        .annotate(total=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__gte=since_at)))
    }
    rows = []
    for union in Union.objects.filter(subtree_q(root)).order_by("lft"):
        row = counts.get(union.pk)
        if row:
            rows.append(ChecklistRow(union=union, total=row["total"], confirmed=row["confirmed"]))
    return rows
