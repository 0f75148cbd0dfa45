import datetime

from django.utils import timezone
from playwright.sync_api import expect

from progress.models import Campaign, Target
from progress.snapshots import take_daily_snapshots
from tests.conftest import PASSWORD
from unions.models import User


def test_officer_finds_a_lagging_unit_in_one_click(
    page, login, tree, make_user, make_member, transactional_db
):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="2019年全县工会组织及会员实名制信息采集",
        starts_on=today - datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=30),
        is_current=True,
    )
    Target.objects.create(campaign=campaign, union=tree["county"], members=40)
    Target.objects.create(campaign=campaign, union=tree["town"], members=20)
    Target.objects.create(campaign=campaign, union=tree["school"], members=10)
    Target.objects.create(campaign=campaign, union=tree["base"], members=16)  # two levels down
    for _ in range(2):
        make_member(tree["group"])  # base: 2 of the 8 due → behind
    for _ in range(6):
        make_member(tree["school"])  # school: 6 of the 5 due → on pace
    take_daily_snapshots(on=today - datetime.timedelta(days=1))
    make_user(tree["county"], User.Role.VIEWER, username="county_viewer")

    login("county_viewer", PASSWORD)
    page.get_by_role("link", name="采集进度").click()

    expect(page.get_by_test_id("progress-union")).to_contain_text("桃源县总工会")
    expect(page.get_by_test_id("node-target")).to_have_text("40")
    expect(page.get_by_test_id("allocation")).to_have_text("30 / 10")
    expect(page.get_by_test_id("days-left")).to_contain_text("30")
    expect(page.locator("#bars canvas")).to_have_count(1)
    expect(page.locator("#trend canvas")).to_have_count(1)
    rows = page.get_by_test_id("child-row")
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-behind]")).to_contain_text("漳江街道办事处工会联合会")

    # sortable: 已采集 ascending puts the town (2) before the school (6), and back again
    page.get_by_role("button", name="已采集").click()
    expect(rows.first).to_contain_text("漳江街道办事处工会联合会")
    page.get_by_role("button", name="已采集").click()
    expect(rows.first).to_contain_text("桃源一中工会")

    # the lagging base union, two levels down, is one click away
    page.get_by_test_id("laggards").get_by_role("link", name="漳江物流公司工会").click()
    expect(page.get_by_test_id("progress-union")).to_contain_text("漳江物流公司工会")
    expect(page.get_by_test_id("node-members")).to_have_text("2")
    expect(page.get_by_test_id("node-rate")).to_have_text("12.5%")
    expect(page.get_by_test_id("breadcrumb")).to_contain_text("漳江街道办事处工会联合会")
    expect(page.get_by_test_id("breadcrumb")).not_to_contain_text("常德市总工会")


def test_admin_sets_a_childs_target_in_the_browser(page, login, tree, make_user, transactional_db):
    today = timezone.localdate()
    Campaign.objects.create(
        name="采集行动",
        starts_on=today,
        deadline=today + datetime.timedelta(days=60),
        is_current=True,
    )
    make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    login("county_admin", PASSWORD)
    page.goto("/progress/")
    page.get_by_role("link", name="下达下级目标任务数").click()
    page.get_by_label("漳江街道办事处工会联合会 会员目标数").fill("600")
    page.get_by_role("button", name="保存目标任务数").click()

    expect(page.locator(".alert-success")).to_contain_text("1 个目标任务数有变动")
    expect(page.get_by_test_id("allocation")).to_contain_text("600")
    assert Target.objects.get().members == 600


def test_admin_uploads_a_target_sheet_and_sees_what_was_not_imported(
    page, login, tree, make_user, transactional_db, tmp_path
):
    from tests.progress.target_sheets import seed_001_workbook

    today = timezone.localdate()
    Campaign.objects.create(
        name="采集行动",
        starts_on=today,
        deadline=today + datetime.timedelta(days=60),
        is_current=True,
    )
    path = seed_001_workbook(
        tmp_path / "目标.xlsx",
        county_units=[("漳江街道办事处工会联合会", 600), ("桃源一中工会", 300)],
        towns=[("漳江街道办事处工会联合", 200)],  # misspelt: reported, not guessed
        county_total=1000,
    )
    make_user(tree["county"], User.Role.ADMIN, username="county_admin")
    login("county_admin", PASSWORD)
    page.goto("/progress/")
    page.get_by_role("link", name="下达下级目标任务数").click()
    page.get_by_label("目标任务表").set_input_files(str(path))
    page.get_by_role("button", name="导入", exact=True).click()

    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("合计为 1000，但上面各行相加为 900")
    expect(report).to_contain_text("“漳江街道办事处工会联合”在系统中找不到")
    expect(page.get_by_label("桃源一中工会 会员目标数")).to_have_value("300")
    assert sorted(Target.objects.values_list("members", flat=True)) == [300, 600]
