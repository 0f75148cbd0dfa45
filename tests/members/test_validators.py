import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from members.synthetic import id_number
from registry import codes
from registry.validators import (
    Problem,
    check_credit_code,
    check_date,
    check_id_number,
    check_mobile,
    check_name,
    mask_id,
    mask_phone,
    mod11_2_check,
)


def with_check(first17: str) -> str:
    return first17 + mod11_2_check(first17)


def problem_code(func, *args, **kwargs) -> str:
    with pytest.raises(Problem) as info:
        func(*args, **kwargs)
    assert info.value.message  # every problem says something to the user
    return info.value.code


# ---- 居民身份证 ---------------------------------------------------------------


def test_valid_id_gives_birth_date_and_gender():
    number = id_number(region="430725", birth=datetime.date(1990, 3, 15), seq=12, male=False)
    info = check_id_number(number)
    assert info.number == number
    assert info.birth_date == datetime.date(1990, 3, 15)
    assert info.gender == "2"
    assert info.warnings == []


def test_id_is_normalised_before_checking():
    number = id_number(birth=datetime.date(1980, 1, 2), seq=7)
    first17 = number[:17]
    # A check digit of X typed in lower case, full-width digits and spaces around.
    x_first17 = next(
        f"{first17[:14]}{i:03d}"
        for i in range(1000)
        if mod11_2_check(f"{first17[:14]}{i:03d}") == "X"
    )
    messy = " " + x_first17.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x "
    assert check_id_number(messy).number == x_first17 + "X"


def test_person_born_before_their_county_code_existed_is_accepted():
    # 430725 (桃源县) is in the region database from 1988 on; stdnum's validate
    # rejects someone born there in 1970, whose ID is nonetheless real.
    from stdnum.cn import ric

    number = id_number(region="430725", birth=datetime.date(1970, 5, 1), seq=3)
    assert not ric.is_valid(number)
    assert check_id_number(number).warnings == []


def test_unknown_region_code_is_only_a_warning():
    number = id_number(region="439999", birth=datetime.date(1990, 1, 1), seq=3)
    info = check_id_number(number)
    assert [w.code for w in info.warnings] == ["id_region_unknown"]


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_all_three_residence_permits_are_accepted(prefix):
    number = id_number(region=prefix, birth=datetime.date(1992, 8, 8), seq=5)
    info = check_id_number(number, codes.ID_PERMIT)
    assert info.id_type == codes.ID_PERMIT
    # A sheet without a 证件类型 column defaults to 居民身份证: the permit is recognised.
    assert check_id_number(number).id_type == codes.ID_PERMIT


def test_permit_type_with_ordinary_id_number_is_rejected():
    number = id_number(region="430725", birth=datetime.date(1992, 8, 8), seq=5)
    assert problem_code(check_id_number, number, codes.ID_PERMIT) == "id_format"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("43072519900101123", "id_format"),  # 17 characters
        ("4307251990010112345", "id_format"),  # 19 characters
        ("43072519900101A234", "id_format"),  # a letter inside
        (with_check("00172519900101123"), "id_format"),  # no such province
        (with_check("43072519900230123"), "id_birth_date"),  # 30 February
        (with_check("43072518990101123"), "id_birth_date"),  # before 1900
        (with_check("43072520990101123"), "id_birth_date"),  # in the future
        (4.30725199001011e17, "id_numeric"),  # Excel turned it into a number
        ("4.30725E+17", "id_numeric"),  # and displayed it in scientific notation
    ],
)
def test_malformed_ids_each_get_their_own_code(value, code):
    assert problem_code(check_id_number, value) == code


def test_wrong_check_digit_is_a_checksum_error():
    number = id_number(birth=datetime.date(1990, 1, 1), seq=1)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert problem_code(check_id_number, wrong) == "id_checksum"


def test_fifteen_digit_id_message_offers_the_converted_number():
    with pytest.raises(Problem) as info:
        check_id_number("430725900101123")
    assert info.value.code == "id_format"
    assert "4307251990010112" in info.value.message
    assert "15位" in info.value.message


@given(
    birth=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2010, 12, 31)),
    seq=st.integers(min_value=0, max_value=499),
    male=st.booleans(),
    region=st.sampled_from(["110105", "430725", "650102", "810000", "820000", "830000", "469001"]),
)
def test_every_well_formed_generated_id_passes(birth, seq, male, region):
    info = check_id_number(id_number(region=region, birth=birth, seq=seq, male=male))
    assert info.birth_date == birth
    assert info.gender == ("1" if male else "2")


@given(
    birth=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2005, 12, 31)),
    seq=st.integers(min_value=0, max_value=499),
    position=st.integers(min_value=0, max_value=17),
    delta=st.integers(min_value=1, max_value=9),
)
def test_changing_any_single_digit_fails_the_checksum(birth, seq, position, delta):
    number = id_number(region="430725", birth=birth, seq=seq)
    chars = list(number)
    if chars[position] == "X":
        chars[position] = str(delta)
    else:
        chars[position] = str((int(chars[position]) + delta) % 10)
    assert problem_code(check_id_number, "".join(chars)) == "id_checksum"


