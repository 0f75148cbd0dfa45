"""The access vocabulary (issue 10, item 2): every view, form, template and command asks
unions.access; the transitional names left for modules rewritten elsewhere agree with it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from unions import access
from unions.models import Union, User

pytestmark = pytest.mark.django_db

ROLES = [User.Role.ADMIN, User.Role.COLLECTOR, User.Role.VIEWER]


def fresh(tree, name):
    return Union.objects.get(pk=tree[name].pk)


@pytest.mark.parametrize("role", ROLES)
def test_vocabulary_by_role_and_position(role, tree, make_user):
    user = make_user(fresh(tree, "county"), role)
    editor = role != User.Role.VIEWER
    admin = role == User.Role.ADMIN
    town, sibling = fresh(tree, "town"), fresh(tree, "sibling")

    assert access.can_edit_members(user) is editor
    assert access.can_edit_members(user, town) is editor
    assert access.can_edit_members(user, sibling) is False
    assert access.can_see_personal_data(user) is editor
    assert access.can_manage_accounts(user) is admin
    assert access.can_manage_accounts(user, town) is admin
    assert access.can_manage_accounts(user, sibling) is False
    assert access.can_import(user) is editor
    assert access.can_import(user, town) is editor
    assert access.can_import(user, town, kind="unions") is admin
    assert access.can_import(user, sibling) is False


def test_nobody_without_a_live_union_may_do_anything(tree, make_user):
    county = fresh(tree, "county")
    admin = make_user(county, User.Role.ADMIN)
    county.is_active = False
    county.save(update_fields=["is_active"])
    admin = User.objects.get(pk=admin.pk)
    for user in (admin, AnonymousUser()):
        assert not access.can_edit_members(user)
        assert not access.can_see_personal_data(user)
        assert not access.can_manage_accounts(user)
        assert not access.can_import(user)


def test_no_import_into_a_switched_off_union(tree, make_user):
    school = fresh(tree, "school")
    user = make_user(fresh(tree, "county"), User.Role.COLLECTOR)
    school.is_active = False
    school.save(update_fields=["is_active"])
    assert access.can_import(user) and not access.can_import(user, school)


def test_union_contains_itself_and_below_only(tree):
    county = fresh(tree, "county")
    assert county.contains(fresh(tree, "county")) and county.contains(fresh(tree, "group"))
    assert not county.contains(fresh(tree, "city")) and not county.contains(fresh(tree, "sibling"))
    assert not county.contains(None)


@pytest.mark.parametrize(
    ("role", "upload", "accounts"),
    [
        (User.Role.ADMIN, True, True),
        (User.Role.COLLECTOR, True, False),
        (User.Role.VIEWER, False, False),
    ],
)
def test_menu_asks_the_vocabulary(role, upload, accounts, client, tree, make_user):
    client.force_login(make_user(tree["county"], role))
    html = client.get(reverse("members:list")).content.decode()
    assert (reverse("imports:upload") in html) is upload
    assert (reverse("unions:account_list") in html) is accounts
    assert reverse("imports:export") in html  # every role exports (查看: masked)
