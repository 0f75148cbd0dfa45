"""Validators for every identifier a sheet or form carries (DESIGN.md §5).

Each check normalises first (NFKC, spaces, x → X) and either returns the clean
value or raises `Problem` with a stable machine `code` and a Chinese message
that tells the user how to fix it. Warnings never reject a value; they ride
along on the result.

python-stdnum's `cn.ric.validate` rejects the valid IDs of everyone whose
county code was created after their birth year, and every residence permit,
so only its pieces (check digit, region database) are used here.
"""

import datetime
import functools
import re
import time
import unicodedata
from dataclasses import dataclass, field

from stdnum import numdb
from stdnum.cn import ric, uscc

from registry import codes


class Problem(Exception):
    """A value that cannot be accepted: `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Notice:
    code: str
    message: str


@dataclass
class IdInfo:
    id_type: str
    number: str
    birth_date: datetime.date | None = None
    gender: str | None = None
    warnings: list[Notice] = field(default_factory=list)


PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
    ]
)
PERMIT_PREFIXES = ("810000", "820000", "830000")
_DIGITS17 = re.compile(r"^\d{17}[\dX]$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_SPACES = re.compile(r"[\s\u3000]+")


def clean_text(value: object) -> str:
    """NFKC (full-width → half-width), no spaces anywhere."""
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    if text.isascii():  # NFKC leaves ASCII as it is; letters and digits hold no spaces
        return text if text.isalnum() else _SPACES.sub("", text)
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


# ---- one place for what a cell holds besides its value -----------------------------

# Invisible characters copied in from web pages and chat tools; NBSP becomes a space.
_INVISIBLE = {ord(c): None for c in "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"}
_INVISIBLE[0xA0] = " "
_EDGE_SPACES = " \t\r\n\u00a0\u3000\u2002\u2003\u2009\u202f"
_SPECIAL = re.compile(
    "[\u200b-\u200f\u2060\ufeff\u00ad\u00a0\u3000\u2002\u2003\u2009\u202f\uff10-\uff19\u2018\u2019]"
)
_QUOTED_FORMULA = re.compile(r'^=\s*"(.*)"$', re.S)  # ="430…", how CSV writers keep text
_FULL_WIDTH_DIGIT = re.compile("[\uff10-\uff19]")
_NUMBER_LIKE = re.compile("^[0-9\uff10-\uff19.,，．、/／\\-－:：年月日号 +＋xXｘＸ]+$")
_APOSTROPHES = "'`\u2018\u2019"


def normalize_cell(value: object) -> object:
    """What every cell of an imported sheet goes through first (one place, DESIGN.md §5):
    invisible characters (zero-width spaces, BOM, soft hyphen) dropped, NBSP and
    full-width spaces trimmed at the ends, a leading apostrophe (’430…, the text
    marker typed by hand) and a ="…" wrapper removed, full-width digits in a
    number-like cell (１３８…, ２０２０年４月) made half-width. Other values pass."""
    if value.__class__ is not str:
        return value
    if value.isascii():
        if not value or value[0] not in "'`=":
            return value
    elif value[0] not in _APOSTROPHES and value[0] != "=" and not _SPECIAL.search(value):
        return value
    else:
        value = value.translate(_INVISIBLE).strip(_EDGE_SPACES)
    if value[:1] == "=":
        match = _QUOTED_FORMULA.match(value)
        if match:
            value = match.group(1)
    if value[:1] and value[0] in _APOSTROPHES:
        value = value[1:]
    if not value.isascii() and _FULL_WIDTH_DIGIT.search(value) and _NUMBER_LIKE.match(value):
        value = unicodedata.normalize("NFKC", value)
    return value


def parse_count(value: object) -> int:
    """A head count as people write it: 1200, 1200.0, "1,200", "1，200", "１２００", "1200人"."""
    if isinstance(value, bool):
        raise Problem("number_format", f"“{value}”不是整数，请填写人数。")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = clean_number_text(value)
        if text.endswith("人"):
            text = text[:-1]
        if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
            text = text.replace(",", "")
        if not text.isdigit():
            raise Problem("number_format", f"“{clean_text(value)}”不是整数，请填写人数。")
        number = int(text)
    if number < 0:
        raise Problem("number_format", f"“{number}”不是整数，请填写人数。")
    return number


def clean_number_text(value: object) -> str:
    """A code typed into a number cell: 13812345678.0 → "13812345678"."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value)


