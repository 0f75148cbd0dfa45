"""The collection templates officers download, built from the code lists.

Each workbook has the data sheet first (a title, a line naming the union it was
downloaded for, the header row), a 填表说明 sheet with the rules and an example
row, and a hidden 代码表 sheet holding the longer dropdown lists. Coded columns
get a dropdown; ID, phone and code columns are formatted as text so Excel keeps
every digit.
"""

import datetime
import io
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from members.synthetic import id_number
from registry import codes
from unions.models import Union

TEXT = "@"
DATE = "yyyy-mm-dd"
FIRST_DATA_ROW = 4  # title, union line, header
DATA_ROWS = 5000  # dropdowns and formats reach this far below the header
CODE_SHEET = "代码表"
GUIDE_SHEET = "填表说明"
INLINE_LIST_MAX = 200  # Excel allows 255 characters in an inline list

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass
class Column:
    header: str
    help: str
    example: object = ""
    choices: list[str] | None = None
    text: bool = False
    date: bool = False
    required: bool = False
    width: int = 12


def _member_columns(unions: list[str]) -> list[Column]:
    return [
        Column("序号", "可不填。", 1, width=6),
        Column("姓名", "必填。汉字或字母，少数民族姓名中间用“·”。", "张三", required=True),
        Column(
            "证件类型",
            "从下拉框选择；不填视为居民身份证。",
            "居民身份证",
            codes.ID_TYPE.names,
            width=16,
        ),
        Column(
            "证件号码",
            "必填。18位身份证号码，末位X大写；本列已设为文本格式，请勿改成数字。",
            id_number(birth=datetime.date(1988, 5, 17), seq=21, male=True),
            text=True,
            required=True,
            width=22,
        ),
        Column("性别", "从下拉框选择，须与证件号码一致。", "男", codes.GENDER.names, width=8),
        Column(
            "出生日期", "如 1988-05-17，须与证件号码一致。", datetime.date(1988, 5, 17), date=True
        ),
        Column("民族", "从下拉框选择。", "汉族", codes.ETHNICITY.names, width=10),
        Column("政治面貌", "从下拉框选择。", "中共党员", codes.POLITICAL_STATUS.names),
        Column("学历", "从下拉框选择最高学历。", "大学本科", codes.EDUCATION.names),
        Column(
            "手机号码",
            "必填。11位手机号码；本列已设为文本格式。",
            "13800000000",
            text=True,
            required=True,
            width=15,
        ),
        Column("入会时间", "如 2019-07-25。", datetime.date(2019, 7, 25), date=True),
        Column("户籍类型", "从下拉框选择。", "城镇", codes.HOUSEHOLD_TYPE.names, width=10),
        Column("就业状况", "从下拉框选择。", "在岗", codes.EMPLOYMENT_STATUS.names),
        Column(
            "新就业形态劳动者",
            "快递员、外卖送餐员、网约车司机等选“是”。",
            "否",
            codes.YES_NO.names,
            width=10,
        ),
        Column("工会职务", "从下拉框选择，无职务选“会员”。", "会员", codes.UNION_POST.names),
        Column("专兼职", "有工会职务的填写。", "", codes.POST_TYPE.names, width=8),
        Column("工作单位", "填写单位全称（营业执照或编办核定的名称）。", "", width=28),
        Column(
            "工会名称",
            "会员所在的工会；不填即为本表所属工会。下级工会的会员可在下拉框中选择其所在工会。",
            "",
            unions,
            width=28,
        ),
        Column("备注", "", "", width=20),
    ]


def _union_columns(unions: list[str]) -> list[Column]:
    return [
        Column("序号", "可不填。", 1, width=6),
        Column("工会名称", "必填。工会的全称。", "桃源县某某有限公司工会", required=True, width=28),
        Column(
            "工会类型",
            "必填，从下拉框选择。",
            "单独基层工会",
            codes.UNION_KIND.names,
            required=True,
        ),
        Column(
            "上级工会",
            "必填，从下拉框选择或填写上级工会的全称或编码。",
            unions[0] if unions else "",
            unions,
            required=True,
            width=28,
        ),
        Column(
            "统一社会信用代码",
            "工会法人资格证书上的18位代码；暂无的不填，系统临时赋码。本列为文本格式。",
            "",
            text=True,
            width=22,
        ),
        Column("建会日期", "如 2015-03-08。", datetime.date(2015, 3, 8), date=True),
        Column("届期", "本届任期届满的日期。", datetime.date(2025, 3, 7), date=True),
        Column("工会负责人", "", "李四"),
        Column("联系电话", "手机或固定电话；本列为文本格式。", "0736-6621234", text=True, width=15),
        Column("单位名称", "工会所在单位的全称。", "桃源县某某有限公司", width=28),
        Column(
            "单位统一社会信用代码",
            "单位营业执照上的18位代码；本列为文本格式。",
            "",
            text=True,
            width=22,
        ),
        Column("单位性质", "从下拉框选择。", "私营企业", codes.UNIT_NATURE.names),
        Column("单位地址", "", "", width=28),
        Column("职工人数", "整数。", 120, width=10),
        Column("女职工人数", "整数。", 45, width=10),
        Column("备注", "", "", width=20),
    ]


