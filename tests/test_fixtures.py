"""The shared fixtures build what the code under test would build."""

from tests.conftest import build_tree
from unions.models import Union


def layout():
    return sorted(
        Union.objects.values_list("tree_id", "name", "parent__name", "lft", "rght", "level")
    )


def test_the_tree_fixture_is_the_tree_django_mptt_builds(tree):
    # `tree` went through django-mptt or took the recorded path; a second tree takes the
    # recorded path either way.
    second = build_tree()
    assert second["city"].tree_id == tree["city"].tree_id + 1
    assert [u.pk for u in second.values()] == sorted(u.pk for u in second.values())
    before = layout()
    assert len(before) == 16
    Union.objects.rebuild()
    assert layout() == before
    for union in second.values():
        fresh = Union.objects.get(pk=union.pk)
        assert (union.lft, union.rght, union.level) == (fresh.lft, fresh.rght, fresh.level)
