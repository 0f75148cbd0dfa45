from pathlib import PurePath

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from imports.models import ImportJob
from imports.reconcile.actions import EVENT_KINDS
from imports.services import ALLOWED_SUFFIXES
from members.models import MembershipEvent
from members.services import find_union
from registry.validators import Problem
from unions.access import can_import, subtree_q, unions_for
from unions.models import Unit, User
from unions.picker import UnionChoiceError, UnionPickerField, resolve_unit


def union_field(user: User, label: str) -> UnionPickerField:
    """The union picker (unions.picker) over the user's active unions: never a <select>
    of every union of a province."""
    return UnionPickerField(queryset=unions_for(user).filter(is_active=True), label=label)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_lazy("表格类型"),
        # A list to compare is uploaded on its own page (名单比对), never imported.
        choices=[
            (k, label) for k, label in ImportJob.Kind.choices if k != ImportJob.Kind.RECONCILE
        ],
    )
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
        self.union_implied = bool(user.union_id) and not (
            field.queryset.exclude(pk=user.union_id).exists()
        )
        if not self.union_implied:
            self.fields["union"] = field
            if user.union_id:
                # Left open, a member sheet's 工会名称：line above the table decides.
                field.required = False
                field.help_text = _(
                    "不填时按表格中的“工会名称：”行确定（表中未写明的导入到%(own)s）；"
                    "系统模板第二行写明了工会名称，核对结果中会请您确认。"
                ) % {"own": user.union.name}
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
        self.fields["union"].initial = user.union
        self.fields["status"].choices = [("", _("全部状态")), *Member.Status.choices]
        self.fields["status"].initial = Member.Status.ACTIVE
        self.order_fields(["union", "scope", "status", "q", "format"])


class ReconcileForm(UploadForm):
    """名单比对: an outside list for a union (or one unit under it) in the user's subtree."""

    unit = forms.CharField(
        label=_lazy("单位（可不填）"),
        required=False,
        max_length=200,
        help_text=_lazy(
            "名单只是某个单位的职工时，填写该单位的名称或统一社会信用代码："
            "只与该单位登记的会员比对。不填则与整个工会（含下级）比对。"
        ),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        del self.fields["kind"]
        # Unlike a roster, a list names no union of ours: the union is always chosen.
        self.fields["union"] = union_field(user, _("与哪个工会比对"))
        self.fields["union"].initial = user.union_id
        self.fields["file"].label = _("名单文件")
        self.order_fields(["union", "unit", "file"])

    def clean(self):
        data = super().clean()
        union, text = data.get("union"), data.get("unit")
        data["unit"] = None
        if union is not None and text:
            units = Unit.objects.filter(subtree_q(union, "unions")).distinct()
            try:
                data["unit"] = resolve_unit(units, text)
            except UnionChoiceError as error:
                self.add_error("unit", error.message)
        return data


class EventForm(forms.Form):
    """The membership event proposed for members registered here but not on the list."""

    kind = forms.ChoiceField(label=_lazy("会籍变动"))
    on = forms.DateField(label=_lazy("变动日期"))
    reason = forms.CharField(label=_lazy("原因"), required=False, max_length=200)
    to_union = forms.CharField(
        label=_lazy("转入工会（转出时填写名称或编码）"), required=False, max_length=200
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = EVENT_KINDS

    def clean(self):
        data = super().clean()
        if data.get("kind") == MembershipEvent.Kind.TRANSFER_OUT:
            try:
                data["to_union_obj"] = find_union(data.get("to_union") or "")
            except Problem as problem:
                self.add_error("to_union", problem.message)
        return data