def _target_columns(children: list[str]) -> list[Column]:
    return [
        Column("序号", "", 1, width=6),
        Column("单位", "下级工会的全称，可从下拉框选择。", "", children, required=True, width=32),
        Column(
            "工会编码",
            "系统中的工会编码，同名工会据此区分；新增的行可不填。",
            "",
            text=True,
            width=22,
        ),
        Column("会员信息采集（人）", "本单位的会员信息采集目标任务数（整数）。", 0, width=20),
        Column("工会组织采集（个）", "可不填：组织建会目标数（整数）。", "", width=18),
        Column("备注", "", "", width=24),
    ]


def _subtree_names(union: Union, limit: int = 3000) -> list[str]:
    return list(
        union.get_descendants(include_self=True)
        .filter(is_active=True)
        .values_list("name", flat=True)[:limit]
    )


class _Builder:
    def __init__(self, title: str, union: Union, columns: list[Column], rules: list[str]):
        self.wb = Workbook()
        self.ws = self.wb.active
        self.ws.title = title[:31]
        self.title = title
        self.union = union
        self.columns = columns
        self.rules = rules
        self.codes_ws = None
        self.next_code_col = 1

    def build(self) -> Workbook:
        ws = self.ws
        last = get_column_letter(len(self.columns))
        ws["A1"] = self.title
        ws["A1"].font = Font(size=16, bold=True)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A1:{last}1")
        ws["A2"] = (
            f"工会名称：{self.union.name}　编码：{self.union.code}　"
            f"下载时间：{timezone.localtime():%Y-%m-%d %H:%M}"
        )
        ws.merge_cells(f"A2:{last}2")
        header_row = FIRST_DATA_ROW - 1
        for i, col in enumerate(self.columns, start=1):
            letter = get_column_letter(i)
            cell = ws.cell(row=header_row, column=i, value=col.header)
            cell.font = Font(bold=True)
            cell.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
            cell.border = _BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if col.help:
                note = (
                    "必填。" if col.required and not col.help.startswith("必填") else ""
                ) + col.help
                cell.comment = Comment(note, "工会两库")
            dim = ws.column_dimensions[letter]
            dim.width = col.width
            if col.text:
                dim.number_format = TEXT
            elif col.date:
                dim.number_format = DATE
            if col.choices:
                self._dropdown(col, letter)
        ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
        ws.row_dimensions[header_row].height = 30
        self._guide()
        return self.wb

    def _dropdown(self, col: Column, letter: str) -> None:
        inline = ",".join(col.choices)
        if len(inline) <= INLINE_LIST_MAX and "," not in "".join(col.choices):
            formula = f'"{inline}"'
        else:
            formula = self._code_range(col)
        dv = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="请从下拉框选择",
            error=f"“{col.header}”请从下拉框中选择。",
            showInputMessage=True,
            promptTitle=col.header,
            prompt=col.help[:250],
        )
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + DATA_ROWS - 1}")
        self.ws.add_data_validation(dv)

    def _code_range(self, col: Column) -> str:
        if self.codes_ws is None:
            self.codes_ws = self.wb.create_sheet(CODE_SHEET)
            self.codes_ws.sheet_state = "hidden"
        ws = self.codes_ws
        c = self.next_code_col
        self.next_code_col += 1
        for r, value in enumerate(col.choices, start=1):
            ws.cell(row=r, column=c, value=value).number_format = TEXT
        letter = get_column_letter(c)
        end = max(1, len(col.choices))
        return f"{quote_sheetname(CODE_SHEET)}!${letter}$1:${letter}${end}"

    def _guide(self) -> None:
        """Rules, then one line per column: its requirement and an example value.
        The example runs down the sheet, not across, so no importer mistakes it
        for a header row with a member under it."""
        ws = self.wb.create_sheet(GUIDE_SHEET, 1)
        ws.column_dimensions["A"].width = 20
        ws.column_dimensions["B"].width = 26
        ws.column_dimensions["C"].width = 90
        ws["A1"] = f"{self.title} · 填表说明"
        ws["A1"].font = Font(size=14, bold=True)
        row = 3
        for rule in self.rules:
            ws.cell(row=row, column=1, value=rule)
            row += 1
        row += 1
        for i, text in enumerate(("列名", "填写示例", "填写要求"), start=1):
            cell = ws.cell(row=row, column=i, value=text)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
        for col in self.columns:
            row += 1
            ws.cell(row=row, column=1, value=col.header).fill = (
                _REQUIRED_FILL if col.required else PatternFill()
            )
            example = ws.cell(row=row, column=2, value=col.example)
            example.font = Font(italic=True, color="666666")
            example.number_format = DATE if col.date else TEXT
            need = ("必填。" if col.required and not col.help.startswith("必填") else "") + (
                col.help or "按实际情况填写。"
            )
            ws.cell(row=row, column=3, value=need).alignment = Alignment(wrap_text=True)


