"""The import's fast paths give what the full rules give (python-stdnum for the check
digit), on many valid and invalid values: a shortcut may only skip work, never change
an answer."""

import datetime
import random
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from members.synthetic import GIVEN, SURNAMES, id_number
from registry import validators
from registry.validators import Problem, check_id_number, check_mobile, check_name, clean_text


def outcome(func, *args, **kwargs):
    try:
        return ("ok", func(*args, **kwargs))
    except Problem as problem:
        return ("refused", problem.code, problem.message)


NAME_CHARS = st.sampled_from(
    [
        *"张王李赵伟芳娜敏静丽强磊军洋勇艳杰",
        *"阿卜杜拉买买提·•・ 　",
        *"abcXYZ0123４５",
        "\u3400",
        "\u4dc0",
    ]
    + ["\u9fa5", "\u9fff", "\uf900", "\ufa0e", "\U00020000", "\u3007", "\t", "=", "-", "@", "."]
)


@settings(max_examples=1000)
@given(st.text(NAME_CHARS, max_size=60))
def test_names_fast_path_equals_the_rules(text):
    assert outcome(check_name, text) == outcome(validators._check_name_rules, text)


def test_every_common_name_and_length_takes_the_same_answer():
    rng = random.Random(12)
    names = [
        rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(0, 3))) for _ in range(5000)
    ]
    names += ["张" * 50, "张" * 51, "", " 张伟", "张伟 ", "张 伟", "\u4e00\u9fff", "李\u3007"]
    # every character of the range the fast path accepts
    names += ["王" + chr(c) for c in range(0x4E00, 0xA000)]
    for name in names:
        assert outcome(check_name, name) == outcome(validators._check_name_rules, name), name


MOBILE_CHARS = st.sampled_from([*"0123456789", "１", "３", "+", "-", " ", "\u3000", "x", "٣"])


@settings(max_examples=1000)
@given(st.text(MOBILE_CHARS, min_size=9, max_size=14), st.booleans())
def test_mobiles_fast_path_equals_the_rules(text, landline):
    assert outcome(check_mobile, text, allow_landline=landline) == outcome(
        validators._check_mobile_rules, text, allow_landline=landline
    )


def test_mobiles_of_every_prefix_take_the_same_answer():
    rng = random.Random(3)
    for first in "0123456789":
        for second in "0123456789":
            for length in (10, 11, 12):
                text = first + second + "".join(rng.choice("0123456789") for _ in range(length - 2))
                for value in (
                    text,
                    text + "\n",
                    " " + text,
                    float(text) if text[0] != "0" else text,
                ):
                    assert outcome(check_mobile, value) == outcome(
                        validators._check_mobile_rules, value, allow_landline=False
                    ), value


@settings(max_examples=1000)
@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=False)))
def test_clean_text_equals_nfkc_without_spaces(value):
    rule = validators._SPACES.sub("", unicodedata.normalize("NFKC", str(value)))
    assert clean_text(value) == rule


def reference_number(value: str) -> str:
    """How the rules read an ID before any shortcut: NFKC, no spaces, upper case."""
    return validators._SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()


def candidate_ids() -> list[str]:
    rng = random.Random(18)
    out = []
    for n in range(3000):
        birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(30000))
        region = rng.choice(["430725", "110101", "420102", "810000", "990000", "123456"])
        valid = id_number(region=region, birth=birth, seq=n, male=n % 2 == 0)
        out.append(valid)
        out.append(valid[:17] + rng.choice("0123456789X"))  # often a wrong check digit
        out.append(valid[:17] + "x" if valid[17] == "X" else valid.lower())
        out.append(valid[:6] + " " + valid[6:])
        out.append(valid.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
        out.append(valid[:-1])
        out.append(valid[:15])
    out += ["", "X" * 18, "43072519900101123", "4307251990010112345", "43072519901301123X"]
    return out


def test_ids_are_read_as_the_rules_read_them_and_checked_by_stdnum():
    accepted = 0
    for value in candidate_ids():
        result = outcome(check_id_number, value)
        number = reference_number(value)
        if result[0] == "ok":
            accepted += 1
            info = result[1]
            assert info.number == number
            # the rule of record for the check digit: python-stdnum
            assert ric.calc_check_digit(number) == number[17]
        elif result[1] == "id_checksum":
            assert len(number) == 18 and ric.calc_check_digit(number) != number[17]
        elif len(number) == 18 and number[:17].isdigit() and number[17] in "0123456789X":
            # refused for another reason (province, birth date, permit prefix) only
            assert result[1] in ("id_format", "id_birth_date")
    assert accepted > 3000  # the valid ones and their spaced, full-width, lower-case forms
