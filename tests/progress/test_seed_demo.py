from django.core.management import call_command

from members.models import Member
from registry.validators import check_id_number
from unions import demo_data
from unions.models import Union, User


def test_seed_demo_builds_the_taoyuan_registry_once(db):
    call_command("seed_demo", members=400)
    county = Union.objects.get(name=demo_data.COUNTY)
    children = set(county.get_children().values_list("name", flat=True))
    assert {name for name, _ in demo_data.COUNTY_UNITS + demo_data.TOWNS} <= children
    assert len(demo_data.COUNTY_UNITS) == 27 and len(demo_data.TOWNS) == 28
    assert sum(t for _, t in demo_data.COUNTY_UNITS) == demo_data.COUNTY_UNITS_TOTAL == 30929
    assert sum(t for _, t in demo_data.TOWNS) == demo_data.TOWNS_TOTAL == 6760
    assert {u.role for u in User.objects.filter(union__isnull=False)} == set(User.Role.values)
    members = Member.objects.count()
    assert members >= 350
    for member in Member.objects.all()[:200]:
        assert check_id_number(member.id_number).number == member.id_number

    call_command("seed_demo")
    assert Member.objects.count() == members  # a second run changes nothing


def test_seed_demo_has_the_countys_campaign_and_targets(db):
    from progress.models import Campaign
    from progress.rollups import union_progress
    from unions.access import subtree_q

    call_command("seed_demo", members=300)
    campaign = Campaign.objects.get(is_current=True)
    assert campaign.name == "2019年全县工会组织及会员实名制信息采集"
    county = Union.objects.get(name=demo_data.COUNTY)
    progress = union_progress(county, campaign=campaign)
    assert (progress.node.target, progress.allocated, progress.unallocated) == (40000, 37689, 2311)
    in_county = Member.objects.filter(subtree_q(county, "union"), status=Member.Status.ACTIVE)
    assert progress.node.members == in_county.count()
    assert progress.laggards, "the demo shows units behind the pace"
    assert progress.node.added_this_week is not None  # snapshots back-filled for the trend
