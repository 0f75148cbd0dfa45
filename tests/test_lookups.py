"""`__any_of`: a long list of values as one parameter finds exactly what `__in` finds."""

import pytest

from registry import codes
from unions.models import Union


@pytest.mark.django_db
def test_any_of_finds_the_same_rows_as_in_whatever_the_text_holds():
    names = ["甲,乙", '引号"里', "反斜杠\\尾", "{花括号}", "空 格", "NULL", "普通工会"]
    for name in names:
        Union.objects.create(name=name, kind=codes.KIND_BASE)
    Union.objects.create(name="不在名单里", kind=codes.KIND_BASE)
    wanted = [*names[:-1], "没有这个工会"]

    found = set(Union.objects.filter(name__any_of=wanted).values_list("name", flat=True))

    assert found == set(Union.objects.filter(name__in=wanted).values_list("name", flat=True))
    assert found == set(names[:-1])