# ---- ID numbers -----------------------------------------------------------------


def mod11_2_check(first17: str) -> str:
    return ric.calc_check_digit(first17 + "0")


def upgrade_15_digit_id(number: str) -> str:
    """First-generation 15-digit ID → 18 digits (insert 19, add the check digit)."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + mod11_2_check(first17)


def check_id_number(value: object, id_type: str | None = None) -> IdInfo:
    """Validate an ID of the given type (default 居民身份证).

    A 居民身份证 number that starts 810000/820000/830000 is a 港澳台居民居住证:
    the returned `id_type` says so.
    """
    id_type = id_type or codes.ID_RESIDENT
    numeric_id_types = (codes.ID_RESIDENT, codes.ID_PERMIT, codes.ID_FOREIGN_PR)
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (id_type in numeric_id_types or value > 1e14)
    ):
        raise Problem(
            "id_numeric",
            "证件号码被Excel当成了数字，末几位已经丢失。请把该列设置为“文本”格式后重新填写完整号码。",
        )
    number = clean_number_text(value)
    if not number.isdigit():  # digits need no upper(), and keep the cell's own string
        number = number.upper()
    if not number:
        raise Problem("required", "证件号码不能为空。")
    if _SCIENTIFIC.match(number):
        raise Problem(
            "id_numeric",
            "证件号码显示为科学计数法（如4.30725E+17），末几位已经丢失。请把该列设置为“文本”格式后重新填写完整号码。",
        )
    if id_type in (codes.ID_RESIDENT, codes.ID_PERMIT):
        return _check_resident_id(number, id_type)
    if id_type == codes.ID_FOREIGN_PR:
        return _check_foreign_pr(number)
    if id_type in (codes.ID_PASSPORT, codes.ID_HK_MO_PASS, codes.ID_TW_PASS):
        if not re.fullmatch(r"[A-Z0-9]{5,20}", number):
            raise Problem("id_format", "护照和通行证号码只能由字母和数字组成，长度5到20位。")
        return IdInfo(id_type=id_type, number=number)
    if not 2 <= len(number) <= 30:
        raise Problem("id_format", "证件号码长度应在2到30个字符之间。")
    return IdInfo(id_type=id_type, number=number)


def _check_resident_id(number: str, id_type: str) -> IdInfo:
    label = "居住证号码" if id_type == codes.ID_PERMIT else "身份证号码"
    if len(number) == 15 and number.isdigit():
        upgraded = upgrade_15_digit_id(number)
        raise Problem(
            "id_format",
            f"这是15位的第一代身份证号码，请换成18位号码（按规则转换为 {upgraded}，请与本人身份证核对）。",
        )
    if len(number) != 18:
        raise Problem(
            "id_format", f"{label}应为18位，现在是{len(number)}位，请核对是否多填或漏填。"
        )
    if not _DIGITS17.match(number):
        raise Problem("id_format", f"{label}前17位只能是数字，最后一位是数字或X。")
    if number[17] != mod11_2_check(number[:17]):
        raise Problem(
            "id_checksum", f"{label}校验位不正确，请逐位核对号码（常见原因是抄错一位数字）。"
        )
    if number[:6] in PERMIT_PREFIXES:
        id_type = codes.ID_PERMIT
    elif id_type == codes.ID_PERMIT:
        raise Problem("id_format", "港澳台居民居住证号码应以810000、820000或830000开头。")
    elif number[:2] not in PROVINCES:
        raise Problem("id_format", f"身份证号码前两位“{number[:2]}”不是有效的省份代码，请核对。")
    birth = _birth_date_of(number[6:14])
    info = IdInfo(
        id_type=id_type,
        number=number,
        birth_date=birth,
        gender="1" if int(number[16]) % 2 else "2",
    )
    if id_type == codes.ID_RESIDENT and not region_known(number[:6]):
        info.warnings.append(
            Notice(
                "id_region_unknown",
                f"身份证号码前六位地区代码“{number[:6]}”不在行政区划代码表中，已接受，请核对。",
            )
        )
    return info


@functools.lru_cache(maxsize=8192)
def region_known(code6: str) -> bool:
    """Whether any county ever had this code; the year it was valid does not matter."""
    parts = numdb.get("cn/loc").info(code6)
    return any("county" in props for _, props in parts)


_today_cache: list = [0.0, None]


def _today() -> datetime.date:
    """date.today(), re-read at most once a minute: it is called for every row of an import."""
    now = time.monotonic()
    if _today_cache[1] is None or now - _today_cache[0] > 60:
        _today_cache[:] = [now, datetime.date.today()]
    return _today_cache[1]


@functools.lru_cache(maxsize=65536)
def _birth_date_of(digits: str) -> datetime.date:
    """Kept per digits once accepted (an accepted birth date stays in the past); a refused
    one raises and is not kept."""
    try:
        birth = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise Problem(
            "id_birth_date", f"证件号码中的出生日期“{digits}”不是真实的日期，请核对第7到14位。"
        ) from None
    if birth.year < 1900 or birth > _today():
        raise Problem(
            "id_birth_date",
            f"证件号码中的出生日期“{digits}”不合理（早于1900年或晚于今天），请核对。",
        )
    return birth


def _check_foreign_pr(number: str) -> IdInfo:
    if re.fullmatch(r"[A-Z]{3}\d{12}", number):
        return IdInfo(id_type=codes.ID_FOREIGN_PR, number=number)
    if not re.fullmatch(r"9\d{16}[\dX]", number):
        raise Problem(
            "id_format",
            "外国人永久居留身份证号码应为18位（以9开头），旧版为3个字母加12位数字。",
        )
    if number[17] != mod11_2_check(number[:17]):
        raise Problem("id_checksum", "外国人永久居留身份证号码校验位不正确，请逐位核对。")
    birth = _birth_date_of(number[6:14])
    return IdInfo(
        id_type=codes.ID_FOREIGN_PR,
        number=number,
        birth_date=birth,
        gender="1" if int(number[16]) % 2 else "2",
    )


def mask_id(number: str) -> str:
    """430725199001011234 → 430725********1234."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 1)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# ---- 统一社会信用代码 ------------------------------------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def check_credit_code(value: object) -> str:
    """GB 32100. `stdnum.cn.uscc.validate` rejects valid codes whose first
    character is a letter (A, N, Y), so only its check-digit piece is used."""
    code = clean_text(value).upper()
    if not code:
        raise Problem("required", "统一社会信用代码不能为空。")
    if len(code) != 18:
        raise Problem("uscc_format", f"统一社会信用代码应为18位，现在是{len(code)}位。")
    bad = [c for c in code if c not in _USCC_CHARS]
    if bad:
        raise Problem(
            "uscc_format",
            f"统一社会信用代码含有不允许的字符“{''.join(dict.fromkeys(bad))}”（不使用I、O、Z、S、V）。",
        )
    if code[17] != uscc.calc_check_digit(code[:17]):
        raise Problem("uscc_checksum", "统一社会信用代码校验位不正确，请与营业执照或登记证书核对。")
    return code