# ---- other documents ----------------------------------------------------------


def test_foreign_permanent_residence_cards_both_forms():
    first17 = "93311219900101123"
    new_form = first17 + mod11_2_check(first17)
    assert check_id_number(new_form, codes.ID_FOREIGN_PR).birth_date == datetime.date(1990, 1, 1)
    assert check_id_number("USA330012345678", codes.ID_FOREIGN_PR).number == "USA330012345678"
    assert problem_code(check_id_number, first17 + "Y", codes.ID_FOREIGN_PR) == "id_format"
    bad = first17 + ("0" if mod11_2_check(first17) != "0" else "1")
    assert problem_code(check_id_number, bad, codes.ID_FOREIGN_PR) == "id_checksum"


@pytest.mark.parametrize("id_type", [codes.ID_PASSPORT, codes.ID_HK_MO_PASS, codes.ID_TW_PASS])
def test_passports_and_passes(id_type):
    assert check_id_number("e1234 5678", id_type).number == "E12345678"
    assert problem_code(check_id_number, "E12", id_type) == "id_format"
    assert problem_code(check_id_number, "E1234-5678", id_type) == "id_format"


# ---- 统一社会信用代码 --------------------------------------------------------


def with_uscc_check(first17: str) -> str:
    from stdnum.cn import uscc

    return first17 + uscc.calc_check_digit(first17)


@pytest.mark.parametrize(
    "first17", ["81430725MC1234567", "91430725MA4L12345", "Y1430725MJ0000001", "N2430725MB1234567"]
)
def test_credit_codes_including_letter_first_ones(first17):
    code = with_uscc_check(first17)
    assert check_credit_code(code.lower()) == code


def test_credit_code_errors():
    code = with_uscc_check("81430725MC1234567")
    assert problem_code(check_credit_code, code[:-1]) == "uscc_format"
    assert problem_code(check_credit_code, code[:5] + "I" + code[6:]) == "uscc_format"
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert problem_code(check_credit_code, wrong) == "uscc_checksum"


# ---- phones, names, dates ---------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        13812345678,
        13812345678.0,
        "138 1234 5678",
        "+8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_numbers_are_normalised(value):
    assert check_mobile(value) == "13812345678"


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "0736-6622447", "abc"])
def test_bad_mobile_numbers(value):
    assert problem_code(check_mobile, value) == "phone_format"


def test_landline_only_where_allowed():
    assert check_mobile("0736-6622447", allow_landline=True) == "0736-6622447"


@pytest.mark.parametrize(
    "value", ["张三", "阿卜杜拉·买买提", "阿卜杜拉•买买提", "John Smith", "欧阳 娜娜"]
)
def test_names_accepted(value):
    assert check_name(value)


def test_middle_dot_variants_are_unified():
    assert check_name("阿卜杜拉・买买提") == "阿卜杜拉·买买提"


@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "+张三", "张三1", "@李四", "张三!"])
def test_names_rejected(value):
    assert problem_code(check_name, value) == "name_format"


@pytest.mark.parametrize(
    "value",
    [
        "2019-06-25",
        "2019/6/25",
        "2019.06.25",
        "20190625",
        "2019年6月25日",
        datetime.date(2019, 6, 25),
        datetime.datetime(2019, 6, 25, 0, 0),
        43641,
        43641.0,
        "2019-06-25 00:00:00",
    ],
)
def test_dates_in_every_listed_format(value):
    assert check_date(value) == datetime.date(2019, 6, 25)


@pytest.mark.parametrize("value", ["1985.03", "1985年3月", "1985-3", "198503"])
def test_year_month_only_where_allowed(value):
    assert check_date(value, allow_year_month=True) == datetime.date(1985, 3, 1)
    assert problem_code(check_date, value) == "date_format"


@pytest.mark.parametrize("value", ["2019-02-30", "昨天", "25/06/2019", "1850-01-01"])
def test_bad_dates(value):
    assert problem_code(check_date, value) == "date_format"


def test_masking():
    assert mask_id("430725199001011234") == "430725********1234"
    assert mask_phone("13812345678") == "138****5678"


def test_code_lists_accept_aliases():
    assert codes.ETHNICITY.resolve("汉") == "01"
    assert codes.ETHNICITY.resolve("崩龙族") == codes.ETHNICITY.resolve("德昂族")
    assert codes.POLITICAL_STATUS.resolve("中国共产党党员") == "01"
    assert codes.POLITICAL_STATUS.resolve("民盟会员") == "05"
    assert codes.EDUCATION.resolve("本科") == "21"
    assert codes.EDUCATION.resolve("研究生/博士") == "11"
    assert codes.EDUCATION.resolve("研究生（硕士）") == "14"
    assert codes.HOUSEHOLD_TYPE.resolve("农业户口") == "2"
    assert codes.UNIT_NATURE.resolve("私营经济") == "05"
    assert codes.ETHNICITY.resolve("火星族") is None
