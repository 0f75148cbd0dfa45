from playwright.sync_api import expect

from tests.conftest import PASSWORD
from unions.models import User


def test_officer_logs_in_and_sees_own_union(
    page, login, tree, make_user, make_member, transactional_db
):
    make_member(tree["group"])
    make_member(tree["school"])
    make_user(tree["county"], User.Role.VIEWER, username="county_viewer")

    login("county_viewer", PASSWORD)

    expect(page.get_by_test_id("root-union")).to_have_text("桃源县总工会")
    expect(page.get_by_test_id("total-members")).to_have_text("2")
    expect(page.get_by_test_id("children")).to_contain_text("漳江街道办事处工会联合会")
    expect(page.get_by_test_id("children")).not_to_contain_text("鼎城")


def test_wrong_password_is_refused_in_chinese(page, login, tree, make_user, transactional_db):
    make_user(tree["county"], username="someone")
    login("someone", "not-the-password")
    # Our own words (issue 15): 账号, not Django's "请输入一个正确的 用户名 和密码".
    expect(page.locator(".alert-danger")).to_contain_text("账号或密码不正确")


def test_first_login_forces_a_password_change(page, login, tree, make_user, transactional_db):
    make_user(tree["town"], username="new_officer", must_change_password=True)
    login("new_officer", PASSWORD)

    expect(page.get_by_test_id("must-change")).to_be_visible()
    page.goto("/")  # nothing else is reachable until the password is changed
    expect(page).to_have_url("/password/change/")
    page.get_by_label("旧密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Zhangjiang-Union-2026")
    page.get_by_label("新密码确认").fill("Zhangjiang-Union-2026")
    page.get_by_role("button", name="保存新密码").click()

    expect(page.get_by_test_id("root-union")).to_have_text("漳江街道办事处工会联合会")
    assert not User.objects.get(username="new_officer").must_change_password