# ---- phones, names, dates ---------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$|^\d{7,8}$")


def check_mobile(value: object, *, allow_landline: bool = False) -> str:
    if value.__class__ is str and len(value) == 11 and value.isascii() and _MOBILE.match(value):
        return value  # already what the rules would make of it (tests prove the equality)
    return _check_mobile_rules(value, allow_landline=allow_landline)


def _check_mobile_rules(value: object, *, allow_landline: bool) -> str:
    phone = clean_number_text(value)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    phone = phone.replace("-", "") if _MOBILE.match(phone.replace("-", "")) else phone
    if not phone:
        raise Problem("required", "手机号码不能为空。")
    if _MOBILE.match(phone):
        return phone
    if allow_landline and _LANDLINE.match(phone):
        return phone
    raise Problem("phone_format", "手机号码应为11位数字、以1开头（第二位为3到9），请核对。")


_NAME = re.compile(
    r"^[\u3400-\u9fff\U00020000-\U0002ebe0A-Za-z·][\u3400-\u9fff\U00020000-\U0002ebe0A-Za-z· .]*$"
)


_CJK = "\u3400-\u9fff\U00020000-\U0002ebe0"
_SPACE_IN_CJK = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")
_CJK_ONLY = re.compile(f"^[{_CJK} ]+$")


