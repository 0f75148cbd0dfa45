"""Campaigns, their targets and the daily snapshots of subtree member counts.

The tables keep the names they had when these models lived in the unions app.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from unions.models import Union, User


class Campaign(models.Model):
    """采集行动: a collection drive with a deadline. Exactly one is current; old ones stay."""

    name = models.CharField(_("行动名称"), max_length=200, unique=True)
    starts_on = models.DateField(_("开始日期"), default=timezone.localdate)
    deadline = models.DateField(_("截止日期"))
    is_current = models.BooleanField(_("当前行动"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("采集行动")
        verbose_name_plural = _("采集行动")
        db_table = "unions_campaign"  # created by the unions app before progress existed
        ordering = ["-is_current", "-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_campaign"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("starts_on")), name="deadline_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """目标任务数: what a union's subtree should have registered by the campaign's deadline."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("采集行动"), on_delete=models.CASCADE, related_name="targets"
    )
    union = models.ForeignKey(
        Union, verbose_name=_("工会组织"), on_delete=models.CASCADE, related_name="targets"
    )
    members = models.PositiveIntegerField(_("会员目标数"))
    organisations = models.PositiveIntegerField(_("组织目标数"), null=True, blank=True)
    set_by = models.ForeignKey(
        User,
        verbose_name=_("下达人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("下达时间"), auto_now=True)
    # The union's subtree tally (`unions.SubtreeTally.members`), mirrored here by database
    # triggers (migration progress/0004) so that one index orders a campaign's targets by
    # rate: the laggards are its first rows (`progress.rollups.behind_holders`). The app
    # never sets it; any value it writes is replaced by the trigger.
    collected = models.BigIntegerField(default=0, editable=False)

    class Meta:
        db_table = "unions_target"
        verbose_name = _("目标任务数")
        verbose_name_plural = _("目标任务数")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "union"], name="one_target_per_union"),
        ]
        indexes = [
            models.Index(
                F("campaign"),
                Cast("collected", models.FloatField()) / Cast("members", models.FloatField()),
                F("collected") - F("members"),
                F("union"),
                condition=Q(members__gt=0),
                name="target_by_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.union} · {self.members}"


class DailySnapshot(models.Model):
    """Active members of a union's whole subtree on a day, for trend lines."""

    on = models.DateField(_("日期"))
    union = models.ForeignKey(Union, on_delete=models.CASCADE, related_name="snapshots")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    members = models.PositiveIntegerField(_("在册会员（含下级）"))
    # The 会员人数统计表 figures of the subtree that day (progress.statistics.FIGURES →
    # numbers), for subtrees too large to count live; empty when not computed.
    statistics = models.JSONField(_("会员人数统计"), default=dict, blank=True)

    class Meta:
        db_table = "unions_dailysnapshot"
        verbose_name = _("每日进度快照")
        verbose_name_plural = _("每日进度快照")
        constraints = [
            models.UniqueConstraint(fields=["union", "on"], name="one_snapshot_per_union_day"),
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.union} {self.members}"


def _control_point_path(point, filename: str) -> str:
    return f"control_points/{point.union_id}/{filename}"


class ControlPoint(models.Model):
    """控制点: a subtree frozen at a moment (a campaign's deadline, or on an admin's demand) —
    its unions, members and counts, stored with a checksum so later changes show."""

    class Reason(models.TextChoices):
        DEADLINE = "deadline", _("采集行动截止")
        MANUAL = "manual", _("手动冻结")

    class State(models.TextChoices):
        PENDING = "pending", _("正在冻结")
        READY = "ready", _("已冻结")
        FAILED = "failed", _("失败")

    union = models.ForeignKey(
        Union, verbose_name=_("工会组织"), on_delete=models.CASCADE, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("采集行动"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=16, choices=Reason.choices)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    taken_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    taken_by = models.ForeignKey(
        User,
        verbose_name=_("冻结人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    members = models.PositiveIntegerField(_("会员数（各会籍状态）"), default=0)
    active_members = models.PositiveIntegerField(_("在册会员数"), default=0)
    unions = models.PositiveIntegerField(_("工会组织数"), default=0)
    # {union id: members on the roll registered in it}, for the per-union comparison
    counts = models.JSONField(_("各工会在册人数"), default=dict, blank=True)
    data = models.FileField(_("冻结数据"), upload_to=_control_point_path, blank=True)
    checksum = models.CharField(_("校验值（SHA-256）"), max_length=64, blank=True)
    error_message = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("控制点")
        verbose_name_plural = _("控制点")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.union} {self.taken_at or self.requested_at:%Y-%m-%d %H:%M}"
