"""Import jobs: one uploaded sheet on its way from the browser into the registry.

The job row is the only place the browser learns how far the worker got, so
the worker writes its stage and row counts here as it goes (the page polls it),
and the problems the analysis found go into `ImportProblem` for paging and
filtering by code.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.crypto import EncryptedTextField


def upload_path(job: "ImportJob", filename: str) -> str:
    # The stored name never contains what the user typed; the original name is a field.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"imports/uploads/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def report_path(job: "ImportJob", filename: str) -> str:
    return f"imports/reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        MEMBERS = "members", _("会员信息")
        UNIONS = "unions", _("工会组织信息")
        # An outside list (payroll, social insurance, a government extract) compared with
        # the registry: analysed like a roster, never committed (imports/reconcile/).
        RECONCILE = "reconcile", _("名单比对")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队等待核对")
        READING = "reading", _("正在读取")
        VALIDATING = "validating", _("正在校验")
        MATCHING = "matching", _("正在比对")
        PREVIEW = "preview", _("待确认")
        CONFIRMED = "confirmed", _("已确认，排队等待写入")
        COMMITTING = "committing", _("正在写入")
        DONE = "done", _("已导入")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    class Stage(models.TextChoices):
        READ = "read", _("读取")
        VALIDATE = "validate", _("校验")
        MATCH = "match", _("比对")
        WRITE = "write", _("写入")

    # States in which a worker has (or will have) the job in hand.
    ANALYSING = (State.READING, State.VALIDATING, State.MATCHING)
    RUNNING = (State.QUEUED, *ANALYSING, State.CONFIRMED, State.COMMITTING)
    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)
    STATE_OF_STAGE = {
        Stage.READ: State.READING,
        Stage.VALIDATE: State.VALIDATING,
        Stage.MATCH: State.MATCHING,
    }

    kind = models.CharField(_("表格类型"), max_length=16, choices=Kind.choices)
    union = models.ForeignKey(
        "unions.Union", verbose_name=_("导入到"), on_delete=models.PROTECT, related_name="+"
    )
    # A list compared for one unit (employer) of the union: only its members count.
    unit = models.ForeignKey(
        "unions.Unit",
        verbose_name=_("单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # No union chosen at upload: the 工会名称：line above the table names it (the job's
    # `union` is then the uploader's own until the analysis has found it).
    union_from_sheet = models.BooleanField(_("按表头确定工会"), default=False)
    original_filename = models.CharField(_("文件名"), max_length=255)
    file = models.FileField(_("上传文件"), upload_to=upload_path, max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    sha256 = models.CharField(_("文件指纹"), max_length=64, db_index=True)
    file_purged_at = models.DateTimeField(_("文件清理时间"), null=True, blank=True)

    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    # ImportSummary.as_json() of the latest analysis, then of the commit; problems
    # themselves are rows of ImportProblem, so this stays small.
    summary = models.JSONField(_("结果"), default=dict, blank=True)
    report = models.FileField(_("错误报告"), upload_to=report_path, max_length=255, blank=True)
    error_message = models.TextField(_("失败原因"), blank=True)
    # The file itself cannot be read (corrupt, wrong type, no roster): trying it again
    # cannot help, only a corrected upload can.
    file_rejected = models.BooleanField(_("文件不可读"), default=False)

    attempts = models.PositiveSmallIntegerField(_("处理次数"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)
    analysed_at = models.DateTimeField(_("核对完成时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["union", "sha256"], name="import_job_same_file")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_filename}"

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    # Share of the whole run each stage takes, for one bar across all four.
    STAGE_SPAN = {
        Stage.READ: (0, 15),
        Stage.VALIDATE: (15, 45),
        Stage.MATCH: (60, 30),
        Stage.WRITE: (90, 10),
    }

    @property
    def percent(self) -> int:
        if self.state in (self.State.PREVIEW, self.State.DONE):
            return 100
        if not self.is_running or self.stage not in self.STAGE_SPAN:
            return 0
        start, span = self.STAGE_SPAN[self.stage]
        if self.stage == self.Stage.WRITE:
            return start + span // 2  # written in one transaction: no count to show
        share = self.rows_done / self.rows_total if self.rows_total else 0
        return min(99, start + round(span * share))

    @property
    def has_file(self) -> bool:
        return bool(self.file) and self.file_purged_at is None

    def count(self, name: str) -> int:
        return int(self.summary.get(name) or 0)

    @property
    def nothing_importable(self) -> bool:
        """Every row of the analysed file has an error: nothing to confirm."""
        rows = self.count("rows")
        return rows > 0 and self.count("invalid") == rows


class ImportProblem(models.Model):
    """One problem the analysis found: a cell or a row, as the user sees it in Excel."""

    class Severity(models.TextChoices):
        ERROR = "error", _("错误")
        WARNING = "warning", _("提示")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    row = models.PositiveIntegerField(_("行号"), null=True, blank=True)
    column = models.CharField(_("列"), max_length=100, blank=True)
    code = models.CharField(_("问题类型"), max_length=40)
    message = models.CharField(_("说明"), max_length=500)
    # What the cell held: often a mistyped ID number or phone, so encrypted like them.
    value = EncryptedTextField(_("填写内容"), purpose="problem_value", blank=True)
    severity = models.CharField(
        _("级别"), max_length=8, choices=Severity.choices, default=Severity.ERROR
    )

    class Meta:
        verbose_name = _("导入问题")
        verbose_name_plural = _("导入问题")
        ordering = ["job", "sheet", "row", "id"]
        indexes = [models.Index(fields=["job", "code"], name="import_problem_job_code")]

    def __str__(self) -> str:
        return f"{self.sheet} 第{self.row}行 {self.column}: {self.message}"


class ReconcileEntry(models.Model):
    """One person of a list comparison's result (imports/reconcile/): the list row, the
    registered member it matched, and whether an action on it was confirmed. Holds full
    ID numbers, like the uploaded list, and goes with the list after
    RECONCILE_FILE_RETENTION_DAYS."""

    class Group(models.TextChoices):
        MISSING = "missing", _("应采未采（名单中有，未登记）")
        ABSENT = "absent", _("已登记、名单中没有")
        MISMATCHED = "mismatched", _("信息不一致")
        ELSEWHERE = "elsewhere", _("已在其他工会登记")

    class Action(models.TextChoices):
        INVITED = "invited", _("已发送入会邀请")
        IMPORTED = "imported", _("已转导入登记")
        EVENT = "event", _("已办理会籍变动")
        TRANSFER_OUT = "transfer_out", _("已申请转出")
        UPDATED = "updated", _("已采用名单中的值")
        CLAIMED = "claimed", _("已申请转入")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="entries")
    group = models.CharField(_("类别"), max_length=16, choices=Group.choices)
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    row = models.PositiveIntegerField(_("行号"), null=True, blank=True)
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    id_type = models.CharField(_("证件类型"), max_length=2, blank=True)
    # Encrypted at rest like a member's (registry/crypto.py): a list holds people who are
    # not members at all, and it is kept for days.
    id_number = EncryptedTextField(_("证件号码"), purpose="id_number", blank=True)
    mobile = EncryptedTextField(_("手机号码"), purpose="mobile", blank=True)
    unit_name = models.CharField(_("工作单位"), max_length=200, blank=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Name and phone as registered, when they differ from the list: {field: old value}
    registered = models.JSONField(_("登记库中的值"), default=dict, blank=True)
    action = models.CharField(_("处理"), max_length=16, choices=Action.choices, blank=True)
    action_ref = models.CharField(max_length=50, blank=True)
    done_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("名单比对结果")
        verbose_name_plural = _("名单比对结果")
        ordering = ["job", "group", "row", "id"]
        indexes = [models.Index(fields=["job", "group"], name="reconcile_entry_job_group")]

    def __str__(self) -> str:
        return f"{self.get_group_display()} {self.name}"
