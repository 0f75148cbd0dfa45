from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members import identity
from registry import codes
from registry.crypto import EncryptedTextField
from registry.indexes import EqualityIndex
from registry.validators import mask_id, mask_phone


class MemberQuerySet(models.QuerySet):
    def with_id(self, number: str):
        """The member(s) holding this (normalised) ID number, by its blind index."""
        return self.filter(id_hash=identity.id_hash(number))


class Member(models.Model):
    """会员: one ID, one member across the whole registry (一证一会员)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        RESERVED = "reserved", _("保留会籍")
        TRANSFERRED = "transferred", _("已转出")
        RETIRED = "retired", _("已退休")
        LEFT = "left", _("已离职")
        EXPELLED = "expelled", _("已除名")
        WITHDRAWN = "withdrawn", _("已退会")
        DECEASED = "deceased", _("已死亡")

    id_type = models.CharField(
        _("证件类型"), max_length=2, choices=codes.ID_TYPE.choices, default=codes.ID_RESIDENT
    )
    # Encrypted at rest (registry/crypto.py); the plain columns next to it are what SQL
    # needs (members/identity.py), kept by the member writer.
    id_number = EncryptedTextField(_("证件号码"), purpose="id_number")
    id_hash = models.CharField(_("证件号码索引"), max_length=64, editable=False)
    id_last4 = models.CharField(_("证件号码后四位"), max_length=4, editable=False)
    id_region_known = models.BooleanField(_("证件号码地区代码有效"), default=False, editable=False)
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=codes.GENDER.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(
        _("民族"), max_length=2, choices=codes.ETHNICITY.choices, blank=True
    )
    political_status = models.CharField(
        _("政治面貌"), max_length=2, choices=codes.POLITICAL_STATUS.choices, blank=True
    )
    education = models.CharField(
        _("学历"), max_length=2, choices=codes.EDUCATION.choices, blank=True
    )
    mobile = EncryptedTextField(_("手机号码"), purpose="mobile", blank=True)
    mobile_hash = models.CharField(_("手机号码索引"), max_length=64, blank=True, editable=False)
    mobile_last4 = models.CharField(_("手机号码后四位"), max_length=4, blank=True, editable=False)
    join_date = models.DateField(_("入会时间"), null=True, blank=True)
    household_type = models.CharField(
        _("户籍类型"), max_length=1, choices=codes.HOUSEHOLD_TYPE.choices, blank=True
    )
    employment_status = models.CharField(
        _("就业状况"), max_length=2, choices=codes.EMPLOYMENT_STATUS.choices, blank=True
    )
    new_employment_form = models.BooleanField(_("新就业形态劳动者"), null=True, blank=True)
    union_post = models.CharField(
        _("工会职务"), max_length=2, choices=codes.UNION_POST.choices, blank=True
    )
    post_type = models.CharField(
        _("专兼职"), max_length=1, choices=codes.POST_TYPE.choices, blank=True
    )
    status = models.CharField(
        _("会籍状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    union = models.ForeignKey(
        "unions.Union",
        verbose_name=_("所在工会"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # member_union_status starts with union_id and serves the same look-ups
    )
    unit = models.ForeignKey(
        "unions.Unit",
        verbose_name=_("工作单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        db_index=False,  # member_unit: only members with a unit
    )
    # Columns a sheet carried that have no field (籍贯, 工号, 身份类别, 特长爱好 …),
    # keyed by the header as the user wrote it, so nothing supplied is dropped.
    extra = models.JSONField(_("其他信息"), default=dict, blank=True)
    confirmed_at = models.DateTimeField(_("最近核查"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        constraints = [
            # on the blind index: the database still refuses a second member with one ID
            # The blind index first: a search by full ID knows the hash, not the type.
            models.UniqueConstraint(fields=["id_hash", "id_type"], name="one_id_one_member"),
        ]
        # Every index is paid for by every import (COPY), so each one here serves a named
        # query (docs/member-register.md, 索引): no varchar_pattern_ops twins that Django's
        # db_index adds, no index on status alone.
        indexes = [
            models.Index(fields=["union", "status"], name="member_union_status"),
            # name = '王伟' and name LIKE '王%' (a pattern-ops index serves both, whatever
            # the database's collation)
            models.Index(fields=["name"], name="member_name", opclasses=["varchar_pattern_ops"]),
            EqualityIndex(fields=["mobile_hash"], name="member_mobile_hash"),
            models.Index(fields=["id_last4"], name="member_id_last4"),
            models.Index(fields=["mobile_last4"], name="member_mobile_last4"),
            # A unit's members (名单比对 by unit, SET NULL when a unit is deleted); most
            # members have no unit, and a row without one costs this index nothing.
            models.Index(
                fields=["unit"], condition=models.Q(unit__isnull=False), name="member_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id}）"

    def save(self, *args, **kwargs):
        """Keeps the blind indexes and last-four columns in step with the ID and phone
        (the bulk paths in `members.services` set them with the same function)."""
        fields = kwargs.get("update_fields")
        wanted = {"id_number", "mobile"} - self.get_deferred_fields()
        if fields is not None:
            fields = set(fields)
            wanted &= fields
        derived = identity.columns({name: getattr(self, name) for name in wanted})
        for name, value in derived.items():
            setattr(self, name, value)
        if fields is not None:
            kwargs["update_fields"] = fields | set(derived)
        super().save(*args, **kwargs)

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)

    @property
    def is_counted(self) -> bool:
        """Counts toward collection progress."""
        return self.status == self.Status.ACTIVE


class MembershipEvent(models.Model):
    """会籍变动: every change of membership, never a deletion."""

    class Kind(models.TextChoices):
        JOIN = "join", _("入会")
        TRANSFER_IN = "transfer_in", _("转入")
        TRANSFER_OUT = "transfer_out", _("转出")
        RESERVE = "reserve", _("保留会籍")
        RETIRE = "retire", _("退休")
        LEAVE = "leave", _("离职")
        EXPEL = "expel", _("除名")
        WITHDRAW = "withdraw", _("退会")
        DEATH = "death", _("死亡")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("变动类型"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("变动日期"), default=timezone.localdate)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    # Every import writes one 入会 event per new member, so each index here is paid for
    # 100,000 times per large upload. No page looks events up by union or by recorder;
    # these indexes serve the PROTECT / SET NULL checks when a union or account is
    # deleted (Django admin only: the registry switches them off instead).
    from_union = models.ForeignKey(
        "unions.Union",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # event_from_union: 入会 events have none and cost it nothing
    )
    to_union = models.ForeignKey(
        "unions.Union", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # Not indexed: an account is switched off, never deleted, in the registry; the
        # admin's delete of one scans the events once (docs/decisions.md, round 6).
        db_index=False,
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("会籍变动")
        verbose_name_plural = _("会籍变动")
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(
                fields=["from_union"],
                condition=models.Q(from_union__isnull=False),
                name="event_from_union",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class MemberChange(models.Model):
    """One change to a member's record: who, when, through what, and old → new per field."""

    class Source(models.TextChoices):
        FORM = "form", _("表单")
        IMPORT = "import", _("导入")
        EVENT = "event", _("会籍变动")
        ADMIN = "admin", _("运维后台")
        RECONCILE = "reconcile", _("名单比对")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    # e.g. an import job's id, so the history links back to the upload
    source_ref = models.CharField(_("来源编号"), max_length=50, blank=True)
    # {field name: [old, new]} with values as displayed; ID numbers are masked.
    changes = models.JSONField(_("变更内容"), default=dict)

    class Meta:
        verbose_name = _("会员信息变更")
        verbose_name_plural = _("会员信息变更")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_source_display()}"


