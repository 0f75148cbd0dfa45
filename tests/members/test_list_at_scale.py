"""The member list at province scale (issue 12, item 2) and its bad input: the union box
(suggestions, typed names without JavaScript), counts from the tallies, phone suffixes,
pages past the end, junk cursors, one-character searches."""

import pytest
from django.urls import reverse

from members import selectors
from members.models import Member, MembershipEvent
from unions.models import User

pytestmark = pytest.mark.django_db


def list_page(client, **data):
    client.post(reverse("members:list"), {"include_sub": "on", **data})
    return client.get(reverse("members:list"))


def test_the_union_filter_is_typed_not_a_list_of_every_union(client, tree, county_admin):
    client.force_login(county_admin)
    html = client.get(reverse("members:list")).content.decode()
    assert (
        'name="union_name"' in html and "union-suggest.js" in html and "data-union-suggest" in html
    )
    assert tree["school"].name not in html  # no <option> per union


def test_suggestions_are_unions_of_the_scope_only(client, tree, county_admin):
    client.force_login(county_admin)
    url = reverse("unions:union_suggest")

    names = [u["name"] for u in client.get(url, {"q": "工会"}).json()["results"]]

    assert tree["school"].name in names and tree["base"].name in names
    assert tree["sibling_base"].name not in names and tree["city"].name not in names
    assert client.get(url, {"q": ""}).json() == {"results": []}
    by_code = client.get(url, {"q": tree["school"].system_code[:10]}).json()["results"]
    assert [u["name"] for u in by_code] == [tree["school"].name]


def test_a_typed_union_name_works_without_javascript(client, tree, county_admin, make_member):
    make_member(tree["school"], name="李老师")
    make_member(tree["base"], name="王司机")
    client.force_login(county_admin)

    html = list_page(client, union_name="一中").content.decode()  # a unique part of a name
    assert "李老师" in html and "王司机" not in html

    response = client.post(reverse("members:list"), {"union_name": "工会"})
    html = response.content.decode()
    assert "“工会”对应多个工会，请选择其中一个" in html
    # ... and without JavaScript the candidates are offered to pick from
    assert f'name="union_pick" id="id_union_pick_{tree["school"].pk}"' in html
    html = list_page(client, union_name="工会", union_pick=tree["school"].pk).content.decode()
    assert "李老师" in html and "王司机" not in html
    response = client.post(reverse("members:list"), {"union_name": "鼎城医院工会"})
    assert "找不到“鼎城医院工会”" in response.content.decode()


def test_a_chosen_suggestion_outside_the_scope_is_not_trusted(
    client, tree, county_admin, make_member
):
    make_member(tree["sibling_base"], name="外人")
    client.force_login(county_admin)
    html = list_page(
        client, union=tree["sibling_base"].pk, union_name=tree["sibling_base"].name
    ).content.decode()
    assert "外人" not in html


def test_counts_by_status_come_from_the_tallies(
    client, tree, county_admin, make_member, django_assert_num_queries
):
    make_member(tree["school"])
    make_member(tree["group"])
    make_member(tree["group"], status=Member.Status.RETIRED)
    make_member(tree["sibling_base"])
    client.force_login(county_admin)

    response = list_page(client, union_name=tree["town"].name)

    assert response.context["total"] == 2
    assert [(label, n) for _v, label, n in response.context["status_counts"]] == [
        ("在册", 1),
        ("已退休", 1),
    ]
    assert list_page(client).context["total"] == 3


def test_remembered_counts_follow_every_change_below_the_union(
    client, tree, county_admin, make_member
):
    """The subtree's per-status counts are remembered until something below changes: a
    change between two statuses off the roll (退休 → 死亡) changes no 在册 figure, yet the
    next page shows it; a page of an unchanged subtree sums no tallies again."""
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from members import services

    retired = make_member(tree["group"], status=Member.Status.RETIRED)
    make_member(tree["group"])
    client.force_login(county_admin)

    def counts():
        response = list_page(client, union_name=tree["town"].name)
        return [(label, n) for _v, label, n in response.context["status_counts"]]

    assert counts() == [("在册", 1), ("已退休", 1)]
    with CaptureQueriesContext(connection) as queries:
        assert counts() == [("在册", 1), ("已退休", 1)]
    assert not [q for q in queries if "members_uniontally" in q["sql"]]

    services.record_event(
        member=retired,
        kind=MembershipEvent.Kind.DEATH,
        on=datetime.date.today(),
        by=county_admin,
    )
    assert counts() == [("在册", 1), ("已死亡", 1)]


def test_other_filters_count_at_most_a_cap_and_say_so(
    client, tree, county_admin, make_member, monkeypatch
):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_member(tree["school"], male=False)
    client.force_login(county_admin)

    response = list_page(client, gender="2")

    assert response.context["total_capped"] is True
    assert "超过 2 人" in response.content.decode()


def test_the_last_four_digits_of_a_phone_find_the_member(client, tree, county_admin, make_member):
    member = make_member(tree["school"], name="手机尾号", mobile="13912348765")
    make_member(tree["school"], name="别人")
    client.force_login(county_admin)
    html = list_page(client, q="8765").content.decode()
    assert "手机尾号" in html and "别人" not in html
    assert Member.objects.get(pk=member.pk).mobile_last4 == "8765"


def test_a_page_past_the_end_and_junk_cursors_answer_in_chinese(
    client, tree, county_admin, make_member
):
    make_member(tree["school"])
    client.force_login(county_admin)
    url = reverse("members:list")

    past = client.get(url + "?after=1")
    assert past.status_code == 200
    assert "这一页没有会员了" in past.content.decode() and "回到第一页" in past.content.decode()
    for junk in ("?after=abc", "?before=1e5", "?after=99999999999999999999999", "?after="):
        response = client.get(url + junk)
        assert response.status_code == 200
        assert "翻页参数无效，已显示第一页" in response.content.decode()
    assert client.get(url + "?union=abc").status_code == 404


@pytest.mark.parametrize("q", ["1", "12", "123", "１２"])
def test_one_to_three_digits_are_refused_in_chinese(client, tree, county_admin, q):
    client.force_login(county_admin)
    response = client.post(reverse("members:list"), {"q": q})
    assert response.status_code == 200
    assert "请至少输入后4位数字" in response.content.decode()


def test_a_one_character_name_search_is_a_prefix(client, tree, county_admin, make_member):
    make_member(tree["school"], name="王小明")
    make_member(tree["school"], name="李四")
    client.force_login(county_admin)
    html = list_page(client, q="王").content.decode()
    assert "王小明" in html and "李四" not in html


def test_viewer_sees_the_union_box_and_suggestions_too(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    results = client.get(reverse("unions:union_suggest"), {"q": "一中"}).json()["results"]
    assert [u["name"] for u in results] == [tree["school"].name]


def test_the_root_of_one_tree_lists_every_member_and_never_another_trees(
    client, tree, make_user, make_member
):
    """The registry's only tree needs no subtree condition (a province's root would join
    100,000 unions for each search); a second tree brings the condition back."""
    from unions import services as union_services

    city_admin = make_user(tree["city"], User.Role.ADMIN)
    make_member(tree["group"], name="本市会员")
    client.force_login(city_admin)
    assert "本市会员" in list_page(client).content.decode()

    other_city = union_services.create_union(
        actor=None, parent=None, name="外市总工会", kind=tree["city"].kind
    )
    make_member(other_city, name="外市会员")
    html = list_page(client).content.decode()
    assert "本市会员" in html and "外市会员" not in html
    found = list_page(client, q="外市会员").context["page"].rows
    assert [m.name for m in found] == []
