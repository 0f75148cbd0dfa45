"""Names of the engine's problem codes for the filter on the preview page.
A code the engine adds later shows as itself until it is named here."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "required": _("必填项未填"),
    "id_format": _("证件号码格式不对"),
    "id_checksum": _("证件号码校验位不对"),
    "id_birth_date": _("证件号码中的出生日期不对"),
    "id_numeric": _("证件号码被存成了数字"),
    "id_region_unknown": _("证件号码地区码未知（提示）"),
    "gender_mismatch": _("性别与证件号码不一致"),
    "birth_date_mismatch": _("出生日期与证件号码不一致"),
    "duplicate_in_file": _("表内重复"),
    "phone_format": _("手机号码格式不对"),
    "invalid_choice": _("不在下拉选项中"),
    "date_format": _("日期格式不对"),
    "name_format": _("姓名格式不对"),
    "union_unknown": _("工会名称找不到"),
    "union_out_of_scope": _("工会不在管辖范围内"),
    "union_ambiguous": _("工会名称有重名"),
    "member_elsewhere": _("已在其他工会登记"),
    "age_mismatch": _("年龄与证件号码不一致（提示）"),
    "number_format": _("数字格式不对"),
    "uscc_format": _("统一社会信用代码格式不对"),
    "uscc_checksum": _("统一社会信用代码校验位不对"),
    "parent_unknown": _("上级工会找不到"),
    # warnings (issue 11)
    "date_month_only": _("日期只有年月（提示）"),
    "join_date_future": _("入会时间晚于今天（提示）"),
    "join_before_14": _("入会时不满14岁（提示）"),
    "birth_before_1900": _("出生早于1900年（提示）"),
    "age_over_100_employed": _("年满100岁仍在岗（提示）"),
    "status_differs": _("会籍状态与登记库不同（提示）"),
    "stored_newer": _("登记库中的信息更新（提示）"),
}


def label(code: str) -> str:
    return str(LABELS.get(code, code))
