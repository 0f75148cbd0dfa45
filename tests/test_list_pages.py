"""Long lists (issue 15, item 2): the total, the page position and a page-size choice."""

import re

import pytest
from django.urls import reverse

from unions.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, county_admin):
    client.force_login(county_admin)
    return client


def position(html: str) -> str:
    found = re.search(r'data-testid="page-position">([^<]*)<', html)
    return found.group(1).strip() if found else ""


def test_member_list_says_where_it_is_and_pages_by_the_chosen_size(
    client, tree, county_admin, make_member
):
    for n in range(25):
        make_member(tree["school"], name=f"会员{n:02d}")
    client.force_login(county_admin)
    url = reverse("members:list")

    first = client.get(url, {"size": "20"})
    html = first.content.decode()
    assert position(html) == "第 1 页，共 2 页 · 共 25 人"
    assert len(first.context["page"].rows) == 20
    next_url = first.context["pager"].next_url
    assert "p=2" in next_url and "size=20" in next_url

    second = client.get(url + next_url)
    assert position(second.content.decode()) == "第 2 页，共 2 页 · 共 25 人"
    assert len(second.context["page"].rows) == 5
    back = client.get(url + second.context["pager"].prev_url)
    assert position(back.content.decode()) == "第 1 页，共 2 页 · 共 25 人"

    assert len(client.get(url).context["page"].rows) == 25  # default 50
    assert len(client.get(url, {"size": "7"}).context["page"].rows) == 25  # not offered


def test_the_member_total_comes_from_the_tallies_not_a_count_of_members(
    client, tree, county_admin, make_member
):
    make_member(tree["school"])
    client.force_login(county_admin)
    client.get(reverse("members:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("members:list"))
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not any("members_member" in sql for sql in counts), counts


def test_account_list_pages_with_a_size_choice(admin_client, tree, make_user):
    for n in range(23):
        make_user(tree["school"], User.Role.VIEWER, username=f"viewer{n:02d}")
    html = admin_client.get(reverse("unions:account_list"), {"size": "20"}).content.decode()
    assert position(html).startswith("第 1 页，共 2 页 · 共 ")
    assert '<option value="20" selected>' in html and 'name="size"' in html
    page2 = admin_client.get(reverse("unions:account_list"), {"size": "20", "page": "2"})
    assert position(page2.content.decode()).startswith("第 2 页，共 2 页")


@pytest.mark.parametrize("url", ["members:transfers", "unions:union_tree", "unions:audit_list"])
def test_other_long_lists_show_their_total(admin_client, tree, url):
    html = admin_client.get(reverse(url)).content.decode()
    assert re.match(r"第 1 页，共 1 页 · 共 [\d,]+ ", position(html)), position(html)
