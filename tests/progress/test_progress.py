import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.models import Member, MembershipEvent
from progress.models import Campaign, DailySnapshot, Target
from progress.rollups import pace, union_progress
from progress.snapshots import take_daily_snapshots
from progress.statistics import member_statistics, welfare_class
from tests.exporting import follow_export, report_content
from unions.models import AuditEntry, Union, User
from unions.services import link_unit

TODAY = datetime.date(2019, 10, 25)


@pytest.fixture
def campaign(db):
    # 9月25日 to 11月24日: 60 days, so on 10月25日 half the target is due.
    return Campaign.objects.create(
        name="采集行动",
        starts_on=datetime.date(2019, 9, 25),
        deadline=datetime.date(2019, 11, 24),
        is_current=True,
    )


def members(make_member, union, n, **fields):
    return [make_member(union, **fields) for _ in range(n)]


def test_pace_is_linear_from_start_to_deadline(campaign):
    assert pace(campaign, datetime.date(2019, 9, 1)) == 0
    assert pace(campaign, datetime.date(2019, 10, 25)) == 0.5
    assert pace(campaign, datetime.date(2019, 11, 24)) == 1
    assert pace(campaign, datetime.date(2020, 1, 1)) == 1


def test_child_behind_the_pace_is_flagged(tree, campaign, make_member):
    Target.objects.create(campaign=campaign, union=tree["town"], members=10)
    Target.objects.create(campaign=campaign, union=tree["school"], members=10)
    members(make_member, tree["group"], 4)  # town: 4 of the 5 due → behind
    members(make_member, tree["school"], 5)  # school: exactly on pace

    progress = union_progress(tree["county"], campaign=campaign, today=TODAY)

    by_name = {c.union.name: c for c in progress.children}
    town, school = by_name["漳江街道办事处工会联合会"], by_name["桃源一中工会"]
    assert (town.members, town.expected, town.behind, town.rate, town.gap) == (4, 5, True, 0.4, 6)
    assert (school.members, school.behind) == (5, False)
    assert [lag.union for lag in progress.laggards] == [tree["town"]]
    late = union_progress(tree["county"], campaign=campaign, today=datetime.date(2019, 12, 1))
    assert {c.union.name for c in late.children if c.behind} == {town.union.name, school.union.name}
    assert late.days_left == 0


def test_progress_counts_active_members_of_the_whole_subtree_only(tree, campaign, make_member):
    members(make_member, tree["group"], 2)
    members(make_member, tree["base"], 1)
    make_member(tree["base"], status=Member.Status.RETIRED)
    make_member(tree["town"], status=Member.Status.TRANSFERRED)
    members(make_member, tree["sibling_base"], 3)

    progress = union_progress(tree["county"], campaign=campaign, today=TODAY)

    assert progress.node.members == 3
    assert {c.union.name: c.members for c in progress.children} == {
        "漳江街道办事处工会联合会": 3,
        "桃源一中工会": 0,
    }


def test_members_added_this_week_against_the_snapshot_of_a_week_ago(tree, campaign, make_member):
    members(make_member, tree["school"], 2)
    take_daily_snapshots(on=TODAY - datetime.timedelta(days=7))
    members(make_member, tree["school"], 3)
    make_member(tree["group"])
    take_daily_snapshots(on=TODAY - datetime.timedelta(days=6))  # not the one compared with

    progress = union_progress(tree["county"], campaign=campaign, today=TODAY)

    assert (progress.node.members, progress.node.added_this_week) == (6, 4)
    by_name = {c.union.name: c.added_this_week for c in progress.children}
    assert by_name == {"漳江街道办事处工会联合会": 1, "桃源一中工会": 3}
    no_history = union_progress(tree["county"], campaign=campaign, today=TODAY.replace(year=2018))
    assert no_history.node.added_this_week is None