class TransferRequest(models.Model):
    """转出 → 转入: the member stays in `from_union` until `to_union` accepts.

    Also raised by imports: a sheet naming an ID already registered elsewhere
    (`member_elsewhere`) becomes a request from the importing union to the holder.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("待接收")
        ACCEPTED = "accepted", _("已接收")
        REFUSED = "refused", _("已拒绝")
        CANCELLED = "cancelled", _("已撤回")

    class Origin(models.TextChoices):
        TRANSFER = "transfer", _("转会申请")
        IMPORT_CONFLICT = "import_conflict", _("导入冲突")
        # Raised by the receiving union (one-member form found the ID elsewhere).
        CLAIM = "claim", _("调入申请")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers")
    from_union = models.ForeignKey(
        "unions.Union", verbose_name=_("转出工会"), on_delete=models.PROTECT, related_name="+"
    )
    to_union = models.ForeignKey(
        "unions.Union", verbose_name=_("转入工会"), on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(
        _("来源"), max_length=16, choices=Origin.choices, default=Origin.TRANSFER
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    on = models.DateField(_("转会日期"), default=timezone.localdate)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    # Row data the importing union supplied, applied if the transfer is accepted.
    # (never the ID, which the member has; a phone is kept in `proposed_mobile`, encrypted)
    proposed = models.JSONField(_("拟更新信息"), default=dict, blank=True)
    proposed_mobile = EncryptedTextField(_("拟更新手机号码"), purpose="mobile", blank=True)
    source_ref = models.CharField(_("来源编号"), max_length=50, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("处理意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("转会申请")
        verbose_name_plural = _("转会申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # At most one open request per member and receiving union: re-importing
            # the same sheet does not pile up duplicates.
            models.UniqueConstraint(
                fields=["member", "to_union"],
                condition=models.Q(state="pending"),
                name="one_pending_transfer_per_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_union} → {self.to_union}（{self.get_state_display()}）"


class UnionTally(models.Model):
    """How many members of each status a union holds (its own, not its subtree).

    Kept by the member writer (`members.services`) in the same transaction as every
    change of a member's union or status, so counts never need a scan of the member
    table; `manage.py reconcile_tallies` proves them against a recount.
    """

    union = models.ForeignKey(
        "unions.Union", on_delete=models.CASCADE, related_name="tallies", db_index=False
    )
    status = models.CharField(_("会籍状态"), max_length=16, choices=Member.Status.choices)
    count = models.IntegerField(_("人数"), default=0)

    class Meta:
        verbose_name = _("会员人数台账")
        verbose_name_plural = _("会员人数台账")
        constraints = [
            models.UniqueConstraint(fields=["union", "status"], name="one_tally_per_union_status"),
        ]

    def __str__(self) -> str:
        return f"{self.union_id} {self.status} {self.count}"


class ExportJob(models.Model):
    """One member export run by the worker: the filter, progress, and the file, kept for
    `MEMBER_EXPORT_KEEP_HOURS` and downloadable only by the account that asked for it.

    The rule (which members, cap, masking, the one audit entry) is `members.exports`;
    this row only carries it to the worker and the file back. At most one unfinished job
    per account (a database constraint); the sweep (`export_jobs.sweep`) fails a job whose
    worker went silent and deletes files past their time, so no job runs forever.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("正在导出")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未完成")
        EXPIRED = "expired", _("已过期")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel（.xlsx）")
        CSV = "csv", _("CSV（UTF-8）")

    UNFINISHED = (State.QUEUED, State.RUNNING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_exports"
    )
    union = models.ForeignKey(
        "unions.Union", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The MemberFilter to run (union as its id). It may hold a searched ID number, so it
    # is emptied when the job ends; `summary` keeps the masked wording for the page.
    filter = models.JSONField(default=dict, blank=True)
    summary = models.CharField(_("导出条件"), max_length=500, blank=True)
    format = models.CharField(_("格式"), max_length=8, choices=Format.choices, default="xlsx")
    via = models.CharField(max_length=16, default="web")
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    masked = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("会员导出")
        verbose_name_plural = _("会员导出")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_unfinished_export_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.summary}（{self.get_state_display()}）"

    @property
    def is_finished(self) -> bool:
        return self.state not in self.UNFINISHED

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))
