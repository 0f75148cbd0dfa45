import pytest
from django.db import IntegrityError
from django.urls import reverse

from members.models import Member
from members.selectors import members_for
from progress.counts import subtree_member_counts
from unions.access import unions_for
from unions.models import Union, User


def test_member_counts_roll_up_the_tree(tree, make_member):
    make_member(tree["group"])
    make_member(tree["base"])
    make_member(tree["base"], status=Member.Status.RETIRED)  # not counted
    make_member(tree["school"])
    make_member(tree["sibling_base"])

    counts = subtree_member_counts(tree["county"])

    assert counts[tree["county"].pk].total == 3
    assert counts[tree["town"].pk].total == 2
    assert counts[tree["base"].pk].own == 1
    assert counts[tree["base"].pk].total == 2
    assert tree["sibling"].pk not in counts


def test_member_counts_use_two_queries_whatever_the_tree_size(
    tree, make_member, django_assert_num_queries
):
    for _ in range(3):
        Union.objects.create(name="新工会", kind="04", parent=Union.objects.get(pk=tree["town"].pk))
    make_member(tree["group"])
    county = Union.objects.get(pk=tree["county"].pk)
    with django_assert_num_queries(2):
        subtree_member_counts(county)


def test_town_user_sees_own_subtree_only(tree, make_user, make_member):
    town_user = make_user(tree["town"], User.Role.COLLECTOR)
    mine = make_member(tree["group"])
    make_member(tree["school"])  # a sibling branch under the same county
    make_member(tree["sibling_base"])

    assert set(unions_for(town_user)) == {tree["town"], tree["base"], tree["group"]}
    assert list(members_for(town_user)) == [mine]


def test_switched_off_account_sees_nothing(tree, make_user, make_member):
    user = make_user(tree["county"])
    make_member(tree["base"])
    user.is_active = False
    assert not members_for(user).exists()
    assert not unions_for(user).exists()


def test_one_id_one_member_across_the_registry(tree, make_member):
    member = make_member(tree["base"])
    with pytest.raises(IntegrityError):
        Member.objects.create(
            union=tree["sibling_base"],
            name="李四",
            id_type=member.id_type,
            id_number=member.id_number,
        )


def test_no_member_without_a_union(db):
    with pytest.raises(IntegrityError):
        Member.objects.create(name="空挂", id_number="430725199001011234")


def test_only_platform_operators_may_lack_a_union(db):
    with pytest.raises(IntegrityError):
        User.objects.create(username="floating", role=User.Role.ADMIN)


def test_unions_without_credit_code_get_a_system_code(tree):
    codes_ = {u.system_code for u in Union.objects.all()}
    assert len(codes_) == Union.objects.count()
    assert tree["base"].code.startswith("LS")
    assert tree["base"].has_provisional_code


def test_home_shows_own_union_and_children_with_counts(client, tree, make_user, make_member):
    make_member(tree["group"])
    make_member(tree["school"])
    make_member(tree["sibling_base"])
    client.force_login(make_user(tree["county"], User.Role.VIEWER))

    page = client.get(reverse("home")).content.decode()

    assert "桃源县总工会" in page
    assert "漳江街道办事处工会联合会" in page and "桃源一中工会" in page
    assert "鼎城" not in page  # the sibling county is never shown


def test_home_redirects_anonymous_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_initial_password_must_be_changed_first(client, tree, make_user):
    user = make_user(tree["county"], must_change_password=True)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")
