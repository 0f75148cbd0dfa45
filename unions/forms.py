"""Forms for accounts, unions and the audit log. Every union choice is built from
the access rule, so a form only ever offers (and only ever accepts) unions in scope."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from registry.validators import Problem, check_credit_code
from unions.access import assignable_roles, unions_for
from unions.models import AuditEntry, Union, User
from unions.picker import UnionPickerField


class LoginForm(AuthenticationForm):
    """Django's login form sets the username's max_length after the field is built, so the
    length is never checked: an over-long name reached the lockout table and failed there.
    Its messages speak of 用户名 in awkward Chinese; ours say 账号 as the pages do."""

    error_messages = {
        "invalid_login": _("账号或密码不正确。请注意密码区分大小写。"),
        "inactive": _("该账号已停用，请联系上级工会的管理员。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = self.fields["username"].max_length
        self.fields["username"].validators.append(
            MaxLengthValidator(limit, message=_("账号最多 %(limit_value)d 个字符。"))
        )


def union_field(user: User, queryset=None, **kwargs) -> UnionPickerField:
    """The union picker over the user's scope (or `queryset`, already scoped)."""
    kwargs.pop("widget", None)
    return UnionPickerField(
        queryset=queryset if queryset is not None else unions_for(user), **kwargs
    )


class UnionJumpForm(forms.Form):
    """查找工会: go to another union of the scope (progress, targets) with the picker."""

    go = forms.Field(label=_("查找工会"))

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["go"] = union_field(actor, label=_("查找工会"))
        self.fields["go"].widget.attrs.update(
            {
                "class": "form-control form-control-sm",
                "placeholder": _("查找工会：名称的几个字或编码"),
            }
        )


def role_choices(user: User) -> list[tuple[str, str]]:
    allowed = assignable_roles(user)
    return [(value, label) for value, label in User.Role.choices if value in allowed]


def style_fields(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = css


def mark_invalid(form: forms.BaseForm) -> None:
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["class"] += " is-invalid"


class StyledForm(forms.Form):
    """Marks the wrong fields `is-invalid`; each form calls `style_fields` once its fields
    are final, so templates can render any field generically."""

    def full_clean(self):
        super().full_clean()
        mark_invalid(self)


username_chars = RegexValidator(
    r"^[A-Za-z0-9_.@+-]+$",
    _("账号只能由英文字母、数字和 _ . @ + - 组成。"),
)


class AccountForm(StyledForm):
    """Open an account (or edit one): union in scope, role no higher than one's own."""

    username = forms.CharField(
        label=_("账号"),
        max_length=150,
        min_length=3,
        validators=[UnicodeUsernameValidator(), username_chars],
        help_text=_("登录用的账号，例如 taoyuan_zj01，开通后不能修改。"),
    )
    full_name = forms.CharField(label=_("使用人姓名"), max_length=150, required=False)
    union = forms.Field(label=_("所属工会"))
    role = forms.ChoiceField(label=_("角色"))

    def __init__(self, *args, actor: User, account: User | None = None, **kwargs):
        self.actor, self.account = actor, account
        super().__init__(*args, **kwargs)
        self.fields["union"] = union_field(
            actor, label=_("所属工会"), empty_label=None, widget=forms.Select
        )
        self.fields["role"].choices = role_choices(actor)
        if account is None:
            # No default role: whoever opens an account picks what it may do.
            self.fields["role"].choices = [("", _("请选择")), *role_choices(actor)]
        if account is not None:
            del self.fields["username"]
            if account.pk == actor.pk:
                # One's own union and role are set by the level above, never by oneself.
                del self.fields["union"]
                del self.fields["role"]
        style_fields(self)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("账号“%(name)s”已被使用，请换一个。"), params={"name": username}
            )
        return username


