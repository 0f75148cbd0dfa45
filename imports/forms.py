from pathlib import PurePath

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from imports.models import ImportJob
from imports.services import ALLOWED_SUFFIXES
from unions.access import can_import, unions_for
from unions.models import User


class UnionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(0, obj.level - self.base_level) + obj.name


def union_field(user: User, label: str) -> UnionChoiceField:
    root_level = user.union.level if user.union_id else 0
    field = UnionChoiceField(
        queryset=unions_for(user).filter(is_active=True).order_by("tree_id", "lft"),
        label=label,
        empty_label=None,
    )
    field.base_level = root_level
    return field


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("表格类型"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_lazy("选择文件"),
        error_messages={
            "required": _lazy("请选择要上传的表格文件。"),
            "empty": _lazy("文件是空的（0 字节），请重新选择填好的表格。"),
        },
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = union_field(user, _("导入到哪个工会"))
        # One union in scope: it is implied (a sheet naming another one is refused).
        self.union_implied = bool(user.union_id) and field.queryset.count() <= 1
        if not self.union_implied:
            self.fields["union"] = field
            if user.union_id:
                # Left open, a member sheet's 工会名称：line above the table decides.
                field.required = False
                field.empty_label = _("按表格中的“工会名称：”行确定（未写明的导入到%(own)s）") % {
                    "own": user.union.name
                }
                field.help_text = _(
                    "系统模板第二行写明了工会名称，不选即导入到该工会；核对结果中会请您确认。"
                )
            else:
                field.initial = user.union_id
        self.order_fields(["union", "kind", "file"])
        if not can_import(user, kind=ImportJob.Kind.UNIONS):
            # Only what is offered; whether this upload is allowed is the view's one check.
            self.fields["kind"].widget.choices = [
                (ImportJob.Kind.MEMBERS, ImportJob.Kind.MEMBERS.label)
            ]
        self.fields["file"].widget.attrs["accept"] = ",".join(ALLOWED_SUFFIXES)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(
                _(
                    "“%(name)s”不是可导入的表格。请上传 Excel（.xlsx、.xls）、WPS/LibreOffice（.ods）或 .csv 文件。"
                )
                % {"name": upload.name}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的（0 字节），请重新选择填好的表格。"))
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "文件有 %(size).1f MB，超过了 %(limit)d MB 的上限。请把表格拆成几个文件分别上传。"
                )
                % {"size": upload.size / 1024 / 1024, "limit": settings.MAX_UPLOAD_MB}
            )
        return upload


class ExportForm(forms.Form):
    SCOPE_CHOICES = [
        ("subtree", _lazy("本工会及全部下级工会")),
        ("own", _lazy("仅本工会直接登记的会员")),
    ]
    scope = forms.ChoiceField(label=_lazy("范围"), choices=SCOPE_CHOICES, initial="subtree")
    status = forms.ChoiceField(label=_lazy("会籍状态"), required=False)
    q = forms.CharField(label=_lazy("姓名包含"), required=False, max_length=50)
    format = forms.ChoiceField(
        label=_lazy("格式"),
        choices=[("xlsx", "Excel（.xlsx）"), ("csv", _lazy("CSV（UTF-8，供其他系统读取）"))],
        initial="xlsx",
    )

    def __init__(self, *args, user: User, **kwargs):
        from members.models import Member

        super().__init__(*args, **kwargs)
        self.fields["union"] = union_field(user, _("工会"))
        self.fields["union"].initial = user.union_id
        self.fields["status"].choices = [("", _("全部状态")), *Member.Status.choices]
        self.fields["status"].initial = Member.Status.ACTIVE
        self.order_fields(["union", "scope", "status", "q", "format"])
