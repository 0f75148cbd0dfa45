"""The COPY text of a column, rendered a column at a time, is the text of each cell
rendered alone: whatever mixture of values a column holds."""

import datetime

import pytest

from members.bulk import MISSING, _copy_value, copy_column

NOW = datetime.datetime(2026, 12, 7, 4, 40, tzinfo=datetime.UTC)
COLUMNS = {
    "names": ["王伟", "李娜", "张 伟"],
    "names with tab, newline, backslash": ["王\t伟", "李\n娜", "C:\\x", "普通"],
    "codes and missing": ["01", MISSING, "", "02", MISSING],
    "only missing": [MISSING, MISSING],
    "repeated dates and none": [datetime.date(2019, 6, 25), None, datetime.date(2019, 6, 25)],
    "timestamps": [NOW, NOW, MISSING],
    "booleans and none": [True, None, False, True],
    "true next to one": [True, 1, False, 0],
    "union ids": [7, 7, 8],
    "extra columns": [{"籍贯": "湖南桃源", "工号": "G1"}, {}, {"备注": "a\tb"}],
    "extra next to missing": [{"工号": "G2"}, MISSING],
    "mixed text and numbers": ["1", 1, 1.5, None],
}


@pytest.mark.parametrize("values", COLUMNS.values(), ids=COLUMNS.keys())
def test_a_column_renders_as_its_cells_do(values):
    default = "\\N"
    expected = [default if value is MISSING else _copy_value(value) for value in values]
    assert copy_column(values, default) == expected


def test_special_characters_are_escaped_and_plain_text_left_alone():
    assert copy_column(["王\t伟", "李娜"], "") == ["王\\t伟", "李娜"]
    assert copy_column([True, 1], "") == ["t", "1"]
    assert copy_column([MISSING, "01"], "00") == ["00", "01"]
