"""Forms of the member register. Values go through the same validators and code
lists as the import engine, so a form and a sheet accept exactly the same data."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Member, MembershipEvent
from registry import codes
from registry.validators import Problem, check_date, check_id_number, check_mobile, check_name
from unions.models import Union
from unions.picker import UnionPickerField

BLANK = [("", "——")]


def _choices(code_list) -> list:
    return BLANK + code_list.choices


def union_field(unions, *, required=True, label=None) -> UnionPickerField:
    return UnionPickerField(queryset=unions, required=required, label=label or _("所在工会"))


class MemberForm(forms.Form):
    union = forms.ModelChoiceField(queryset=None, label=gettext_lazy("所在工会"))
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    id_type = forms.ChoiceField(
        label=gettext_lazy("证件类型"), choices=codes.ID_TYPE.choices, initial=codes.ID_RESIDENT
    )
    id_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=40)
    mobile = forms.CharField(label=gettext_lazy("手机号码"), max_length=30)
    gender = forms.ChoiceField(
        label=gettext_lazy("性别"), choices=_choices(codes.GENDER), required=False
    )
    birth_date = forms.CharField(
        label=gettext_lazy("出生日期"),
        required=False,
        help_text=gettext_lazy("身份证号码中已含出生日期，可不填。"),
    )
    ethnicity = forms.ChoiceField(
        label=gettext_lazy("民族"), choices=_choices(codes.ETHNICITY), required=False
    )
    political_status = forms.ChoiceField(
        label=gettext_lazy("政治面貌"), choices=_choices(codes.POLITICAL_STATUS), required=False
    )
    education = forms.ChoiceField(
        label=gettext_lazy("学历"), choices=_choices(codes.EDUCATION), required=False
    )
    join_date = forms.CharField(
        label=gettext_lazy("入会时间"),
        required=False,
        help_text=gettext_lazy("如 2019-06-25"),
    )
    household_type = forms.ChoiceField(
        label=gettext_lazy("户籍类型"), choices=_choices(codes.HOUSEHOLD_TYPE), required=False
    )
    employment_status = forms.ChoiceField(
        label=gettext_lazy("就业状况"), choices=_choices(codes.EMPLOYMENT_STATUS), required=False
    )
    new_employment_form = forms.ChoiceField(
        label=gettext_lazy("新就业形态劳动者"),
        choices=BLANK + [("1", "是"), ("0", "否")],
        required=False,
    )
    union_post = forms.ChoiceField(
        label=gettext_lazy("工会职务"), choices=_choices(codes.UNION_POST), required=False
    )
    post_type = forms.ChoiceField(
        label=gettext_lazy("专兼职"), choices=_choices(codes.POST_TYPE), required=False
    )
    extra = forms.CharField(
        label=gettext_lazy("其他信息"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一项，写成“项目：内容”，如“工号：A1024”。"),
    )

    def __init__(self, *args, unions, member: Member | None = None, **kwargs):
        """With `member` (editing), the ID and phone are not shown in full — that is what
        the audited 显示完整证件号 is for — and a blank box keeps the current value."""
        super().__init__(*args, **kwargs)
        self.fields["union"] = union_field(unions)
        self.member = member
        if member is not None:
            for name, masked in (("id_number", member.masked_id), ("mobile", member.masked_mobile)):
                field = self.fields[name]
                field.required = False
                field.widget.attrs["placeholder"] = masked
                field.help_text = _("现为 %(v)s；不修改请留空。") % {"v": masked}

    @classmethod
    def initial_for(cls, member: Member) -> dict:
        initial = {f: getattr(member, f) for f in cls.base_fields if hasattr(member, f)}
        initial["union"] = member.union_id
        for f in ("birth_date", "join_date"):
            initial[f] = getattr(member, f).isoformat() if getattr(member, f) else ""
        initial["new_employment_form"] = {True: "1", False: "0"}.get(member.new_employment_form, "")
        initial["extra"] = "\n".join(f"{k}：{v}" for k, v in (member.extra or {}).items())
        initial["id_number"] = initial["mobile"] = ""
        return initial

    def _problem(self, field, problem: Problem):
        self.add_error(field, problem.message)

    def clean_name(self):
        try:
            return check_name(self.cleaned_data["name"])
        except Problem as p:
            raise forms.ValidationError(p.message, code=p.code) from None

    def clean_mobile(self):
        if self.member is not None and not (self.cleaned_data.get("mobile") or "").strip():
            return self.member.mobile
        try:
            return check_mobile(self.cleaned_data["mobile"], allow_landline=settings.ALLOW_LANDLINE)
        except Problem as p:
            raise forms.ValidationError(p.message, code=p.code) from None

    def _date(self, field, label, *, allow_year_month=False):
        value = self.cleaned_data.get(field)
        if not value:
            return None
        try:
            result = check_date(value, allow_year_month=allow_year_month, label=label)
        except Problem as p:
            raise forms.ValidationError(p.message, code=p.code) from None
        if result > timezone.localdate():
            raise forms.ValidationError(_("%(label)s不能晚于今天。") % {"label": label})
        return result

    def clean_birth_date(self):
        return self._date("birth_date", _("出生日期"), allow_year_month=True)

    def clean_join_date(self):
        return self._date("join_date", _("入会时间"))

    def clean_new_employment_form(self):
        return {"1": True, "0": False}.get(self.cleaned_data.get("new_employment_form"))

    def clean_extra(self):
        extra = {}
        for n, line in enumerate((self.cleaned_data.get("extra") or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.replace(":", "：").partition("：")
            if not sep or not key.strip():
                raise forms.ValidationError(_("其他信息第%(n)d行应写成“项目：内容”。") % {"n": n})
            extra[key.strip()] = value.strip()
        return extra

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip()
        if self.member is not None and not value:
            return self.member.id_number
        if not value:
            raise forms.ValidationError(_("证件号码不能为空。"), code="required")
        return value

    def clean(self):
        data = super().clean()
        if "id_number" not in data or "id_type" not in data:
            return data
        try:
            info = check_id_number(data["id_number"], data["id_type"])
        except Problem as p:
            self.add_error("id_number", p.message)
            return data
        data["id_type"], data["id_number"] = info.id_type, info.number
        if info.gender:
            if data.get("gender") and data["gender"] != info.gender:
                self.add_error(
                    "gender",
                    _("性别与证件号码不符：证件号码第17位表示“%(g)s”。")
                    % {"g": codes.GENDER.name_of(info.gender)},
                )
            data["gender"] = info.gender
        if info.birth_date:
            if data.get("birth_date") and data["birth_date"] != info.birth_date:
                birth = data["birth_date"]
                if (birth.year, birth.month) != (info.birth_date.year, info.birth_date.month) or (
                    birth.day != 1
                ):
                    self.add_error(
                        "birth_date",
                        _("出生日期与证件号码不符：证件号码中的出生日期是 %(d)s。")
                        % {"d": info.birth_date.isoformat()},
                    )
            data["birth_date"] = info.birth_date
        self.id_warnings = [w.message for w in info.warnings]
        return data

    def member_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("union", None)
        return data


class MemberEventForm(forms.Form):
    """会籍变动: the kinds that keep the member in the union, or 转出 to another union."""

    TRANSFER = "transfer_out"
    KIND_CHOICES = [
        (TRANSFER, gettext_lazy("转出（转到其他工会，需对方接收）")),
        (MembershipEvent.Kind.RESERVE, gettext_lazy("保留会籍")),
        (MembershipEvent.Kind.RETIRE, gettext_lazy("退休")),
        (MembershipEvent.Kind.LEAVE, gettext_lazy("离职")),
        (MembershipEvent.Kind.EXPEL, gettext_lazy("除名")),
        (MembershipEvent.Kind.WITHDRAW, gettext_lazy("退会")),
        (MembershipEvent.Kind.DEATH, gettext_lazy("死亡")),
        (MembershipEvent.Kind.JOIN, gettext_lazy("恢复在册（重新入会）")),
    ]

    kind = forms.ChoiceField(label=gettext_lazy("变动类型"), choices=KIND_CHOICES)
    on = forms.DateField(label=gettext_lazy("变动日期"), initial=timezone.localdate)
    # The receiving union is usually outside the own subtree: any active union.
    to_union = UnionPickerField(
        queryset=Union.objects.filter(is_active=True),
        scope="all",
        label=gettext_lazy("转入工会"),
        required=False,
        help_text=gettext_lazy(
            "转出时填写：输入对方工会名称的几个字或统一社会信用代码，从提示中选择。"
        ),
    )
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") != self.TRANSFER:
            # A receiving union typed before choosing another kind does not matter.
            self.errors.pop("to_union", None)
            data["to_union"] = None
        elif not data.get("to_union") and "to_union" not in self.errors:
            self.add_error("to_union", _("转出时请选择转入工会（输入名称的几个字或编码）。"))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "接收"), ("refuse", "拒绝")])
    note = forms.CharField(label=gettext_lazy("处理意见"), max_length=300, required=False)


class FilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("姓名 / 证件号码 / 手机号码"),
        required=False,
        max_length=40,
    )
    # The union picker (unions.picker), not a list of every union in scope (10,000 at a
    # province); its queryset is set in __init__.
    union = UnionPickerField(
        queryset=Union.objects.none(), label=gettext_lazy("工会"), required=False
    )
    include_sub = forms.BooleanField(required=False, initial=True, label=gettext_lazy("含下级"))
    status = forms.ChoiceField(
        label=gettext_lazy("会籍状态"), choices=BLANK + Member.Status.choices, required=False
    )
    gender = forms.ChoiceField(
        label=gettext_lazy("性别"), choices=_choices(codes.GENDER), required=False
    )
    political_status = forms.ChoiceField(
        label=gettext_lazy("政治面貌"), choices=_choices(codes.POLITICAL_STATUS), required=False
    )
    new_employment_form = forms.ChoiceField(
        label=gettext_lazy("新就业形态"),
        choices=BLANK + [("1", "是"), ("0", "否")],
        required=False,
    )
    education = forms.ChoiceField(
        label=gettext_lazy("学历"), choices=_choices(codes.EDUCATION), required=False
    )

    def __init__(self, *args, unions, **kwargs):
        """`unions`: the user's unions as a queryset (`unions.access.unions_for`), never loaded whole."""
        super().__init__(*args, **kwargs)
        self.fields["union"].queryset = unions
        self.fields["union"].widget.attrs["placeholder"] = _("输入工会名称的几个字，留空为全部")

    def clean_q(self):
        from members.selectors import SearchTooShort, search_q

        q = (self.cleaned_data.get("q") or "").strip()
        try:
            search_q(q)
        except SearchTooShort:
            raise forms.ValidationError(
                _("按证件号码或手机号码查找时请至少输入后4位数字。"), code="too_short"
            ) from None
        return q
