"""Normalise and validate one member row: pure functions, no database.

Each problem names the sheet row as Excel shows it, the header as written and
a stable code; the message says in Chinese how to fix it.
"""

import contextlib
import datetime
from dataclasses import dataclass, field

from django.conf import settings

from imports.engine.headers import IGNORED, HeaderMatch, build_aliases, header_key
from imports.engine.problems import FileRejected, RowProblem
from registry import codes
from registry.validators import (
    IdInfo,
    Problem,
    check_date,
    check_date_or_month,
    check_id_number,
    check_mobile,
    check_name,
    clean_number_text,
    clean_text,
)

UNION_LEVELS = ("union_1", "union_2", "union_3")  # 工会名称 < 部门工会 < 工会小组

MEMBER_HEADERS: dict[str, list[str]] = {
    # 最近核查 and the like: written by the member export, read back as nothing.
    IGNORED: ["序号", "编号", "错误说明", "NO", "NO.", "最近核查", "核查时间", "最近核查时间"],
    "name": ["姓名", "会员姓名", "名字", "职工姓名", "员工姓名", "人员姓名", "参保人姓名"],
    "id_type": ["证件类型", "证件种类"],
    "id_number": [
        "身份证号",
        "身份证号码",
        "证件号码",
        "证件号",
        "身份证",
        "公民身份号码",
        "居民身份证号码",
        "身份证件号码",
        "公民身份证号码",
        "公民身份证号",
        "身份证件号",
        # social-insurance lists: the 社会保障号码 is the citizen's ID number
        "社会保障号码",
        "社会保障号",
    ],
    "gender": ["性别"],
    "birth_date": ["出生年月", "出生日期", "出生年月日", "生日"],
    "age": ["年龄"],
    "ethnicity": ["民族"],
    "political_status": ["政治面貌", "政治面目"],
    "education": ["学历", "最高学历", "文化程度", "学历/学位", "学历学位"],
    "mobile": [
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "电话",
        "联系方式",
        "移动电话",
        "电话号码",
        "联系手机",
        "手机号码（联系电话）",
    ],
    "join_date": ["入会时间", "入会日期", "入会年月"],
    "household_type": ["户籍类型", "户口性质", "户籍性质", "户口类型"],
    "employment_status": ["就业状况", "就业状态"],
    "new_employment_form": ["新就业形态劳动者", "是否新就业形态劳动者", "新就业形态"],
    "union_post": ["工会职务", "担任工会职务", "工会任职"],
    "post_type": ["专兼职", "专兼职工会职务标识", "专兼职标识", "专职/兼职"],
    "unit": [
        "所属单位",
        "工作单位",
        "单位",
        "单位名称",
        "工作单位名称",
        "所在单位",
        "用人单位",
        "参保单位",
        "参保单位名称",
    ],
    "union_1": [
        "工会名称",
        "所属工会",
        "所在工会",
        "基层工会",
        "基层工会名称",
        "所属基层工会",
        "工会组织名称",
    ],
    "union_2": ["部门工会", "分会", "分工会", "部门工会名称", "分会名称"],
    "union_3": ["工会小组", "小组", "所属工会小组", "工会小组名称"],
    # Written by the member export: the union's code and path name it uniquely.
    "union_code": ["工会编码", "所在工会编码", "工会代码"],
    "union_path": ["工会路径", "所在工会路径", "工会层级"],
    # Read, compared and reported, never written by an import (会籍变动 changes it).
    "status": ["会籍状态", "会籍"],
}
MEMBER_ALIASES = build_aliases(MEMBER_HEADERS)
ANCHORS = {"name", "id_number"}
IDENTITY = frozenset({"name", "id_number", "mobile"})

CHOICE_FIELDS = {
    "gender": codes.GENDER,
    "ethnicity": codes.ETHNICITY,
    "political_status": codes.POLITICAL_STATUS,
    "education": codes.EDUCATION,
    "household_type": codes.HOUSEHOLD_TYPE,
    "employment_status": codes.EMPLOYMENT_STATUS,
    "union_post": codes.UNION_POST,
    "post_type": codes.POST_TYPE,
}
FIELD_LABELS = {
    "name": "姓名",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "gender": "性别",
    "birth_date": "出生年月",
    "ethnicity": "民族",
    "political_status": "政治面貌",
    "education": "学历",
    "mobile": "手机号码",
    "join_date": "入会时间",
    "household_type": "户籍类型",
    "employment_status": "就业状况",
    "new_employment_form": "新就业形态劳动者",
    "union_post": "工会职务",
    "post_type": "专兼职",
    "unit": "工作单位",
    "age": "年龄",
    "union": "所在工会",
    "union_1": "所在工会",
    "union_2": "部门工会",
    "union_3": "工会小组",
    "union_code": "工会编码",
    "union_path": "工会路径",
    "status": "会籍状态（只核对，不修改）",
}
STATUS_NAMES = {
    "在册": "active",
    "保留会籍": "reserved",
    "保留": "reserved",
    "已转出": "transferred",
    "转出": "transferred",
    "已退休": "retired",
    "退休": "retired",
    "已离职": "left",
    "离职": "left",
    "已除名": "expelled",
    "除名": "expelled",
    "已退会": "withdrawn",
    "退会": "withdrawn",
    "已死亡": "deceased",
    "死亡": "deceased",
}


