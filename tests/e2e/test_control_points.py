"""控制点 in the browser: freeze twice, compare, and read who came."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def test_admin_freezes_two_points_and_compares_them(
    page, login, tree, county_admin, make_member, media_root, celery_eager, transactional_db
):
    make_member(tree["base"], name="张一")
    page.set_viewport_size({"width": 390, "height": 844})
    login("county_admin", PASSWORD)
    page.goto(f"/progress/{tree['county'].pk}/control-points/")
    page.get_by_role("button", name="冻结当前数据").click()
    expect(page.get_by_role("alert")).to_contain_text("已开始冻结")
    make_member(tree["school"], name="李二")
    page.get_by_role("button", name="冻结当前数据").click()
    expect(page.get_by_test_id("control-points").locator("tbody tr")).to_have_count(2)

    page.get_by_role("button", name="比对所选的两个控制点").click()
    expect(page.get_by_test_id("added")).to_contain_text("李二")
    expect(page.get_by_test_id("removed")).to_contain_text("无")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
