"""下达目标任务数 in the browser: the running total follows the typing and turns red above
the parent's target; saving above it needs the explicit confirmation."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from progress.models import Campaign, Target
from tests.conftest import PASSWORD


def test_running_total_and_confirmation_of_over_allocation(
    page, login, tree, county_admin, transactional_db
):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="测试行动",
        starts_on=today - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=50),
        is_current=True,
    )
    Target.objects.create(campaign=campaign, union=tree["county"], members=1000)
    page.set_viewport_size({"width": 390, "height": 844})
    login("county_admin", PASSWORD)
    page.goto(f"/progress/{tree['county'].pk}/targets/?campaign={campaign.pk}")

    total = page.get_by_test_id("targets-total")
    page.get_by_label("漳江街道办事处工会联合会 会员目标数").fill("600")
    expect(total.locator("[data-total]")).to_have_text("600")
    page.get_by_label("桃源一中工会 会员目标数").fill("700")
    expect(total.locator("[data-total]")).to_have_text("1300")
    expect(total).to_have_class("text-danger")

    page.get_by_role("button", name="保存目标任务数").click()
    expect(page.locator(".alert-danger")).to_contain_text("多 300 人")
    page.get_by_label("确认超额分解（下级目标合计超过本级目标）").check()
    page.get_by_role("button", name="保存目标任务数").click()
    expect(page.get_by_test_id("over-allocated")).to_be_visible()
    assert Target.objects.get(union=tree["school"]).members == 700
