"""Every code list and its synonyms, checked from the lists themselves (registry/codes.py)."""

import pytest

from registry import codes

LISTS = pytest.mark.parametrize("code_list", codes.ALL_LISTS, ids=lambda c: c.label)


@LISTS
def test_every_code_and_name_resolves_to_itself(code_list):
    for code, name in code_list.entries:
        assert code_list.resolve(code) == code
        assert code_list.resolve(name) == code
        assert code_list.resolve(f" {name}\u3000") == code


@LISTS
def test_every_synonym_names_a_listed_entry(code_list):
    listed = {name for _, name in code_list.entries} | {code for code, _ in code_list.entries}
    assert code_list.aliases, f"{code_list.label} has no synonyms"
    for alias, target in code_list.aliases.items():
        assert target in listed, f"{code_list.label}: {alias} → {target} is not in the list"
        assert code_list.resolve(alias) is not None


@LISTS
def test_no_synonym_shadows_another_entry(code_list):
    by_name = {name: code for code, name in code_list.entries}
    for alias, target in code_list.aliases.items():
        if alias in by_name:
            assert by_name[alias] == by_name.get(target, target), alias


@LISTS
def test_an_unknown_value_suggests_entries_of_the_same_list(code_list):
    names = code_list.names
    for name in names:
        if len(name) > 2:
            typo = name[:-1] + "某"
            assert set(code_list.suggest(typo)) <= set(names)
            assert code_list.suggest(typo), f"{code_list.label}: no suggestion for {typo}"


@pytest.mark.parametrize(
    ("code_list", "written", "stored"),
    [
        (codes.UNION_POST, "经费审查委员会主任", "经审委主任"),
        (codes.UNION_POST, "经费审查委员会委员", "经审委委员"),
        (codes.UNION_POST, "女职委主任", "女职工委员会主任"),
        (codes.UNION_POST, "主席", "工会主席"),
        (codes.UNION_POST, "小组长", "工会小组长"),
        (codes.UNION_POST, "普通会员", "会员"),
        (codes.EDUCATION, "本科", "大学本科"),
        (codes.EDUCATION, "大专", "大学专科"),
        (codes.POLITICAL_STATUS, "党员", "中共党员"),
        (codes.POLITICAL_STATUS, "中国共产党党员", "中共党员"),
        (codes.POLITICAL_STATUS, "民盟会员", "民盟盟员"),
        (codes.ETHNICITY, "汉", "汉族"),
        (codes.ETHNICITY, "崩龙族", "德昂族"),
        (codes.ETHNICITY, "毛难族", "毛南族"),
        (codes.HOUSEHOLD_TYPE, "非农业户口", "城镇"),
        (codes.HOUSEHOLD_TYPE, "农业户口", "农村"),
        # Numbers as Excel gives them: GB/T 2261.1 性别 1/2, 民族 1 for 01.
        (codes.GENDER, 1, "男"),
        (codes.GENDER, 2.0, "女"),
        (codes.GENDER, "１", "男"),
        (codes.ETHNICITY, 1.0, "汉族"),
        (codes.POLITICAL_STATUS, 13.0, "群众"),
    ],
)
def test_what_people_write_is_stored_as_the_listed_entry(code_list, written, stored):
    assert code_list.name_of(code_list.resolve(written)) == stored


def test_close_entries_are_suggested():
    assert codes.EDUCATION.suggest("大学")[:2] == ["大学本科", "大学专科"]
    assert codes.UNION_POST.suggest("经审主任委员")[0] == "经审委主任"
    assert codes.GENDER.resolve("男女") is None