# Names of Chinese characters only, the common case: nothing below would change or refuse
# them (NFKC leaves these characters as they are; none is a digit, a space or a sign).
_PLAIN_NAME = re.compile("[\u4e00-\u9fff]{1,50}")


def check_name(value: object) -> str:
    if value.__class__ is str and _PLAIN_NAME.fullmatch(value):
        return value  # tests prove the rules give the same
    return _check_name_rules(value)


def _check_name_rules(value: object) -> str:
    raw = unicodedata.normalize("NFKC", str(value or "")).strip()
    name = re.sub(r"[•・‧∙]", "·", re.sub(r"\s+", " ", raw))
    # 张　伟: a short name padded to the width of three; such names have no spaces
    # (longer ones, 阿卜杜拉 买买提, keep theirs).
    if " " in name and _CJK_ONLY.match(name) and len(name.replace(" ", "")) <= 4:
        name = _SPACE_IN_CJK.sub("", name)
    if not name:
        raise Problem("required", "姓名不能为空。")
    if name[0] in "=+-@":
        raise Problem("name_format", "姓名不能以 = + - @ 开头。")
    if any(ch.isdigit() for ch in name):
        raise Problem("name_format", "姓名中不能有数字，请只填写本人姓名。")
    if len(name) > 50:
        raise Problem("name_format", "姓名太长（超过50个字符）。")
    if not _NAME.match(name):
        raise Problem(
            "name_format", "姓名只能包含汉字、字母、空格和间隔号“·”（如：阿卜杜拉·买买提）。"
        )
    return name


# Excel's day zero: serial 1 is 1900-01-01, and serial 60 is the 1900-02-29 that never was.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
_MONTH_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$"),
]


def check_date(
    value: object, *, allow_year_month: bool = False, label: str = "日期", min_year: int = 1900
) -> datetime.date:
    """Real Excel dates and serials, 2019-06-25, 2019/7/25, 2019.07.25, 20190725,
    2019年7月25日; with `allow_year_month`, 1985.03 and 1985年3月 too (day 1).
    Years before `min_year` are refused (a birth date may allow earlier ones and warn)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, float) and 1900 <= value < 2100 and not value.is_integer():
        # 1985.03 typed into a number cell is a year and month, not Excel day 1985.
        value = f"{value:.2f}"
    if allow_year_month and _looks_like_year_month_number(value):
        value = f"{int(value)}"  # 201402 typed into a number cell: a year and month
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466 and not (19000101 <= value <= 29991231):
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        value = clean_number_text(value)
    text = clean_text(value)
    if not text:
        raise Problem("required", f"{label}不能为空。")
    text = re.sub(r"(T|\s)?00:00(:00)?$", "", text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return _make_date(match, label, text, min_year=min_year)
    if allow_year_month:
        for pattern in _MONTH_PATTERNS:
            match = pattern.match(text)
            if match:
                return _make_date(match, label, text, day=1, min_year=min_year)
    example = "1985-03 或 1985-03-15" if allow_year_month else "2019-06-25"
    raise Problem("date_format", f"{label}“{text}”无法识别，请按 {example} 的格式填写。")


def check_date_or_month(value: object, *, label: str = "日期") -> tuple[datetime.date, bool]:
    """A date, or a year and month (2020年4月, 2014.02, 2014-02) taken as the 1st.
    Returns (date, month_only)."""
    if _looks_like_year_month_number(value):
        return check_date(value, allow_year_month=True, label=label), True
    try:
        return check_date(value, label=label), False
    except Problem as problem:
        if problem.code != "date_format":
            raise
    return check_date(value, allow_year_month=True, label=label), True


def _looks_like_year_month_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
        and 190001 <= value <= 210012
        and 1 <= value % 100 <= 12
    )


def _make_date(
    match: re.Match, label: str, text: str, day: int | None = None, min_year: int = 1900
) -> datetime.date:
    try:
        result = datetime.date(
            int(match["y"]), int(match["m"]), day if day is not None else int(match["d"])
        )
    except ValueError:
        raise Problem("date_format", f"{label}“{text}”不是真实存在的日期，请核对。") from None
    if result.year < min_year or result > datetime.date.today() + datetime.timedelta(days=366 * 10):
        raise Problem("date_format", f"{label}“{text}”超出合理范围，请核对年份。")
    return result