def _to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


COMMON_RULES = [
    "1. 请在第一个工作表中从表头下一行开始逐行填写，不要改动表头、不要合并单元格、不要插入空列。",
    "2. 表头为橙色的列是必填项；有下拉框的列请在下拉框中选择，不需要另行输入。",
    "3. 证件号码、手机号码等列已设为文本格式，请直接输入或粘贴为“值”，不要改成数字格式，否则末几位会丢失。",
    "4. 日期写成 2019-07-25、2019/7/25 或 2019年7月25日 均可。",
    "5. 填好后在“信息采集 → 上传表格”中上传本文件，系统会逐行核对并告诉您哪里需要修改；确认后才会写入。",
    "6. 会员信息属个人敏感信息，请妥善保管本表，不得向外提供。",
]


def member_template(union: Union) -> bytes:
    rules = [
        *COMMON_RULES,
        "7. 一证一会员：同一证件号码只能登记一次；已在其他工会登记的会员会提示“已在其他工会登记”，需办理转会。",
        "8. 会员属于下级工会的，在“工会名称”列中选择其所在工会；不填则登记在本表所属工会。",
    ]
    return _to_bytes(
        _Builder("会员信息采集表", union, _member_columns(_subtree_names(union)), rules).build()
    )


def union_template(union: Union) -> bytes:
    rules = [
        *COMMON_RULES,
        "7. 一码一单位：有统一社会信用代码的工会和单位请如实填写，系统据此识别，不会重复登记。",
        "8. “上级工会”须是本工会或其下级工会，可在下拉框中选择。",
    ]
    return _to_bytes(
        _Builder("工会组织信息采集表", union, _union_columns(_subtree_names(union)), rules).build()
    )


def target_template(union: Union, targets: dict | None = None) -> bytes:
    """One row per direct child. With `targets` ({child id: (members, organisations)},
    the target export), the current figures and a 合计 row: the sheet the target import
    reads back unchanged."""
    children = list(union.get_children().filter(is_active=True))
    rules = [
        "1. 每个下级工会一行，填写其会员信息采集目标任务数（人）；不填的不下达。",
        "2. 各下级工会的目标之和应等于本级的目标任务数。",
        "3. “工会编码”用于区分同名工会，请勿修改。",
    ]
    builder = _Builder(
        "会员信息采集工作目标", union, _target_columns([c.name for c in children]), rules
    )
    wb = builder.build()
    ws = builder.ws
    total = 0
    for i, child in enumerate(children, start=1):
        r = FIRST_DATA_ROW + i - 1
        ws.cell(row=r, column=1, value=i)
        ws.cell(row=r, column=2, value=child.name)
        ws.cell(row=r, column=3, value=child.code)
        if targets is not None and child.pk in targets:
            members, organisations = targets[child.pk]
            ws.cell(row=r, column=4, value=members)
            ws.cell(row=r, column=5, value=organisations)
            total += members or 0
    if targets is not None:
        ws.cell(row=FIRST_DATA_ROW + len(children), column=2, value="合计")
        ws.cell(row=FIRST_DATA_ROW + len(children), column=4, value=total)
    return _to_bytes(wb)


TEMPLATES = {
    "members": ("会员信息采集表", member_template),
    "unions": ("工会组织信息采集表", union_template),
    "targets": ("会员信息采集工作目标", target_template),
}