# Most rows have no problem, no union named and nothing derived: they share this empty
# tuple until something is added (a list of their own then), one object less each.
NONE = ()


@dataclass(slots=True)
class MemberRow:
    sheet: str
    row: int
    cells: list
    data: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    union_refs: list[tuple[str, str, str]] = NONE  # (level, header, text)
    unit_name: str = ""
    errors: list[RowProblem] = NONE
    warnings: list[RowProblem] = NONE
    field_headers: dict[str, str] = field(default_factory=dict)
    birth_has_day: bool = True
    union_id: int | None = None
    union_named: bool = False
    report: object = None
    key: tuple[str, str] | None = None  # (id_type, id_number) once the ID is valid
    union_code: str = ""  # 工会编码 / 工会路径 as written (the export's columns)
    union_path: str = ""
    status: str = ""  # 会籍状态 as written, resolved to the model's value ("" when none)
    status_text: str = ""
    # Read from the ID, not written in the row: set on new members, never an update.
    derived: list[str] = NONE

    def error(self, column: str, code: str, message: str, value: object = "") -> None:
        problem = RowProblem(self.sheet, self.row, column, code, message, display(value))
        self.errors = [*self.errors, problem]

    def warn(self, column: str, code: str, message: str, value: object = "") -> None:
        problem = RowProblem(self.sheet, self.row, column, code, message, display(value), "warning")
        self.warnings = [*self.warnings, problem]

    def derive(self, name: str) -> None:
        self.derived = (*self.derived, name)


def display(value: object) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return clean_number_text(value) if value.is_integer() else repr(value)
    return str(value).strip()


def required_fields() -> list[str]:
    return list(getattr(settings, "MEMBER_REQUIRED_FIELDS", ["name", "id_number", "mobile"]))


def column_label(name: str | None) -> str:
    """How the preview names what a column was read as."""
    if name is None:
        return "其他信息"
    if name == IGNORED:
        return "不导入"
    return FIELD_LABELS.get(name, name)


def missing_required_columns(sheet: str, header: HeaderMatch) -> str:
    """The message for a sheet without every required column ("" when it has them)."""
    present = header.fields
    missing = [f for f in required_fields() if f not in present]
    if not missing:
        return ""
    names = "、".join(
        f"“{FIELD_LABELS.get(f, f)}”（可写作：{'、'.join(MEMBER_HEADERS.get(f, [f])[:4])}）"
        for f in missing
    )
    return f"工作表“{sheet}”缺少必填列{names}，请补上这些列后重新上传。"


def check_required_columns(sheet: str, header: HeaderMatch) -> None:
    message = missing_required_columns(sheet, header)
    if message:
        raise FileRejected(message)