def test_progress_takes_a_fixed_number_of_queries(
    tree, campaign, make_member, django_assert_num_queries
):
    def measure(units_changed=True):
        county = Union.objects.get(pk=tree["county"].pk)
        # switched-off unions, node and children with their subtree tallies and targets,
        # week, units' version, laggards and their unions; when the units or the members
        # changed, the coverage is recomputed (+ the units, + the per-union tallies)
        with django_assert_num_queries(8 if units_changed else 6):
            return union_progress(county, campaign=campaign)

    members(make_member, tree["group"], 2)
    Target.objects.create(campaign=campaign, union=tree["base"], members=100)
    small = measure()
    town = Union.objects.get(pk=tree["town"].pk)
    for i in range(20):
        child = Union.objects.create(name=f"新建工会{i}", kind="04", parent=town)
        make_member(child)
        link_unit(child, {"name": f"新建单位{i}", "staff_count": 10})
        Target.objects.create(campaign=campaign, union=child, members=5)
        town.refresh_from_db()
    Union.objects.filter(name="新建工会0").update(is_active=False, updated_at=timezone.now())
    big = measure()
    assert measure(units_changed=False).node.coverage == big.node.coverage
    # a member write deep below: the coverage follows it by walking down the tallies that
    # moved (county, town, the new union: three queries), not by reading every union
    make_member(Union.objects.get(name="新建工会5"))
    county = Union.objects.get(pk=tree["county"].pk)
    with django_assert_num_queries(6 + 3):
        after_write = union_progress(county, campaign=campaign)
    assert after_write.node.members == 22
    assert after_write.node.coverage.members == big.node.coverage.members + 1
    assert (small.node.members, big.node.members) == (2, 21)
    assert (big.node.coverage.units, big.node.coverage.units_with_union) == (20, 19)
    assert len(small.laggards) == 1
    assert len(big.laggards) == 10  # 21 are behind; the ten worst are shown


def test_switched_off_unions_are_not_counted_as_organisations(tree, campaign):
    assert union_progress(tree["county"], campaign=campaign).node.organisations == 4
    Union.objects.filter(pk=tree["base"].pk).update(is_active=False)

    progress = union_progress(tree["county"], campaign=campaign, today=TODAY)

    # the base union is switched off; its 工会小组 below it is still in use and counts
    assert progress.node.organisations == 3
    assert {c.union.name: c.organisations for c in progress.children} == {
        "漳江街道办事处工会联合会": 1,
        "桃源一中工会": 0,
    }
    assert union_progress(tree["city"], campaign=campaign).as_json()["organisations"] == 6


def test_command_json(tree, campaign, make_member, capsys):
    Target.objects.create(campaign=campaign, union=tree["county"], members=100)
    Target.objects.create(campaign=campaign, union=tree["town"], members=60, organisations=3)
    members(make_member, tree["base"], 2)
    out = io.StringIO()
    call_command("progress", "--union", tree["county"].system_code, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {k: data[k] for k in ("union", "campaign", "target", "members", "rate")} == {
        "union": "桃源县总工会",
        "campaign": "采集行动",
        "target": 100,
        "members": 2,
        "rate": 0.02,
    }
    assert (data["allocated"], data["unallocated"]) == (60, 40)
    town = next(c for c in data["children"] if c["union"] == "漳江街道办事处工会联合会")
    assert {k: town[k] for k in ("target", "members", "rate", "behind")} == {
        "target": 60,
        "members": 2,
        "rate": round(2 / 60, 4),
        "behind": True,  # the campaign's deadline has long passed
    }
    assert (town["organisations"], town["organisations_target"]) == (2, 3)  # base and group


def test_snapshots_are_idempotent_per_day(tree, campaign, make_member):
    members(make_member, tree["group"], 2)
    take_daily_snapshots(on=TODAY)
    make_member(tree["school"])
    take_daily_snapshots(on=TODAY)
    assert DailySnapshot.objects.filter(on=TODAY).count() == Union.objects.count()
    snap = {s.union_id: s.members for s in DailySnapshot.objects.filter(on=TODAY)}
    assert (snap[tree["county"].pk], snap[tree["town"].pk], snap[tree["city"].pk]) == (3, 2, 3)


def test_snapshot_task_is_scheduled_daily(settings):
    from progress.tasks import daily_snapshots

    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == daily_snapshots.name
    ]
    assert len(entries) == 1


# -- welfare classes (seed 000, 填表说明 4) ---------------------------------------------


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ("正式在职", "staff"),
        ("学校人事代理", "staff"),
        ("本年度内退休人员", "staff"),
        ("博士后人员", "staff"),
        ("学院（部门）临聘人员", "member_only"),
        ("学校劳务派遣", "member_only"),
        ("", "staff"),
    ],
)
def test_welfare_class_follows_the_identity_category(identity, expected):
    assert welfare_class(identity) == expected


