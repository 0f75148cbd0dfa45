"""The union picker (issue 15, item 1): one text box wherever a union is chosen; the
suggestions match names by their characters in order and codes by their start; without
JavaScript the server resolves the typed text or offers the candidates to pick from."""

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import TransferRequest
from registry import codes
from unions.models import Union, User
from unions.picker import UnionChoiceError, match_unions, resolve_choice

pytestmark = pytest.mark.django_db


def add_union(parent, name, kind=codes.KIND_BASE):
    return Union.objects.create(parent=parent, name=name, kind=kind)


def names(unions):
    return [u.name for u in unions]


def test_a_short_name_finds_the_full_one_by_its_characters_in_order(tree):
    full = add_union(tree["county"], "桃源县第二中学工会")
    found = match_unions(Union.objects.all(), "桃源二中工会")
    assert names(found) == [full.name]
    assert names(match_unions(Union.objects.all(), full.system_code[:8].lower())) == [full.name]


def test_the_exact_name_comes_first_then_names_that_start_with_the_text(tree):
    add_union(tree["county"], "桃源一中工会退休分会", codes.KIND_BRANCH)
    found = names(match_unions(Union.objects.all(), "桃源一中工会"))
    assert found[:2] == ["桃源一中工会", "桃源一中工会退休分会"]


def test_suggestions_stay_in_the_scope_unless_choosing_a_transfer_target(
    client, tree, county_admin
):
    client.force_login(county_admin)
    url = reverse("unions:union_suggest")
    assert names_of(client.get(url, {"q": "鼎城医院"})) == []
    assert names_of(client.get(url, {"q": "鼎城医院", "scope": "all"})) == ["鼎城医院工会"]
    assert names_of(client.get(url, {"q": "鼎", "scope": "all"})) == []  # two characters on


def names_of(response):
    return [u["name"] for u in response.json()["results"]]


def test_same_names_are_offered_to_pick_with_parent_and_code(tree):
    twin = add_union(tree["town"], "桃源一中工会")
    with pytest.raises(UnionChoiceError) as error:
        resolve_choice(Union.objects.all(), "桃源一中工会")
    assert "有重名" in error.value.message
    assert {u.pk for u in error.value.candidates} == {twin.pk, tree["school"].pk}
    assert resolve_choice(Union.objects.all(), "桃源一中工会", pick=str(twin.pk)) == twin


def test_a_chosen_id_outside_the_queryset_is_refused(tree):
    county_scope = Union.objects.filter(
        tree_id=tree["county"].tree_id, lft__gte=tree["county"].lft, rght__lte=tree["county"].rght
    )
    with pytest.raises(UnionChoiceError):
        resolve_choice(county_scope, "", pk=str(tree["sibling_base"].pk))


def test_transfer_out_finds_the_receiving_union_from_a_short_name(
    client, tree, make_user, make_member
):
    far = add_union(tree["sibling"], "鼎城区第一人民医院工会")
    member = make_member(tree["base"], name="王小明")
    client.force_login(make_user(tree["base"], User.Role.COLLECTOR))
    page = client.get(reverse("members:event", args=[member.pk])).content.decode()
    assert 'name="to_union_name"' in page and "scope=all" in page

    response = client.post(
        reverse("members:event", args=[member.pk]),
        {
            "kind": "transfer_out",
            "on": timezone.localdate().isoformat(),
            "to_union_name": "鼎城一医工会",
        },
    )

    assert response.status_code == 302
    assert TransferRequest.objects.get().to_union == far


def test_transfer_out_to_an_unknown_union_says_so(client, tree, make_user, make_member):
    member = make_member(tree["base"])
    client.force_login(make_user(tree["base"], User.Role.COLLECTOR))
    response = client.post(
        reverse("members:event", args=[member.pk]),
        {
            "kind": "transfer_out",
            "on": timezone.localdate().isoformat(),
            "to_union_name": "火星工会",
        },
    )
    assert "找不到“火星工会”" in response.content.decode()
    assert not TransferRequest.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "unions:account_create",
        "unions:account_list",
        "imports:export",
        "imports:upload",
        "members:add",
    ],
)
def test_no_page_lists_every_union_in_a_select(client, tree, county_admin, url):
    client.force_login(
        county_admin,
    )
    html = client.get(reverse(url)).content.decode()
    assert "data-union-suggest" in html
    assert f">{tree['school'].name}<" not in html and f"　{tree['school'].name}" not in html


def test_an_account_is_opened_for_a_union_typed_in_part(client, tree, county_admin):
    client.force_login(county_admin)
    response = client.post(
        reverse("unions:account_create"),
        {"username": "yizhong01", "role": "collector", "union_name": "一中"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="yizhong01").union == tree["school"]


def test_progress_and_targets_pages_go_to_a_union_picked_by_name(client, tree, county_admin):
    client.force_login(county_admin)
    page = reverse("progress:union", args=[tree["county"].pk])
    assert 'name="go_name"' in client.get(page).content.decode()

    went = client.get(page, {"go_name": "漳江物流"})

    assert went.status_code == 302
    assert went["Location"].startswith(reverse("progress:union", args=[tree["base"].pk]))
    unknown = client.get(page, {"go_name": "鼎城医院工会"}).content.decode()
    assert "找不到“鼎城医院工会”" in unknown


def test_a_receiving_union_left_in_the_box_does_not_block_a_retirement(
    client, tree, make_user, make_member
):
    member = make_member(tree["base"])
    client.force_login(make_user(tree["base"], User.Role.COLLECTOR))
    response = client.post(
        reverse("members:event", args=[member.pk]),
        {"kind": "retire", "on": timezone.localdate().isoformat(), "to_union_name": "火星工会"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "retired"
