import secrets

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from registry import codes


def new_system_code() -> str:
    """临时赋码 for a union with no 统一社会信用代码: "LS" + 16 uppercase hex digits."""
    return "LS" + secrets.token_hex(8).upper()


class Unit(models.Model):
    """单位: the employer. A 联合基层工会 covers several units."""

    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True
    )
    nature = models.CharField(
        _("单位性质"), max_length=2, choices=codes.UNIT_NATURE.choices, blank=True
    )
    address = models.CharField(_("单位地址"), max_length=300, blank=True)
    staff_count = models.PositiveIntegerField(_("职工人数"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]
        # The latest change, read by every progress page (progress.coverage.units_version).
        indexes = [models.Index(fields=["updated_at"], name="unit_updated_at")]

    def __str__(self) -> str:
        return self.name


class Union(MPTTModel):
    """工会组织: a node of the tree. Depth is the level, `kind` the type."""

    name = models.CharField(_("工会名称"), max_length=200, db_index=True)
    kind = models.CharField(_("工会类型"), max_length=2, choices=codes.UNION_KIND.choices)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("上级工会"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True
    )
    system_code = models.CharField(
        _("系统赋码"), max_length=20, unique=True, default=new_system_code, editable=False
    )
    founded_on = models.DateField(_("建会日期"), null=True, blank=True)
    term_ends_on = models.DateField(_("届满日期"), null=True, blank=True)
    # 届期: a term of office in years from the last 换届 (else from 建会); the service keeps
    # term_ends_on in step, so lists of terms due are one indexed query.
    elected_on = models.DateField(_("本届换届日期"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(
        _("届期（年）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    chair = models.CharField(_("工会负责人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    staff_count = models.PositiveIntegerField(_("职工人数"), null=True, blank=True)
    female_staff_count = models.PositiveIntegerField(_("女职工人数"), null=True, blank=True)
    units = models.ManyToManyField(
        Unit, verbose_name=_("覆盖单位"), blank=True, related_name="unions"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class MPTTMeta:
        order_insertion_by = ["name"]

    class Meta:
        verbose_name = _("工会组织")
        verbose_name_plural = _("工会组织")
        # The latest change, read by every progress page (progress.coverage.units_version);
        # the switched-off unions of a subtree, read by every count (progress.counts).
        indexes = [
            models.Index(fields=["updated_at"], name="union_updated_at"),
            models.Index(
                fields=["tree_id", "lft", "rght"],
                condition=Q(is_active=False),
                name="union_switched_off",
            ),
            # terms due (unions.terms.terms_due): few, found without reading the subtree
            models.Index(
                fields=["term_ends_on"],
                condition=Q(is_active=True, term_ends_on__isnull=False),
                name="union_term_ends",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        """The identifier shown to users: the credit code, else the system code."""
        return self.credit_code or self.system_code

    @property
    def has_provisional_code(self) -> bool:
        return not self.credit_code

    def contains(self, other) -> bool:
        """`other` (a union, or anything with tree_id and lft) is this union or below it."""
        return (
            other is not None
            and self.tree_id == other.tree_id
            and self.lft <= other.lft <= self.rght
        )


class User(AbstractUser):
    """An account: belongs to exactly one union and holds one role there."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        COLLECTOR = "collector", _("采集员")
        VIEWER = "viewer", _("查看")

    union = models.ForeignKey(
        Union,
        verbose_name=_("所属工会"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    must_change_password = models.BooleanField(_("须修改密码"), default=True)
    created_by = models.ForeignKey(
        "self",
        verbose_name=_("开通人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        constraints = [
            # Only platform operators (superusers) may exist without a union.
            models.CheckConstraint(
                condition=Q(union__isnull=False) | Q(is_superuser=True),
                name="account_belongs_to_union",
            ),
        ]

    ROLE_RANK = {Role.VIEWER: 1, Role.COLLECTOR: 2, Role.ADMIN: 3}

    @property
    def role_rank(self) -> int:
        return self.ROLE_RANK.get(self.role, 0)


class AuditEntry(models.Model):
    """Append-only record of sensitive actions. Never holds an ID number in plain text."""

    class Action(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKOUT = "lockout", _("账号锁定")
        LOGOUT = "logout", _("退出")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        ACCOUNT_CREATED = "account_created", _("开通账号")
        ACCOUNT_RESET = "account_reset", _("重置密码")
        ACCOUNT_DISABLED = "account_disabled", _("停用账号")
        ACCOUNT_ENABLED = "account_enabled", _("启用账号")
        ACCOUNT_CHANGED = "account_changed", _("修改账号")
        UNION_CREATED = "union_created", _("新建工会")
        UNION_CHANGED = "union_changed", _("修改工会")
        UNION_MOVED = "union_moved", _("调整隶属关系")
        UNION_DISABLED = "union_disabled", _("停用工会")
        UNION_ENABLED = "union_enabled", _("启用工会")
        UNION_ELECTION = "union_election", _("换届")
        CONTROL_POINT = "control_point", _("冻结控制点")
        ID_REVEALED = "id_revealed", _("查看完整证件号")
        MOBILE_REVEALED = "mobile_revealed", _("查看完整手机号")
        MEMBER_CHANGED = "member_changed", _("修改会员")
        TRANSFER_ACCEPTED = "transfer_accepted", _("转会接收")
        TRANSFER_REFUSED = "transfer_refused", _("转会退回")
        EXPORT = "export", _("导出")
        EXPORT_DOWNLOADED = "export_downloaded", _("下载导出文件")
        IMPORT_COMMITTED = "import_committed", _("导入入库")
        FILE_DOWNLOADED = "file_downloaded", _("下载上传文件")
        # the members' self-service (selfservice/)
        SMS_SENT = "sms_sent", _("发送短信验证码")
        SMS_REFUSED = "sms_refused", _("拒绝发送验证码（频率限制）")
        SMS_VERIFIED = "sms_verified", _("短信验证通过")
        SMS_FAILED = "sms_failed", _("短信验证失败")
        APPLICATION_SUBMITTED = "application_submitted", _("提交入会申请")
        APPLICATION_DECIDED = "application_decided", _("审核入会申请")
        SELF_CONFIRMED = "self_confirmed", _("会员自助确认信息")
        CORRECTION_REQUESTED = "correction_requested", _("申请更正信息")
        CORRECTION_DECIDED = "correction_decided", _("处理更正申请")
        CARD_CHECKED = "card_checked", _("扫码核验会员卡")
        ACCOUNT_UNLOCKED = "account_unlocked", _("解除锁定")
        MFA_ENROLLED = "mfa_enrolled", _("启用双因素认证")
        MFA_VERIFIED = "mfa_verified", _("双因素认证通过")
        MFA_FAILED = "mfa_failed", _("双因素认证失败")
        MFA_CODES_RENEWED = "mfa_codes_renewed", _("重新生成恢复码")
        MFA_RESET = "mfa_reset", _("重置双因素认证")
        PLEDGE_PUBLISHED = "pledge_published", _("发布保密承诺书")
        PLEDGE_ACCEPTED = "pledge_accepted", _("签署保密承诺书")
        SESSION_EXPIRED = "session_expired", _("登录超时")
        AUDIT_EXPORTED = "audit_exported", _("导出审计日志")
        # 查漏补缺: a list compared with the registry, and each confirmed action on its result
        RECONCILE_RUN = "reconcile_run", _("名单比对")
        RECONCILE_CONFIRMED = "reconcile_confirmed", _("名单比对结果处理")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(_("操作账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=Action.choices, db_index=True)
    union = models.ForeignKey(
        Union,
        verbose_name=_("所涉工会"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    object_type = models.CharField(_("对象类型"), max_length=50, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=50, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只能追加，不能删除。")

    # Labels of the detail keys the services write (keys already in Chinese show as they are).
    DETAIL_LABELS = {
        "username": _("输入的账号"),
        "ip_address": _("地址"),
        "role": _("角色"),
        "action": _("操作"),
        "fields": _("修改的项目"),
        "event": _("会籍变动"),
        "status": _("会籍状态"),
        "transfer": _("转会申请编号"),
        "from": _("转出工会"),
        "to": _("转入工会"),
        "reason": _("理由"),
        "file": _("文件"),
        "filename": _("文件名"),
        "source_ref": _("来源编号"),
        "kind": _("类型"),
        "rows": _("行数"),
        "created": _("新增"),
        "updated": _("更新"),
        "unchanged": _("未变化"),
        "invalid": _("有误"),
        "conflicts": _("冲突"),
        "masked": _("脱敏"),
        "filter": _("范围"),
        "via": _("途径"),
        "report": _("报表"),
        "campaign": _("采集行动"),
        "year": _("年度"),
        "rule": _("锁定规则"),
        "addresses": _("锁定的地址"),
        "device": _("认证方式"),
        "version": _("版本"),
        "date_from": _("起始日期"),
        "date_to": _("截止日期"),
        "entries": _("条数"),
    }
    DETAIL_VALUES = {
        "created": _("登记"),
        "unions": _("工会组织"),
        "members": _("会员"),
        "web": _("网页"),
        "command": _("命令行"),
        "progress": _("进度通报"),
        "member_statistics": _("会员人数统计表"),
        "upload": _("上传的文件"),
        "report": _("错误报告"),
        "account": _("账号"),
        "account_address": _("账号 + 地址"),
        "totp": _("动态验证码"),
        "static": _("恢复码"),
    }

    @property
    def detail_items(self) -> list[tuple[str, str]]:
        """The detail as (label, text) pairs for display; [old, new] pairs read "old → new",
        other lists "a、b"; yes/no and the services' few code words in Chinese."""
        items = []
        for key, value in (self.detail or {}).items():
            if isinstance(value, list) and len(value) == 2 and key != "fields":
                value = " → ".join(str(v) if v not in (None, "") else "（空）" for v in value)
            elif isinstance(value, list):
                value = "、".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = _("是") if value else _("否")
            elif value is None:
                value = "—"
            else:
                value = self.DETAIL_VALUES.get(str(value), value)
            items.append((str(self.DETAIL_LABELS.get(key, key)), str(value)))
        return items


class PledgeVersion(models.Model):
    """保密承诺书: one published text. A new text is a new version (never edited in
    place), and every account signs the newest before it sees personal data again."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    title = models.CharField(_("标题"), max_length=100, default="工会会员信息保密承诺书")
    text = models.TextField(_("正文"))
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        User,
        verbose_name=_("发布人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("保密承诺书")
        verbose_name_plural = _("保密承诺书")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title}（第 {self.version} 版）"


class PledgeAcceptance(models.Model):
    """An account read and accepted one version of the pledge: when and from where."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="pledges"
    )
    version = models.ForeignKey(
        PledgeVersion, verbose_name=_("版本"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("保密承诺书签署")
        verbose_name_plural = _("保密承诺书签署")
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="one_signature_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.version}"


class SubtreeTally(models.Model):
    """Members on the roll (在册) registered anywhere in a union's subtree, itself included,
    whatever the state of the unions in it; a change counter for caches.

    Kept in the writers' transactions: the member writer adds each change to the union and
    all its ancestors (`unions.rollups.add`), the union writer moves a subtree's figure
    between ancestors when it moves a union (`unions.rollups.detach` / `attach`).
    Switching a union off or on changes nothing here: readers subtract the own members of
    the (few) switched-off unions in a range (`progress.counts`). A union without a row
    has none. `manage.py reconcile_tallies` proves and rebuilds these rows.
    """

    union = models.OneToOneField(
        Union, on_delete=models.CASCADE, primary_key=True, related_name="subtree_tally"
    )
    members = models.BigIntegerField(_("子树在册会员数"), default=0)
    # Bumped by every write to the row (net zero included): a version for caches.
    changes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("子树会员人数台账")
        verbose_name_plural = _("子树会员人数台账")

    def __str__(self) -> str:
        return f"{self.union_id} {self.members}"