def test_member_statistics_table(tree, make_member):
    year = timezone.localdate().year
    make_member(tree["base"], extra={"身份类别": "正式在职"})
    make_member(tree["base"], male=False, extra={"身份类别": "学校劳务派遣"})
    make_member(tree["group"], male=False, extra={"身份类别": "本年度内退休人员"})
    retired = make_member(tree["school"], status=Member.Status.RETIRED)
    MembershipEvent.objects.create(member=retired, kind="retire", on=datetime.date(year, 3, 1))
    long_ago = make_member(tree["school"], status=Member.Status.RETIRED)
    MembershipEvent.objects.create(member=long_ago, kind="retire", on=datetime.date(year - 3, 3, 1))
    make_member(tree["sibling_base"])

    county, town, school = tree["county"], tree["town"], tree["school"]
    total, town_stats, school_stats = member_statistics(county, [county, town, school], year=year)

    assert (town_stats.members, town_stats.women, town_stats.retired_this_year) == (3, 2, 1)
    assert (town_stats.staff_welfare, town_stats.member_welfare_only) == (2, 1)
    assert (school_stats.members, school_stats.retired_this_year) == (1, 1)
    assert (total.members, total.staff_welfare, total.member_welfare_only) == (4, 3, 1)


def test_large_subtrees_read_the_statistics_of_the_nightly_snapshot(
    client, tree, make_member, make_user, settings
):
    make_member(tree["base"], male=False, extra={"身份类别": "劳务派遣"})
    make_member(tree["school"])
    take_daily_snapshots(on=timezone.localdate())
    make_member(tree["school"], male=False)  # after the night's count
    settings.STATISTICS_LIVE_MAX = 1  # the county's 3 members make it "large"
    client.force_login(make_user(tree["county"], User.Role.VIEWER))

    content = report_content(client, reverse("progress:statistics_xlsx", args=[tree["county"].pk]))

    ws = load_workbook(io.BytesIO(content)).active
    assert f"数字为 {timezone.localdate():%Y年%m月%d日} 夜间统计" in ws["A2"].value
    rows = {r[1]: r[2:] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["漳江街道办事处工会联合会"] == (1, 0, 1, 0, 1)
    assert rows["桃源一中工会"] == (1, 0, 0, 1, 0)  # the later member is not in it
    assert rows["合计（含本级）"] == (2, 0, 1, 1, 1)
    snapshot = DailySnapshot.objects.get(union=tree["town"], on=timezone.localdate())
    assert snapshot.statistics == {
        "members": 1,
        "retired_this_year": 0,
        "women": 1,
        "member_welfare_only": 1,
    }
    # small subtrees, and any subtree before the first night, are counted now
    settings.STATISTICS_LIVE_MAX = 100
    live = load_workbook(
        io.BytesIO(
            report_content(client, reverse("progress:statistics_xlsx", args=[tree["county"].pk]))
        )
    ).active
    assert "夜间统计" not in live["A2"].value
    assert [r[2] for r in live.iter_rows(min_row=4, values_only=True)][-1] == 3
    DailySnapshot.objects.all().delete()
    settings.STATISTICS_LIVE_MAX = 1
    fresh = load_workbook(
        io.BytesIO(
            report_content(client, reverse("progress:statistics_xlsx", args=[tree["county"].pk]))
        )
    ).active
    assert [r[2] for r in fresh.iter_rows(min_row=4, values_only=True)][-1] == 3


# -- pages --------------------------------------------------------------------------


def test_sibling_and_ancestor_progress_is_404(client, tree, county_admin):
    client.force_login(county_admin)
    assert client.get(reverse("progress:union", args=[tree["county"].pk])).status_code == 200
    assert client.get(reverse("progress:union", args=[tree["group"].pk])).status_code == 200
    for name in ("sibling", "sibling_base", "city"):
        pk = tree[name].pk
        assert client.get(reverse("progress:union", args=[pk])).status_code == 404, name
        for url in ("progress:report_xlsx", "progress:statistics_xlsx"):
            assert client.post(reverse(url, args=[pk])).status_code == 404, (name, url)


def test_every_role_sees_progress_of_its_subtree(client, tree, make_user, campaign):
    for role in User.Role.values:
        client.force_login(make_user(tree["town"], role))
        response = client.get(reverse("progress:dashboard"), follow=True)
        assert response.status_code == 200
        assert response.context["union"] == tree["town"]
        assert client.get(reverse("progress:union", args=[tree["school"].pk])).status_code == 404


def test_report_download_is_audited_and_lists_children(
    client, tree, county_admin, campaign, make_member
):
    Target.objects.create(campaign=campaign, union=tree["town"], members=10)
    make_member(tree["group"])
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    take_daily_snapshots(on=last_month)
    make_member(tree["base"])
    make_member(tree["base"])
    client.force_login(county_admin)
    content, _text = follow_export(
        client, client.post(reverse("progress:report_xlsx", args=[tree["county"].pk]))
    )
    ws = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[3]]
    rows = {
        r[1]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)
    }
    town = rows["漳江街道办事处工会联合会"]
    assert (town["目标任务数（人）"], town["已采集（人）"], town["进度"]) == (10, 3, "落后")
    assert town["本月新增（人）"] == 2  # against the snapshot of the previous month's last day
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert (entry.actor, entry.union, entry.detail["report"]) == (
        county_admin,
        tree["county"],
        "progress",
    )


