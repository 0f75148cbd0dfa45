"""Public forms: the same validators and Chinese messages as the import engine and the
officers' member form (registry/validators.py, through members.forms.MemberForm)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.forms import MemberForm
from registry import codes
from registry.validators import Problem, check_id_number, check_mobile, check_name
from unions.models import Union


def _mobile(value) -> str:
    try:
        return check_mobile(value)
    except Problem as p:
        raise forms.ValidationError(p.message, code=p.code) from None


class ApplicationForm(MemberForm):
    """入会申请书: the member form's identity fields, the workplace, consent, signature."""

    KEEP = ("name", "id_type", "id_number", "mobile", "ethnicity", "political_status", "education")

    workplace = forms.CharField(label=gettext_lazy("工作单位"), max_length=200)
    agree_statement = forms.BooleanField(
        label=gettext_lazy("我已阅读并同意《中华全国总工会入会申请书》"),
        error_messages={"required": gettext_lazy("请阅读入会申请书并勾选同意。")},
    )
    agree_privacy = forms.BooleanField(
        label=gettext_lazy("我同意工会按上述告知处理我的个人信息"),
        error_messages={"required": gettext_lazy("需要您同意个人信息处理告知，才能提交申请。")},
    )
    signature = forms.CharField(label=gettext_lazy("申请人签名（请输入本人姓名）"), max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, unions=Union.objects.none(), **kwargs)
        for name in list(self.fields):
            if name not in (
                *self.KEEP,
                "workplace",
                "agree_statement",
                "agree_privacy",
                "signature",
            ):
                del self.fields[name]
        self.fields["mobile"].help_text = _("用于接收验证码和查询审核结果。")
        # The deployment's required member fields (MEMBER_REQUIRED_FIELDS, as for imports).
        for name in settings.MEMBER_REQUIRED_FIELDS:
            if name in self.fields:
                self.fields[name].required = True

    def clean_mobile(self):
        return _mobile(self.cleaned_data.get("mobile"))

    def clean(self):
        data = super().clean()
        name, signature = data.get("name"), (data.get("signature") or "").strip()
        if name and signature and signature.replace(" ", "") != name.replace(" ", ""):
            self.add_error("signature", _("签名应与申请人姓名一致。"))
        return data

    def application_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_type": data["id_type"],
            "id_number": data["id_number"],
            "mobile": data["mobile"],
            "gender": data.get("gender") or "",
            "birth_date": data["birth_date"].isoformat() if data.get("birth_date") else None,
            "ethnicity": data.get("ethnicity") or "",
            "political_status": data.get("political_status") or "",
            "education": data.get("education") or "",
            "workplace": data["workplace"].strip(),
            "signature": data["signature"].strip(),
        }


class MobileForm(forms.Form):
    mobile = forms.CharField(label=gettext_lazy("手机号码"), max_length=30)

    def clean_mobile(self):
        return _mobile(self.cleaned_data.get("mobile"))


class SelfCheckForm(forms.Form):
    id_type = forms.ChoiceField(
        label=gettext_lazy("证件类型"), choices=codes.ID_TYPE.choices, initial=codes.ID_RESIDENT
    )
    id_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=40)
    mobile = forms.CharField(
        label=gettext_lazy("手机号码"),
        max_length=30,
        help_text=gettext_lazy("登记在工会的手机号码。"),
    )

    def clean_mobile(self):
        return _mobile(self.cleaned_data.get("mobile"))

    def clean(self):
        data = super().clean()
        if data.get("id_number") and data.get("id_type"):
            try:
                info = check_id_number(data["id_number"], data["id_type"])
            except Problem as p:
                self.add_error("id_number", p.message)
            else:
                data["id_type"], data["id_number"] = info.id_type, info.number
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("短信验证码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CorrectionForm(forms.Form):
    """Only what should change; a blank box keeps the stored value."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=60, required=False)
    mobile = forms.CharField(label=gettext_lazy("手机号码"), max_length=30, required=False)
    workplace = forms.CharField(label=gettext_lazy("工作单位"), max_length=200, required=False)
    ethnicity = forms.ChoiceField(
        label=gettext_lazy("民族"), choices=[("", "——")] + codes.ETHNICITY.choices, required=False
    )
    political_status = forms.ChoiceField(
        label=gettext_lazy("政治面貌"),
        choices=[("", "——")] + codes.POLITICAL_STATUS.choices,
        required=False,
    )
    education = forms.ChoiceField(
        label=gettext_lazy("学历"), choices=[("", "——")] + codes.EDUCATION.choices, required=False
    )
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_name(self):
        value = self.cleaned_data.get("name")
        if not value:
            return ""
        try:
            return check_name(value)
        except Problem as p:
            raise forms.ValidationError(p.message, code=p.code) from None

    def clean_mobile(self):
        value = self.cleaned_data.get("mobile")
        if not value:
            return ""
        try:
            return check_mobile(value, allow_landline=settings.ALLOW_LANDLINE)
        except Problem as p:
            raise forms.ValidationError(p.message, code=p.code) from None


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(label=gettext_lazy("审核意见"), max_length=300, required=False)
