"""Browser journeys of a 管理员: sub-unions, accounts and their sheets, the audit log."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import pick_union
from unions.models import AuditEntry, Union, User


def change_password(page, old, new):
    expect(page.get_by_test_id("must-change")).to_be_visible()
    page.get_by_label("旧密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("新密码确认").fill(new)
    page.get_by_role("button", name="保存新密码").click()


def test_admin_opens_a_sub_union_and_its_account_which_then_logs_in(
    page, login, tree, county_admin, transactional_db
):
    login("county_admin", PASSWORD)

    # a new base union under the town federation
    page.get_by_role("link", name="工会组织").click()
    expect(page.get_by_test_id("union-tree")).to_contain_text("漳江街道办事处工会联合会")
    expect(page.get_by_test_id("union-tree")).not_to_contain_text("鼎城")
    page.get_by_role("link", name="新建下级工会").first.click()
    pick_union(page, "上级工会", "漳江街道", "漳江街道办事处工会联合会")
    page.get_by_label("工会名称").fill("漳江超市工会")
    page.get_by_label("工会类型").select_option(label="单独基层工会")
    page.get_by_role("button", name="新建").click()
    expect(page.get_by_role("alert")).to_contain_text("漳江超市工会")
    row = page.locator('[data-union="漳江超市工会"]')
    expect(row).to_contain_text("临时赋码")

    # an account for it, from the union's row
    row.get_by_role("link", name="开通账号").click()
    expect(page.get_by_label("所属工会")).to_have_value("漳江超市工会")
    page.get_by_label("账号").fill("zj_supermarket")
    page.get_by_label("使用人姓名").fill("刘芳")
    page.get_by_label("角色").select_option(label="采集员")
    page.get_by_role("button", name="开通并生成初始密码").click()

    # the printable sheet, shown once
    sheet = page.get_by_test_id("sheet")
    expect(sheet).to_contain_text("账号开通单")
    expect(page.get_by_test_id("sheet-union")).to_have_text("漳江超市工会")
    expect(page.get_by_test_id("sheet-username")).to_have_text("zj_supermarket")
    expect(page.get_by_role("button", name="打印开通单")).to_be_visible()
    initial = page.get_by_test_id("sheet-password").inner_text().strip()
    assert len(initial) >= 10
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(sheet).to_be_visible()
    page.emulate_media(media="screen")
    page.reload()
    expect(page.get_by_test_id("sheet-gone")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(initial)

    # the new officer logs in, must change the password, then sees the own union
    page.get_by_role("button", name="退出").click()
    login("zj_supermarket", initial)
    change_password(page, initial, "Supermarket-Union-2026")
    expect(page.get_by_test_id("root-union")).to_have_text("漳江超市工会")
    expect(page.get_by_test_id("whoami")).to_contain_text("采集员")
    expect(page.get_by_role("link", name="账号管理")).to_have_count(0)  # not an admin
    assert not User.objects.get(username="zj_supermarket").must_change_password


def test_admin_resets_and_switches_off_an_account(
    page, login, tree, county_admin, make_user, transactional_db
):
    make_user(tree["school"], User.Role.COLLECTOR, username="school_officer")
    login("county_admin", PASSWORD)

    page.get_by_role("link", name="账号管理").click()
    page.get_by_label("角色").select_option(label="采集员")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("accounts")).to_contain_text("school_officer")
    expect(page.get_by_test_id("accounts")).not_to_contain_text("county_admin")
    page.get_by_role("link", name="school_officer").click()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重置密码").click()
    expect(page.get_by_test_id("sheet")).to_contain_text("密码重置")
    page.get_by_role("link", name="返回账号").click()

    page.get_by_role("button", name="停用账号（人员调离）").click()
    expect(page.get_by_test_id("account-state")).to_contain_text("已停用")
    assert not User.objects.get(username="school_officer").is_active

    page.get_by_role("link", name="审计日志").click()
    log = page.get_by_test_id("audit")
    expect(log).to_contain_text("停用账号")
    expect(log).to_contain_text("重置密码")
    page.get_by_label("操作", exact=True).select_option(label="重置密码")
    page.get_by_role("button", name="筛选").click()
    expect(log).not_to_contain_text("停用账号")
    assert AuditEntry.objects.filter(action="account_disabled").count() == 1


def test_admin_moves_a_union(page, login, tree, county_admin, transactional_db):
    login("county_admin", PASSWORD)
    page.goto("/unions/")
    page.locator('[data-union="漳江物流公司工会"]').get_by_role("link", name="调整隶属").click()
    pick_union(page, "新的上级工会", "一中", "桃源一中工会")
    page.get_by_role("button", name="调整").click()
    expect(page.get_by_role("alert")).to_contain_text("已调整到“桃源一中工会”之下")
    school = Union.objects.get(name="桃源一中工会")
    assert Union.objects.get(name="漳江物流公司工会").parent == school


def test_repeated_wrong_passwords_lock_the_account(page, login, tree, make_user, transactional_db):
    from django.conf import settings

    make_user(tree["town"], username="zj_officer")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("zj_officer", "not-the-password")
    login("zj_officer", PASSWORD)
    expect(page.get_by_test_id("locked-out")).to_contain_text("登录失败次数过多")
    expect(page.get_by_test_id("locked-until")).to_contain_text("锁定至")  # until when
    expect(page.get_by_test_id("locked-until")).to_contain_text("届时自动解除")
    assert AuditEntry.objects.filter(action="lockout", union=tree["town"]).exists()


def test_admin_edits_a_union_and_an_account(
    page, login, tree, county_admin, make_user, transactional_db
):
    officer = make_user(tree["base"], User.Role.VIEWER, username="base_viewer")
    login("county_admin", PASSWORD)

    page.goto("/unions/")
    page.locator('[data-union="桃源一中工会"]').get_by_role("link", name="修改").click()
    page.get_by_label("统一社会信用代码").fill("81430725MC0000001F")
    page.get_by_label("工会负责人").fill("王校长")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("校验位不正确")
    expect(page.get_by_label("统一社会信用代码")).to_have_class("form-control is-invalid")
    page.get_by_label("统一社会信用代码").fill("81430725MC0000001H")
    page.get_by_role("button", name="保存").click()
    expect(page.locator('[data-union="桃源一中工会"]')).to_contain_text("81430725MC0000001H")
    assert Union.objects.get(name="桃源一中工会").chair == "王校长"

    page.goto(f"/accounts/{officer.pk}/")
    page.get_by_role("link", name="修改", exact=True).click()
    pick_union(page, "所属工会", "桃源一中", "桃源一中工会")
    page.get_by_label("角色").select_option(label="采集员")
    page.get_by_role("button", name="保存").click()
    info = page.get_by_test_id("account-info")
    expect(info).to_contain_text("桃源一中工会")
    expect(info).to_contain_text("采集员")
    expect(page.get_by_test_id("account-history")).to_contain_text("修改账号")


def test_a_role_change_shows_old_and_new_role_on_the_audit_and_account_pages(
    page, login, tree, county_admin, make_user, transactional_db
):
    officer = make_user(tree["base"], User.Role.VIEWER, username="base_viewer")
    login("county_admin", PASSWORD)

    page.goto(f"/accounts/{officer.pk}/")
    page.get_by_role("link", name="修改", exact=True).click()
    page.get_by_label("角色").select_option(label="采集员")
    page.get_by_role("button", name="保存").click()

    history = page.get_by_test_id("account-history")
    expect(history).to_contain_text("修改账号")
    expect(history).to_contain_text("角色：查看 → 采集员")

    page.get_by_role("link", name="审计日志").click()
    row = page.get_by_test_id("audit").locator("tr", has_text="修改账号")
    expect(row).to_contain_text("base_viewer")
    expect(row).to_contain_text("角色：查看 → 采集员")


def test_admin_records_an_election_from_the_terms_due_list(
    page, login, tree, county_admin, transactional_db
):
    import datetime

    from django.utils import timezone

    from unions import services

    services.update_union(
        actor=county_admin,
        union=tree["school"],
        founded_on=timezone.localdate() - datetime.timedelta(days=800),
        term_years=2,
        chair="王校长",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login("county_admin", PASSWORD)
    page.goto(f"/progress/{tree['county'].pk}/")
    due = page.get_by_test_id("terms-due")
    expect(due).to_contain_text("桃源一中工会")
    due.get_by_role("link", name="登记换届").click()
    expect(page.get_by_test_id("current-term")).to_contain_text("王校长")
    page.get_by_label("换届日期").fill(timezone.localdate().isoformat())
    page.get_by_label("新任工会负责人").fill("李校长")
    page.get_by_role("button", name="登记换届").click()
    expect(page.get_by_role("alert")).to_contain_text("已登记“桃源一中工会”换届")
    expect(page.get_by_test_id("terms-due")).to_have_count(0)
    assert Union.objects.get(pk=tree["school"].pk).chair == "李校长"