class AccountFilterForm(StyledForm):
    ACTIVE_CHOICES = [("", _("全部")), ("1", _("在用")), ("0", _("已停用"))]

    q = forms.CharField(label=_("账号或姓名"), required=False)
    union = forms.Field(label=_("所属工会"), required=False)
    role = forms.ChoiceField(label=_("角色"), required=False)
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE_CHOICES, required=False)
    pledge = forms.ChoiceField(
        label=_("保密承诺书"),
        choices=[("", _("全部")), ("unsigned", _("未签署当前版本"))],
        required=False,
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"] = union_field(
            actor, label=_("所属工会（含下级）"), required=False, empty_label=_("全部")
        )
        self.fields["role"].choices = [("", _("全部")), *User.Role.choices]
        style_fields(self)


class UnionForm(forms.ModelForm):
    class Meta:
        model = Union
        fields = [
            "name",
            "kind",
            "credit_code",
            "founded_on",
            "elected_on",
            "term_years",
            "term_ends_on",
            "chair",
            "phone",
            "address",
            "staff_count",
            "female_staff_count",
        ]
        widgets = {
            "founded_on": forms.DateInput(attrs={"type": "date"}),
            "term_ends_on": forms.DateInput(attrs={"type": "date"}),
            "elected_on": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "credit_code": _("没有统一社会信用代码的，留空，系统自动临时赋码。"),
            "term_years": _("填写后，届满日期按本届换届日期（未换届的按建会日期）自动计算。"),
        }

    def __init__(self, *args, actor: User, parent_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if parent_required:
            self.fields = {
                "parent": union_field(actor, label=_("上级工会"), empty_label=None),
                **self.fields,
            }
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        mark_invalid(self)

    def clean_credit_code(self):
        value = self.cleaned_data.get("credit_code") or ""
        if not value.strip():
            return None
        try:
            code = check_credit_code(value)
        except Problem as problem:
            raise forms.ValidationError(problem.message) from None
        clash = Union.objects.filter(credit_code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("这个统一社会信用代码已登记给另一个工会组织（一码一单位）。")
            )
        return code

    def clean(self):
        data = super().clean()
        staff, female = data.get("staff_count"), data.get("female_staff_count")
        if staff is not None and female is not None and female > staff:
            self.add_error("female_staff_count", _("女职工人数不能多于职工人数。"))
        founded, term = data.get("founded_on"), data.get("term_ends_on")
        if founded and term and term < founded:
            self.add_error("term_ends_on", _("届满日期不能早于建会日期。"))
        return data


class UnionMoveForm(StyledForm):
    new_parent = forms.Field(label=_("新的上级工会"))

    def __init__(self, *args, actor: User, union: Union, **kwargs):
        super().__init__(*args, **kwargs)
        # Neither the union itself nor anything below it can become its parent.
        candidates = unions_for(actor).exclude(
            tree_id=union.tree_id, lft__gte=union.lft, lft__lte=union.rght
        )
        self.fields["new_parent"] = union_field(
            actor, candidates, label=_("新的上级工会"), empty_label=None
        )
        self.initial.setdefault("new_parent", union.parent_id)
        style_fields(self)


class AuditFilterForm(StyledForm):
    action = forms.ChoiceField(label=_("操作"), required=False)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(label=_("操作账号"), required=False)
    union = forms.Field(label=_("所涉工会（含下级）"), required=False)

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部")), *AuditEntry.Action.choices]
        self.fields["union"] = union_field(
            actor, label=_("所涉工会（含下级）"), required=False, empty_label=_("全部")
        )
        style_fields(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data


class ElectionForm(forms.Form):
    """换届: the date of the election, the new chair, and the length of the new term."""

    elected_on = forms.DateField(
        label=_("换届日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    chair = forms.CharField(label=_("新任工会负责人"), max_length=50)
    term_years = forms.IntegerField(
        label=_("届期（年）"), min_value=1, max_value=10, required=False
    )

    def __init__(self, *args, union: Union, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term_years"].initial = union.term_years or 5
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        mark_invalid(self)