class RowValidator:
    """Validates the rows of one sheet against its header."""

    def __init__(self, sheet: str, header: HeaderMatch):
        self.sheet = sheet
        self.header = header
        self.required = set(required_fields())
        self.allow_landline = getattr(settings, "ALLOW_LANDLINE", False)
        self.today = datetime.date.today()
        self.memo: dict[str, dict] = {}
        cols = [c for c in header.columns if c.field != IGNORED]
        self.columns = [(c.index, c.header, c.field) for c in cols]
        self.by_field = {c.field: (c.index, c.header) for c in cols if c.field}
        self.field_headers = {name: header for name, (_, header) in self.by_field.items()}
        # What the rows of this sheet can hold, looked up once rather than per row.
        self.choice_fields = [
            (name, code_list, self.memo.setdefault(name, {}))
            for name, code_list in CHOICE_FIELDS.items()
            if name in self.by_field
        ]
        self.required_columns = [
            (name, self.by_field[name][1]) for name in self.required if name in self.by_field
        ]
        # Dates repeat down a sheet (one 入会时间 for a whole workplace): each distinct
        # cell is read once. Keyed with the type: True == 1 == 1.0 read differently.
        self.join_dates: dict = {}
        self.birth_dates: dict = {}
        self.birthdays: dict = {}  # birth date → (14th, 100th birthday)

    def validate(self, number: int, cells: list) -> MemberRow | None:
        """The row's result, or None for a blank row (only a 序号, or nothing)."""
        values: dict[str, tuple[str, object]] = {}
        extra: dict[str, str] = {}
        width = len(cells)
        for index, header, name in self.columns:
            if index >= width:
                continue
            value = cells[index]
            if value.__class__ is str:
                if not value or value.isspace():
                    continue
            elif value is None or value == "":
                continue
            if name is None:
                extra[header] = display(value)
            else:
                values[name] = (header, value)
        if not values and not extra:
            return None
        if len(values) + len(extra) == 1 and not IDENTITY.intersection(values):
            return None  # a separator such as a department name on its own, or a stray remark
        row = MemberRow(self.sheet, number, cells, extra=extra, field_headers=self.field_headers)
        for name, header in self.required_columns:
            if name not in values:
                row.error(header, "required", f"{FIELD_LABELS.get(name, header)}不能为空。")
        info = self._identity(row, values)
        self._name(row, values)
        self._mobile(row, values)
        self._choices(row, values)
        self._dates(row, values)
        self._cross_checks(row, values, info)
        for level in UNION_LEVELS:
            if level in values:
                header, value = values[level]
                row.union_refs = [*row.union_refs, (level, header, display(value))]
        if "unit" in values:
            row.unit_name = display(values["unit"][1])
        if "union_code" in values:
            row.union_code = clean_text(values["union_code"][1]).upper()
        if "union_path" in values:
            row.union_path = display(values["union_path"][1])
        if "status" in values:
            row.status_text = display(values["status"][1])
            row.status = STATUS_NAMES.get(clean_text(row.status_text), "")
        return row

    def _identity(self, row: MemberRow, values: dict) -> IdInfo | None:
        """The ID read from the row (None when missing or refused): for the cross-checks
        only, not kept on the row."""
        id_type = codes.ID_RESIDENT
        if "id_type" in values:
            header, value = values["id_type"]
            resolved = codes.ID_TYPE.resolve(value)
            if resolved is None:
                row.error(header, "invalid_choice", _choices_message(codes.ID_TYPE, value), value)
                return None
            id_type = resolved
        if "id_number" not in values:
            return None
        header, value = values["id_number"]
        try:
            info = check_id_number(value, id_type)
        except Problem as problem:
            row.error(header, problem.code, problem.message, value)
            return None
        row.data["id_type"] = info.id_type
        row.data["id_number"] = info.number
        row.key = (info.id_type, info.number)
        for notice in info.warnings:
            row.warn(header, notice.code, notice.message, value)
        return info

    def _name(self, row: MemberRow, values: dict) -> None:
        if "name" in values:
            header, value = values["name"]
            try:
                row.data["name"] = check_name(value)
            except Problem as problem:
                row.error(header, problem.code, problem.message, value)

    def _mobile(self, row: MemberRow, values: dict) -> None:
        if "mobile" in values:
            header, value = values["mobile"]
            landline = self.allow_landline and "电话" in header_key(header)
            try:
                row.data["mobile"] = check_mobile(value, allow_landline=landline)
            except Problem as problem:
                row.error(header, problem.code, problem.message, value)

    def _choices(self, row: MemberRow, values: dict) -> None:
        for name, code_list, memo in self.choice_fields:
            if name in values:
                header, value = values[name]
                try:
                    resolved = memo[value]
                except KeyError:
                    resolved = memo[value] = code_list.resolve(value)
                except TypeError:
                    resolved = code_list.resolve(value)
                if resolved is None:
                    row.error(header, "invalid_choice", _choices_message(code_list, value), value)
                else:
                    row.data[name] = resolved
        if "new_employment_form" in values:
            header, value = values["new_employment_form"]
            resolved = codes.YES_NO.resolve(value)
            if resolved is None:
                row.error(
                    header, "invalid_choice", f"“{display(value)}”无效，请填写“是”或“否”。", value
                )
            else:
                row.data["new_employment_form"] = resolved == "1"

    def _dates(self, row: MemberRow, values: dict) -> None:
        if "join_date" in values:
            header, value = values["join_date"]
            try:
                row.data["join_date"], month_only = _memo(
                    self.join_dates, value, lambda v: check_date_or_month(v, label=header)
                )
            except Problem as problem:
                row.error(header, problem.code, problem.message, value)
            else:
                if month_only:
                    row.warn(
                        header,
                        "date_month_only",
                        f"{header}“{display(value)}”只有年月，按当月1日（{row.data['join_date']:%Y-%m-%d}）登记。",
                        value,
                    )
        if "birth_date" in values:
            header, value = values["birth_date"]
            try:
                row.data["birth_date"], row.birth_has_day = _memo(
                    self.birth_dates, value, lambda v: _birth_date(v, header)
                )
            except Problem as problem:
                row.error(header, problem.code, problem.message, value)

    def _cross_checks(self, row: MemberRow, values: dict, info: IdInfo | None) -> None:
        self._cross_check_id(row, values, info)
        self._sanity(row, values)

    def _sanity(self, row: MemberRow, values: dict) -> None:
        """Dates that can be typed but can hardly be true: warnings, never blocking."""
        born = row.data.get("birth_date")
        joined = row.data.get("join_date")
        if born is not None and born.year < 1900 and "birth_date" in values:
            header, value = values["birth_date"]
            row.warn(
                header,
                "birth_before_1900",
                f"出生日期“{display(value)}”早于1900年，请核对。",
                value,
            )
        if born is not None:
            birthdays = self.birthdays.get(born)
            if birthdays is None:
                birthdays = self.birthdays[born] = (_add_years(born, 14), _add_years(born, 100))
        if joined is not None:
            header, value = values["join_date"]
            if joined > self.today:
                row.warn(
                    header,
                    "join_date_future",
                    f"{header}“{display(value)}”晚于今天，请核对。",
                    value,
                )
            elif born is not None and joined < birthdays[0]:
                row.warn(
                    header,
                    "join_before_14",
                    f"{header}“{display(value)}”时本人还不满14周岁（出生于{born:%Y-%m-%d}），请核对。",
                    value,
                )
        if (
            born is not None
            and row.data.get("employment_status") == EMPLOYED
            and birthdays[1] <= self.today
        ):
            header, value = values["employment_status"]
            row.warn(
                header,
                "age_over_100_employed",
                "按出生日期已满100周岁，就业状况却是“在岗”，请核对出生日期或就业状况。",
                value,
            )

    def _cross_check_id(self, row: MemberRow, values: dict, info: IdInfo | None) -> None:
        if info is None or info.birth_date is None:
            return
        if "gender" in row.data and info.gender and row.data["gender"] != info.gender:
            header, value = values["gender"]
            row.error(
                header,
                "gender_mismatch",
                f"性别“{display(value)}”与证件号码不符（证件号码第17位表示{codes.GENDER.name_of(info.gender)}），请核对。",
                value,
            )
        elif info.gender:
            row.data["gender"] = info.gender
            row.derive("gender")
        birth = row.data.get("birth_date")
        if birth is not None:
            same = (birth.year, birth.month) == (info.birth_date.year, info.birth_date.month)
            if row.birth_has_day:
                same = same and birth.day == info.birth_date.day
            if not same:
                header, value = values["birth_date"]
                row.error(
                    header,
                    "birth_date_mismatch",
                    f"出生日期“{display(value)}”与证件号码中的出生日期（{info.birth_date:%Y-%m-%d}）不符，请核对。",
                    value,
                )
                del row.data["birth_date"]
                return
        if birth is None:
            row.derive("birth_date")
        row.data["birth_date"] = info.birth_date
        if "age" in values:
            header, value = values["age"]
            try:
                stated = int(float(clean_number_text(value)))
            except ValueError:
                return
            born = info.birth_date
            age = (
                self.today.year
                - born.year
                - ((self.today.month, self.today.day) < (born.month, born.day))
            )
            if abs(stated - age) > 1:
                row.warn(
                    header,
                    "age_mismatch",
                    f"年龄“{stated}”与证件号码推算的年龄（{age}岁）不符，已按证件号码登记，请核对。",
                    value,
                )


EMPLOYED = "01"  # 就业状况 在岗


def _memo(memo: dict, value, read):
    """`read(value)` once per distinct cell; a refusal (Problem) is kept and raised again."""
    key = (value.__class__, value)
    try:
        result = memo[key]
    except (KeyError, TypeError):  # TypeError: a value that cannot be a key, read each time
        try:
            result = read(value)
        except Problem as problem:
            result = problem
        with contextlib.suppress(TypeError):
            memo[key] = result
    if result.__class__ is Problem:
        raise result
    return result


def _birth_date(value, header: str) -> tuple[datetime.date, bool]:
    """出生年月 as a date, and whether the cell gave the day (1985-03 gives none)."""
    born = check_date(value, allow_year_month=True, label=header, min_year=1800)
    try:
        check_date(value, label=header, min_year=1800)
    except Problem:
        return born, False
    return born, True


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _choices_message(code_list: codes.CodeList, value: object) -> str:
    names = code_list.names
    shown = "、".join(names[:12]) + ("等" if len(names) > 12 else "")
    close = code_list.suggest(value)
    hint = f"您是否要填：{'、'.join(close)}？" if close else ""
    return f"“{display(value)}”不是有效的{code_list.label}。{hint}请从下拉列表中选择（{shown}）。"
