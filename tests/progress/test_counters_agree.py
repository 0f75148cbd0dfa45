"""The one subtree counter (docs/progress.md, 统计口径): the home page, the progress page
and command, the daily snapshots and the member statistics give the same numbers, also
once a union is switched off.

The rule: a member counts when 在册 and registered in an active union. A switched-off
union's own members count nowhere; the switched-off union is no child and no line; the
active unions below it still roll up into its ancestors.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from members import services
from members.models import Member
from progress.counts import subtree_member_counts
from progress.models import DailySnapshot
from progress.rollups import union_progress
from progress.snapshots import take_daily_snapshots
from progress.statistics import member_statistics
from unions.models import Union

# Expected subtree members by the rule, with 漳江街道 (town) switched off.
EXPECTED = {"city": 5, "county": 4, "base": 2, "group": 1, "school": 1, "sibling": 1}


@pytest.fixture
def switched_off_town(tree, make_member):
    make_member(tree["county"])
    make_member(tree["town"])  # the switched-off union's own members: count nowhere
    make_member(tree["town"])
    make_member(tree["base"])  # active child of the switched-off union: rolls up
    make_member(tree["group"])
    make_member(tree["school"])
    make_member(tree["school"], status=Member.Status.LEFT)  # not on the roll
    make_member(tree["sibling_base"])
    Union.objects.filter(pk=tree["sibling_base"].pk).update(is_active=False)
    make_member(tree["sibling"])
    Union.objects.filter(pk=tree["town"].pk).update(is_active=False)
    return {key: Union.objects.get(pk=union.pk) for key, union in tree.items()}


def test_every_counter_follows_the_rule_and_they_agree(switched_off_town, client, make_user):
    unions = switched_off_town
    active = {key: u for key, u in unions.items() if u.is_active}
    assert set(active) == set(EXPECTED)

    take_daily_snapshots()
    snapshots = dict(DailySnapshot.objects.values_list("union_id", "members"))
    home = subtree_member_counts(unions["city"])
    statistics = {
        s.union.pk: s.members for s in member_statistics(unions["city"], list(active.values()))
    }
    for key, union in active.items():
        progress = union_progress(union).node.members
        assert progress == EXPECTED[key], key
        assert snapshots[union.pk] == EXPECTED[key], key
        assert home[union.pk].total == EXPECTED[key], key
        assert statistics[union.pk] == EXPECTED[key], key

    # Switched-off unions: no snapshot, no line on the home page or as a progress child.
    for key in ("town", "sibling_base"):
        assert unions[key].pk not in snapshots
        assert unions[key].pk not in home
    county = union_progress(unions["county"])
    assert [c.union.name for c in county.children] == [unions["school"].name]

    # The home page shows the same numbers.
    client.force_login(make_user(unions["county"]))
    page = client.get(reverse("home"))
    assert page.context["root_count"].total == EXPECTED["county"]
    assert page.context["root_count"].own == 1
    assert [(c.union.name, c.total) for c in page.context["children"]] == [
        (unions["school"].name, EXPECTED["school"])
    ]

    # So do the progress page and the progress command.
    page = client.get(reverse("progress:union", args=[unions["county"].pk]))
    assert page.context["progress"].node.members == EXPECTED["county"]
    out = StringIO()
    call_command("progress", "--union", unions["county"].name, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["members"] == EXPECTED["county"]
    assert [(c["union"], c["members"]) for c in data["children"]] == [
        (unions["school"].name, EXPECTED["school"])
    ]


def test_union_tree_lists_switched_off_unions_with_the_rules_counts(
    switched_off_town, client, make_user
):
    unions = switched_off_town
    client.force_login(make_user(unions["county"]))
    page = client.get(reverse("unions:union_tree"))
    rows = {row["count"].union.pk: row["count"] for row in page.context["rows"]}
    assert (rows[unions["town"].pk].own, rows[unions["town"].pk].total) == (0, 2)
    assert rows[unions["county"].pk].total == EXPECTED["county"]
    assert "已停用" in page.content.decode()


def test_transferring_the_members_out_counts_them_again(switched_off_town):
    unions = switched_off_town
    for member in Member.objects.filter(union=unions["town"]):
        services.update_member(member=member, data={}, union=unions["school"], by=None)
    assert union_progress(unions["county"]).node.members == EXPECTED["county"] + 2
    assert subtree_member_counts(unions["county"])[unions["school"].pk].total == 3
