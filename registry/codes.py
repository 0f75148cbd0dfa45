"""Code lists (DESIGN.md §4): the standard code is stored, the name is shown,
and what people actually write is accepted on import.

Each list is a `CodeList` whose synonyms table (`aliases`: what people write → the
listed name) sits right beside its entries; `ALL_LISTS` names every list, and the
tests check every list and every synonym from there. `resolve()` maps whatever a
sheet holds (code — also as the number Excel makes of it, 1.0 or 1 for "01" —, name
or synonym, in full- or half-width, with or without spaces) to the code, or returns
None when nothing matches; `suggest()` gives the closest names for a value that
matched nothing ("您是否要填：…").
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

_PUNCT = str.maketrans({"（": "(", "）": ")", "／": "/", "、": "/", "\\": "/"})
_SPACES = re.compile(r"\s+")


def normalize_key(value: object) -> str:
    """The form a code-list lookup compares: NFKC, no spaces, ASCII brackets."""
    text = unicodedata.normalize("NFKC", str(value)).translate(_PUNCT)
    return _SPACES.sub("", text).upper()


@dataclass
class CodeList:
    label: str
    entries: list[tuple[str, str]]
    aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lookup: dict[str, str] = {}
        for code, name in self.entries:
            self._lookup[normalize_key(code)] = code
            self._lookup[normalize_key(name)] = code
        names = dict((name, code) for code, name in self.entries)
        for alias, target in self.aliases.items():
            self._lookup[normalize_key(alias)] = names.get(target, target)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return list(self.entries)

    @property
    def names(self) -> list[str]:
        return [name for _, name in self.entries]

    def name_of(self, code: str) -> str:
        return dict(self.entries).get(code, code)

    def resolve(self, value: object) -> str | None:
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code typed into a number cell: 1.0 → "1"
        key = normalize_key(value)
        if not key:
            return None
        if key in self._lookup:
            return self._lookup[key]
        if key.isdigit() and len(key) < 2 and key.zfill(2) in self._lookup:
            return self._lookup[key.zfill(2)]  # 1 for "01": Excel drops the leading zero
        # "研究生/博士", "本科/学士": try each part of a compound answer.
        for part in key.split("/"):
            if part in self._lookup:
                return self._lookup[part]
        return None

    def suggest(self, value: object, limit: int = 3) -> list[str]:
        """The listed names closest to a value `resolve` did not know (best first)."""
        key = normalize_key(value)
        if not key:
            return []
        spellings: dict[str, str] = {}  # normalised spelling → listed name
        names = dict(self.entries)
        for spelling, code in self._lookup.items():
            if not spelling.isdigit():
                spellings.setdefault(spelling, names.get(code, code))
        found: list[str] = []
        # A name that contains what was written, or is contained in it (大学 → 大学本科).
        for spelling, name in spellings.items():
            if len(spelling) > 1 and (key in spelling or spelling in key) and name not in found:
                found.append(name)
        for spelling in difflib.get_close_matches(key, list(spellings), n=limit * 3, cutoff=0.5):
            if spellings[spelling] not in found:
                found.append(spellings[spelling])
        return found[:limit]


GENDER = CodeList(
    "性别",
    [("1", "男"), ("2", "女")],  # GB/T 2261.1: the codes 1 and 2 are accepted as written
    {"男性": "男", "女性": "女", "M": "男", "F": "女", "MALE": "男", "FEMALE": "女"},
)

_ETHNIC_NAMES = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]
ETHNICITY = CodeList(
    "民族",
    [(f"{i:02d}", f"{name}族") for i, name in enumerate(_ETHNIC_NAMES, start=1)]
    + [("97", "其他"), ("98", "外国血统中国籍人士")],
    {
        **{name: f"{name}族" for name in _ETHNIC_NAMES},
        **{str(i): f"{name}族" for i, name in enumerate(_ETHNIC_NAMES, start=1)},
        "崩龙族": "德昂族",
        "崩龙": "德昂族",
        "毛难族": "毛南族",
        "毛难": "毛南族",
        "穿青人": "其他",
        "其它": "其他",
        "其他民族": "其他",
        "维族": "维吾尔族",
        "蒙族": "蒙古族",
        "外国血统": "外国血统中国籍人士",
        "外国血统中国籍": "外国血统中国籍人士",
    },
)

POLITICAL_STATUS = CodeList(
    "政治面貌",
    [
        ("01", "中共党员"),
        ("02", "中共预备党员"),
        ("03", "共青团员"),
        ("04", "民革党员"),
        ("05", "民盟盟员"),
        ("06", "民建会员"),
        ("07", "民进会员"),
        ("08", "农工党党员"),
        ("09", "致公党党员"),
        ("10", "九三学社社员"),
        ("11", "台盟盟员"),
        ("12", "无党派人士"),
        ("13", "群众"),
    ],
    {
        "中国共产党党员": "中共党员",
        "中共正式党员": "中共党员",
        "正式党员": "中共党员",
        "党员": "中共党员",
        "共产党员": "中共党员",
        "中国共产党预备党员": "中共预备党员",
        "预备党员": "中共预备党员",
        "团员": "共青团员",
        "中国共产主义青年团团员": "共青团员",
        "中国共产主义青年团员": "共青团员",
        "中国国民党革命委员会会员": "民革党员",
        "中国民主同盟盟员": "民盟盟员",
        "中国民主建国会会员": "民建会员",
        "中国民主促进会会员": "民进会员",
        "中国农工民主党党员": "农工党党员",
        "中国致公党党员": "致公党党员",
        "台湾民主自治同盟盟员": "台盟盟员",
        "无党派民主人士": "无党派人士",
        "普通群众": "群众",
        "民革会员": "民革党员",
        "民革": "民革党员",
        "民盟会员": "民盟盟员",
        "民盟": "民盟盟员",
        "民建": "民建会员",
        "民进": "民进会员",
        "农工党": "农工党党员",
        "致公党": "致公党党员",
        "九三学社": "九三学社社员",
        "台盟": "台盟盟员",
        "无党派": "无党派人士",
        "无": "群众",
    },
)

EDUCATION = CodeList(
    "学历",
    [
        ("11", "研究生(博士)"),
        ("14", "研究生(硕士)"),
        ("21", "大学本科"),
        ("31", "大学专科"),
        ("41", "中等专科"),
        ("44", "职业高中"),
        ("47", "技工学校"),
        ("61", "普通高中"),
        ("71", "初中"),
        ("81", "小学"),
        ("99", "其他"),
    ],
    {
        "博士": "研究生(博士)",
        "博士研究生": "研究生(博士)",
        "研究生/博士": "研究生(博士)",
        "硕士": "研究生(硕士)",
        "硕士研究生": "研究生(硕士)",
        "研究生/硕士": "研究生(硕士)",
        "研究生": "研究生(硕士)",
        "本科": "大学本科",
        "本科学历": "大学本科",
        "大学本科学历": "大学本科",
        "研究生学历": "研究生(硕士)",
        "大专学历": "大学专科",
        "高职": "大学专科",
        "职中": "职业高中",
        "普高": "普通高中",
        "高中学历": "普通高中",
        "中专学历": "中等专科",
        "其它": "其他",
        "本科/学士": "大学本科",
        "学士": "大学本科",
        "大本": "大学本科",
        "专科": "大学专科",
        "大专": "大学专科",
        "中专": "中等专科",
        "职高": "职业高中",
        "技校": "技工学校",
        "高中": "普通高中",
        "初中及以下": "初中",
        "小学及以下": "小学",
    },
)

ID_TYPE = CodeList(
    "证件类型",
    [
        ("01", "居民身份证"),
        ("02", "港澳台居民居住证"),
        ("03", "港澳居民来往内地通行证"),
        ("04", "台湾居民来往大陆通行证"),
        ("05", "护照"),
        ("06", "外国人永久居留身份证"),
        ("99", "其他"),
    ],
    {
        "身份证": "居民身份证",
        "二代身份证": "居民身份证",
        "居民身份证号码": "居民身份证",
        "居住证": "港澳台居民居住证",
        "港澳居民居住证": "港澳台居民居住证",
        "台湾居民居住证": "港澳台居民居住证",
        "港澳台居住证": "港澳台居民居住证",
        "港澳通行证号码": "港澳居民来往内地通行证",
        "其它": "其他",
        "回乡证": "港澳居民来往内地通行证",
        "港澳通行证": "港澳居民来往内地通行证",
        "台胞证": "台湾居民来往大陆通行证",
        "外国护照": "护照",
        "永久居留证": "外国人永久居留身份证",
        "外国人永久居留证": "外国人永久居留身份证",
    },
)
ID_RESIDENT = "01"
ID_PERMIT = "02"
ID_HK_MO_PASS = "03"  # noqa: S105 - a document type, not a password
ID_TW_PASS = "04"  # noqa: S105
ID_PASSPORT = "05"
ID_FOREIGN_PR = "06"
ID_OTHER = "99"

HOUSEHOLD_TYPE = CodeList(
    "户籍类型",
    [("1", "城镇"), ("2", "农村")],
    {
        "非农业户口": "城镇",
        "非农业": "城镇",
        "非农": "城镇",
        "城市": "城镇",
        "城镇户口": "城镇",
        "城镇户籍": "城镇",
        "农业户口": "农村",
        "农业": "农村",
        "农村户口": "农村",
        "农村户籍": "农村",
    },
)

EMPLOYMENT_STATUS = CodeList(
    "就业状况",
    [
        ("01", "在岗"),
        ("02", "待(下)岗"),
        ("03", "失业"),
        ("04", "退休"),
        ("05", "离休"),
        ("06", "退职"),
        ("07", "内退"),
        ("08", "病休"),
        ("09", "劳务派遣"),
        ("10", "灵活就业"),
        ("99", "其他"),
    ],
    {
        "在职": "在岗",
        "在岗职工": "在岗",
        "在职职工": "在岗",
        "下岗": "待(下)岗",
        "待岗": "待(下)岗",
        "待下岗": "待(下)岗",
        "失业人员": "失业",
        "已退休": "退休",
        "退休职工": "退休",
        "内部退养": "内退",
        "派遣": "劳务派遣",
        "劳务派遣工": "劳务派遣",
        "派遣工": "劳务派遣",
        "灵活就业人员": "灵活就业",
        "其它": "其他",
    },
)

YES_NO = CodeList(
    "是否",
    [("1", "是"), ("0", "否")],
    {
        "Y": "是",
        "YES": "是",
        "√": "是",
        "TRUE": "是",
        "N": "否",
        "NO": "否",
        "×": "否",
        "FALSE": "否",
        "是的": "是",
        "不是": "否",
    },
)

UNION_POST = CodeList(
    "工会职务",
    [
        ("01", "会员"),
        ("02", "工会主席"),
        ("03", "工会副主席"),
        ("04", "工会常委"),
        ("05", "工会委员"),
        ("06", "经审委主任"),
        ("07", "经审委委员"),
        ("08", "女职工委员会主任"),
        ("09", "女职工委员会委员"),
        ("10", "工会小组长"),
    ],
    {
        "无": "会员",
        "普通会员": "会员",
        "一般会员": "会员",
        "工会会员": "会员",
        "主席": "工会主席",
        "工会委员会主席": "工会主席",
        "工会副主席": "工会副主席",
        "专职副主席": "工会副主席",
        "兼职副主席": "工会副主席",
        "常务委员": "工会常委",
        "工会常务委员": "工会常委",
        "工会委员会委员": "工会委员",
        "经费审查委员会主任": "经审委主任",
        "经审会主任": "经审委主任",
        "经审主任": "经审委主任",
        "经费审查委员会委员": "经审委委员",
        "经审会委员": "经审委委员",
        "经审委员": "经审委委员",
        "女工主任": "女职工委员会主任",
        "女职工主任": "女职工委员会主任",
        "女工委员": "女职工委员会委员",
        "工会小组组长": "工会小组长",
        "副主席": "工会副主席",
        "常委": "工会常委",
        "委员": "工会委员",
        "小组长": "工会小组长",
        "组长": "工会小组长",
        "女职委主任": "女职工委员会主任",
        "女职委委员": "女职工委员会委员",
    },
)

POST_TYPE = CodeList(
    "专兼职",
    [("1", "专职"), ("2", "兼职")],
    {"专": "专职", "兼": "兼职", "专职工会干部": "专职", "兼职工会干部": "兼职"},
)

UNIT_NATURE = CodeList(
    "单位性质",
    [
        ("01", "党政机关"),
        ("02", "事业单位"),
        ("03", "国有企业"),
        ("04", "集体企业"),
        ("05", "私营企业"),
        ("06", "股份制企业"),
        ("07", "联营企业"),
        ("08", "外商投资企业"),
        ("09", "港澳台投资企业"),
        ("10", "个体经济组织"),
        ("11", "社会组织"),
        ("99", "其他"),
    ],
    {
        "机关": "党政机关",
        "机关单位": "党政机关",
        "行政机关": "党政机关",
        "事业": "事业单位",
        "国企": "国有企业",
        "民企": "私营企业",
        "私企": "私营企业",
        "外企": "外商投资企业",
        "合资企业": "外商投资企业",
        "个体": "个体经济组织",
        "其它": "其他",
        "国有经济": "国有企业",
        "集体经济": "集体企业",
        "私营经济": "私营企业",
        "民营企业": "私营企业",
        "股份制": "股份制企业",
        "联营经济": "联营企业",
        "外商投资": "外商投资企业",
        "外资企业": "外商投资企业",
        "港澳台投资": "港澳台投资企业",
        "个体经济": "个体经济组织",
        "个体工商户": "个体经济组织",
        "社会团体": "社会组织",
        "民办非企业单位": "社会组织",
    },
)

UNION_KIND = CodeList(
    "工会类型",
    [
        ("01", "地方总工会"),
        ("02", "产业工会"),
        ("03", "工会联合会"),
        ("04", "单独基层工会"),
        ("05", "联合基层工会"),
        ("06", "分会"),
        ("07", "工会小组"),
    ],
    {
        "总工会": "地方总工会",
        "行业工会": "产业工会",
        "系统工会": "产业工会",
        "区域性工会联合会": "工会联合会",
        "行业性工会联合会": "工会联合会",
        "单建": "单独基层工会",
        "基层工会": "单独基层工会",
        "独立基层工会": "单独基层工会",
        "基层法人独立工会": "单独基层工会",
        "联合工会": "联合基层工会",
        "基层联合工会": "联合基层工会",
        "乡镇工会联合会": "工会联合会",
        "街道工会联合会": "工会联合会",
        "联合会": "工会联合会",
        "部门工会": "分会",
        "分工会": "分会",
        "小组": "工会小组",
    },
)
KIND_LOCAL_FEDERATION = "01"
KIND_INDUSTRY = "02"
KIND_FEDERATION = "03"
KIND_BASE = "04"
KIND_JOINT_BASE = "05"
KIND_BRANCH = "06"
KIND_GROUP = "07"

ALL_LISTS: list[CodeList] = [
    GENDER,
    ETHNICITY,
    POLITICAL_STATUS,
    EDUCATION,
    ID_TYPE,
    HOUSEHOLD_TYPE,
    EMPLOYMENT_STATUS,
    YES_NO,
    UNION_POST,
    POST_TYPE,
    UNIT_NATURE,
    UNION_KIND,
]
