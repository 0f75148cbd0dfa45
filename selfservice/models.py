"""The members' own side: applications to join, phone codes, correction requests.

Nothing here is a member: an approved application becomes one through
`members.services.create_member` (or a transfer request when the ID is registered
elsewhere), an approved correction through `members.services.update_member`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.identity import mobile_hash
from registry import codes
from registry.crypto import EncryptedTextField
from registry.validators import mask_id, mask_phone


class Application(models.Model):
    """网上申请入会: what the applicant typed, signed and verified by phone."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已批准入会")
        TRANSFER = "transfer", _("已转为调入申请")
        REJECTED = "rejected", _("未通过")

    union = models.ForeignKey(
        "unions.Union", verbose_name=_("申请加入的工会"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=2, choices=codes.ID_TYPE.choices)
    # Encrypted at rest like the member's (registry/crypto.py); looked up by the blind index.
    id_number = EncryptedTextField(_("证件号码"), purpose="id_number")
    mobile = EncryptedTextField(_("手机号码"), purpose="mobile")
    mobile_hash = models.CharField(max_length=64, db_index=True, editable=False)
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
    workplace = models.CharField(_("工作单位"), max_length=200)
    signature = models.CharField(_("申请人签名"), max_length=50)
    signed_at = models.DateTimeField(_("签名时间"))
    consent_version = models.CharField(_("同意的告知书版本"), max_length=20)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.CharField(_("审核意见"), max_length=300, blank=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer = models.ForeignKey(
        "members.TransferRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("入会申请")
        verbose_name_plural = _("入会申请")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id}）"

    def save(self, *args, **kwargs):
        self.mobile_hash = mobile_hash(self.mobile)
        super().save(*args, **kwargs)

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)


class PhoneCode(models.Model):
    """One SMS code: stored hashed, good for CODE_TTL seconds and SMS_CODE_MAX_TRIES tries."""

    mobile = EncryptedTextField(purpose="mobile")
    mobile_hash = models.CharField(max_length=64, db_index=True, editable=False)
    purpose = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self) -> str:
        return f"{mask_phone(self.mobile)} {self.purpose} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.mobile_hash = mobile_hash(self.mobile)
        super().save(*args, **kwargs)


class PublicHit(models.Model):
    """One use of a public form, by visitor address: the throttle's memory (shared by
    every web process, unlike a per-process cache)."""

    scope = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="publichit_scope_key_at")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} {self.at:%Y-%m-%d %H:%M}"


class CorrectionRequest(models.Model):
    """A member asks their union to correct their record: old → new, applied on approval."""

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        APPROVED = "approved", _("已更正")
        REJECTED = "rejected", _("未采纳")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey("unions.Union", on_delete=models.PROTECT, related_name="+")
    # {field: [old, new]} as displayed, personal data masked (the history's format)
    changes = models.JSONField(_("申请更正的内容"), default=dict)
    # the new values as typed (the member's own data, applied on approval); a new phone
    # is kept in `mobile`, encrypted, not here
    data = models.JSONField(default=dict)
    mobile = EncryptedTextField(_("新手机号码"), purpose="mobile", blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("处理意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("信息更正申请")
        verbose_name_plural = _("信息更正申请")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.get_state_display()}"