def test_statistics_download(client, tree, county_admin, make_member):
    make_member(tree["group"], male=False, extra={"身份类别": "学校劳务派遣"})
    client.force_login(county_admin)
    content, _text = follow_export(
        client, client.post(reverse("progress:statistics_xlsx", args=[tree["county"].pk]))
    )
    ws = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in ws[3]][2] == "会员数"
    rows = {r[1]: r[2:] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["漳江街道办事处工会联合会"] == (1, 0, 1, 0, 1)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


def test_admin_sets_targets_of_direct_children(client, tree, county_admin, campaign):
    client.force_login(county_admin)
    url = reverse("progress:set_targets", args=[tree["county"].pk])
    response = client.post(
        url,
        {
            f"members_{tree['town'].pk}": "600",
            f"members_{tree['school'].pk}": "",
            f"organisations_{tree['town'].pk}": "3",
        },
    )
    assert response.status_code == 302
    target = Target.objects.get(campaign=campaign)
    assert (target.union, target.members, target.organisations, target.set_by) == (
        tree["town"],
        600,
        3,
        county_admin,
    )
    # a negative number is refused with a message, nothing changes
    response = client.post(url, {f"members_{tree['town'].pk}": "-5"})
    assert response.status_code == 200 and Target.objects.get().members == 600
    # the county's own target is the city's business
    assert client.get(reverse("progress:set_targets", args=[tree["city"].pk])).status_code == 404


@pytest.mark.parametrize("role", [User.Role.COLLECTOR, User.Role.VIEWER])
def test_only_admins_set_targets(client, tree, make_user, campaign, role):
    client.force_login(make_user(tree["county"], role))
    url = reverse("progress:set_targets", args=[tree["county"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {f"members_{tree['town'].pk}": "5"}).status_code == 404
    assert not Target.objects.exists()


def test_laggards_come_from_the_own_subtree_only(tree, campaign, make_member):
    Target.objects.create(campaign=campaign, union=tree["sibling_base"], members=100)
    Target.objects.create(campaign=campaign, union=tree["base"], members=100)
    progress = union_progress(tree["county"], campaign=campaign, today=TODAY)
    assert [lag.union for lag in progress.laggards] == [tree["base"]]


def test_command_without_a_campaign_and_with_an_unknown_one(tree, make_member):
    from django.core.management import CommandError

    make_member(tree["school"])
    out = io.StringIO()
    call_command("progress", "--union", "桃源县总工会", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["campaign"], data["target"], data["members"], data["unallocated"]) == (
        None,
        None,
        1,
        None,
    )
    with pytest.raises(CommandError, match="找不到采集行动"):
        call_command("progress", "--union", "桃源县总工会", "--campaign", "没有这个行动")
    with pytest.raises(CommandError, match="找不到工会组织"):
        call_command("progress", "--union", "不存在的工会")


def test_a_progress_page_reads_the_users_union_once(client, tree, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    url = reverse("progress:union", args=[tree["county"].pk])
    client.get(url)  # the session's idle deadline is saved once a minute: not measured
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    assert tree["county"].name in page.content.decode()  # the menu names the user's union
    # a read of one union by its key: the user's union (the page shows that same union)
    own = re.compile(rf'"unions_union"\."id" = {tree["county"].pk}\)? (ORDER BY [^)]*)?LIMIT')
    reads = [q["sql"] for q in queries.captured_queries if own.search(q["sql"])]
    assert len(reads) == 1, reads
