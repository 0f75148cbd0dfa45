"""The home page at phone width: the to-do list links to the waiting work."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from members import services
from tests.conftest import PASSWORD
from unions.models import User


def test_home_at_390_px_lists_the_work_waiting_and_leads_to_it(
    page, login, tree, make_user, make_member, transactional_db
):
    sender = make_user(tree["sibling_base"], User.Role.COLLECTOR)
    services.request_transfer(
        member=make_member(tree["sibling_base"], name="周七"),
        to_union=tree["base"],
        on=timezone.localdate(),
        by=sender,
    )
    make_user(tree["base"], User.Role.COLLECTOR, username="base_officer")
    page.set_viewport_size({"width": 390, "height": 844})
    login("base_officer", PASSWORD)

    todo = page.get_by_test_id("todo")
    expect(todo).to_contain_text("转会申请待本单位办理")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"

    todo.get_by_role("link", name="转会申请待本单位办理").click()
    expect(page).to_have_url(re.compile(r"/members/transfers/$"))
    expect(page.locator("body")).to_contain_text("鼎城医院工会")
