"""Every page at 390 px (issue 15, item 4): no horizontal page overflow (tables stack as
cards or scroll inside their own box), rows short enough to read, key actions visible, the
progress page within about three screens."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from members.models import TransferRequest
from tests.conftest import PASSWORD
from tests.imports.sheets import mobile, person_id
from unions.models import User

pytestmark = pytest.mark.usefixtures("transactional_db", "media_root")

WIDTH, HEIGHT = 390, 844


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def assert_fits(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    width = page_width(page)
    assert width <= WIDTH, f"{url} is {width} px wide at {WIDTH} px"


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return page


def roster_with_problems(path):
    book = Workbook()
    book.active.append(["姓名", "证件号码", "手机号码", "民族"])
    for n in range(1, 6):
        book.active.append(["张三", person_id(n), mobile(n), "汉族"])
    book.active.append(["李四", "430725198501020099", "12345", "火星族"])
    book.save(path)
    return path


def test_collector_pages_fit_a_phone(
    phone, login, tree, make_user, make_member, tmp_path, celery_eager
):
    make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    for n in range(8):
        make_member(tree["base"], name=f"欧阳{n}号会员")
    login("collector", PASSWORD)

    assert_fits(phone, "/")
    assert_fits(phone, "/collect/upload/")
    phone.get_by_label("选择文件").set_input_files(
        str(roster_with_problems(tmp_path / "名单.xlsx"))
    )
    phone.get_by_role("button", name="上传并核对").click()
    expect(phone.get_by_test_id("job-state")).to_have_text("待确认")
    width = page_width(phone)
    assert width <= WIDTH, f"the preview with its problem table is {width} px wide"
    assert_fits(phone, "/collect/")

    assert_fits(phone, "/members/")
    first = phone.get_by_test_id("member-table").locator("tbody tr").first
    expect(first).to_be_visible()
    assert first.bounding_box()["height"] < 140
    expect(phone.get_by_role("button", name="查找")).to_be_visible()
    member = tree["base"].members.first()
    assert_fits(phone, f"/members/{member.pk}/")
    expect(phone.get_by_role("button", name="显示完整证件号")).to_be_visible()
    assert_fits(phone, f"/members/{member.pk}/change/")
    assert_fits(phone, f"/members/{member.pk}/edit/")
    assert_fits(phone, "/members/review/")


def test_federation_pages_fit_a_phone(phone, login, tree, make_user, make_member):
    make_user(tree["county"], User.Role.ADMIN, username="county_admin_phone")
    moving = make_member(tree["base"], name="王小明")
    TransferRequest.objects.create(member=moving, from_union=tree["base"], to_union=tree["school"])
    login("county_admin_phone", PASSWORD)

    assert_fits(phone, "/")
    assert_fits(phone, f"/progress/{tree['county'].pk}/")
    height = phone.evaluate("document.scrollingElement.scrollHeight")
    assert height <= 3 * HEIGHT, f"the progress page is {height} px tall"
    assert_fits(phone, "/members/transfers/")
    expect(phone.get_by_test_id("to-decide")).to_contain_text("王小明")
    transfer = TransferRequest.objects.get()
    assert_fits(phone, f"/members/transfers/{transfer.pk}/")
    expect(phone.get_by_role("button", name="接收")).to_be_visible()
    for url in ("/accounts/", "/accounts/new/", "/unions/", "/audit/", "/collect/export/"):
        assert_fits(phone, url)
    assert_fits(phone, f"/progress/{tree['county'].pk}/control-points/")
    assert_fits(phone, "/selfservice/applications/")


def test_demo_accounts_pages_fit_a_phone(phone, login):
    """The demo registry (seed_demo) as its accounts see it: the county's progress page has
    some thirty children, yet stays within about three screens."""
    from django.core.management import call_command

    from unions.models import Union

    call_command("seed_demo", members=300)
    county = User.objects.get(username="county_admin").union
    login("county_admin", "Gonghui@2026")
    for url in ("/", "/unions/", "/members/", "/accounts/", "/members/transfers/"):
        assert_fits(phone, url)
    assert_fits(phone, f"/progress/{county.pk}/")
    height = phone.evaluate("document.scrollingElement.scrollHeight")
    assert height <= 3 * HEIGHT, f"the county's progress page is {height} px tall"
    assert_fits(phone, f"/progress/{county.pk}/targets/")
    school = Union.objects.get(name="桃源县第一中学工会")
    assert_fits(phone, f"/progress/{school.pk}/")
