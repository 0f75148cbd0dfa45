"""Account pages: opening, editing, resetting and switching off accounts of one's subtree."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.urls import reverse

from tests.conftest import PASSWORD
from unions.models import AuditEntry, User
from unions.services import generate_password


@pytest.fixture
def admin_client(client, county_admin):
    client.force_login(county_admin)
    return client


def create(client, **fields):
    data = {"username": "zj_collector", "full_name": "李红", "role": "collector", **fields}
    return client.post(reverse("unions:account_create"), data)


def test_admin_opens_an_account_below_and_sees_the_password_once(admin_client, tree, county_admin):
    response = create(admin_client, union=tree["town"].pk)

    account = User.objects.get(username="zj_collector")
    assert response["Location"] == reverse("unions:account_sheet", args=[account.pk])
    assert account.union == tree["town"]
    assert account.role == User.Role.COLLECTOR
    assert account.must_change_password and account.created_by == county_admin
    assert not account.is_staff and not account.is_superuser

    sheet = admin_client.get(response["Location"]).content.decode()
    password = sheet.split('data-testid="sheet-password">')[1].split("<")[0]
    assert account.check_password(password)
    assert "漳江街道办事处工会联合会" in sheet and "首次登录" in sheet

    again = admin_client.get(response["Location"]).content.decode()
    assert password not in again  # shown once only
    assert "已经显示过" in again


def test_generated_passwords_pass_every_validator(db):
    user = User(username="zj01")
    for _ in range(50):
        password = generate_password(user)
        validate_password(password, user)
        assert len(password) >= 10


def test_account_creation_is_audited(admin_client, tree):
    create(admin_client, union=tree["school"].pk)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CREATED)
    assert entry.actor_username == "county_admin"
    assert entry.union == tree["school"]
    assert entry.object_repr == "zj_collector"
    assert entry.ip_address == "127.0.0.1"


def test_cannot_open_an_account_in_a_sibling_union(admin_client, tree):
    response = create(admin_client, union=tree["sibling_base"].pk)
    assert response.status_code == 200
    assert "所属工会" in response.content.decode()
    assert not User.objects.filter(username="zj_collector").exists()


def test_cannot_open_an_account_in_the_union_above(admin_client, tree):
    create(admin_client, union=tree["city"].pk)
    assert not User.objects.filter(username="zj_collector").exists()


def test_forged_superuser_and_staff_fields_are_ignored(admin_client, tree):
    create(admin_client, union=tree["town"].pk, is_superuser="on", is_staff="on", role="admin")
    account = User.objects.get(username="zj_collector")
    assert not account.is_superuser and not account.is_staff
    assert account.role == User.Role.ADMIN  # an admin may open admins below


def test_collector_cannot_reach_account_pages(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.COLLECTOR))
    assert client.get(reverse("unions:account_list")).status_code == 403
    response = create(client, union=tree["town"].pk)
    assert response.status_code == 403
    assert not User.objects.filter(username="zj_collector").exists()


def test_role_above_own_is_refused_by_the_service(tree, make_user):
    from django.core.exceptions import PermissionDenied

    from unions.services import create_account

    collector = make_user(tree["county"], User.Role.COLLECTOR)
    with pytest.raises(PermissionDenied):
        create_account(actor=collector, union=tree["town"], username="x1", role=User.Role.ADMIN)
    create_account(actor=collector, union=tree["town"], username="x2", role=User.Role.VIEWER)


def test_unknown_role_is_refused(admin_client, tree):
    create(admin_client, union=tree["town"].pk, role="superuser")
    assert not User.objects.filter(username="zj_collector").exists()


def test_username_must_be_new_whatever_the_case(admin_client, tree, make_user):
    make_user(tree["town"], username="Taken_Name")
    response = create(admin_client, union=tree["town"].pk, username="taken_name")
    assert "已被使用" in response.content.decode()


def test_account_list_shows_the_subtree_only_with_filters(admin_client, tree, make_user):
    make_user(tree["group"], User.Role.COLLECTOR, username="group_collector")
    make_user(tree["school"], User.Role.VIEWER, username="school_viewer")
    off = make_user(tree["school"], User.Role.COLLECTOR, username="school_gone")
    off.is_active = False
    off.save()
    make_user(tree["sibling"], username="sibling_admin")
    make_user(tree["city"], username="city_admin")

    page = admin_client.get(reverse("unions:account_list")).content.decode()
    assert "group_collector" in page and "school_viewer" in page and "school_gone" in page
    assert "sibling_admin" not in page and "city_admin" not in page

    by_union = admin_client.get(reverse("unions:account_list"), {"union": tree["town"].pk})
    assert "group_collector" in by_union.content.decode()  # the union's subtree
    assert "school_viewer" not in by_union.content.decode()

    by_role = admin_client.get(reverse("unions:account_list"), {"role": "viewer"}).content.decode()
    assert "school_viewer" in by_role and "group_collector" not in by_role

    switched_off = admin_client.get(reverse("unions:account_list"), {"active": "0"})
    assert "school_gone" in switched_off.content.decode()
    assert "school_viewer" not in switched_off.content.decode()


def test_account_list_filters_by_a_union_picked_in_scope(admin_client, tree):
    page = admin_client.get(reverse("unions:account_list")).content.decode()
    assert 'name="union_name"' in page and "data-union-suggest" in page
    assert "鼎城" not in page and "常德市总工会" not in page
    outside = admin_client.get(reverse("unions:account_list"), {"union_name": "鼎城医院工会"})
    assert "找不到“鼎城医院工会”" in outside.content.decode()


def test_account_list_shows_last_login(admin_client, tree, make_user):
    import datetime

    from django.utils import timezone

    user = make_user(tree["town"], username="seen_before")
    user.last_login = timezone.make_aware(datetime.datetime(2026, 3, 5, 9, 30))
    user.save()
    make_user(tree["town"], username="never_came")
    page = admin_client.get(reverse("unions:account_list")).content.decode()
    assert "2026-03-05 09:30" in page
    assert "从未登录" in page


def test_account_list_queries_do_not_grow_with_accounts(admin_client, tree, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("unions:account_list"))
        return len(captured)

    first = make_user(tree["base"], username="first")
    queries()  # the first page saves the session (once a minute), the others do not
    few = queries()
    User.objects.bulk_create(
        User(username=f"many{n}", union=tree["base"], password=first.password) for n in range(30)
    )
    assert queries() == few


def test_sibling_account_answers_404(admin_client, tree, make_user):
    other = make_user(tree["sibling_base"], username="hidden")
    for name in ("account_detail", "account_edit", "account_sheet"):
        assert admin_client.get(reverse(f"unions:{name}", args=[other.pk])).status_code == 404
    assert admin_client.post(reverse("unions:account_reset", args=[other.pk])).status_code == 404
    response = admin_client.post(
        reverse("unions:account_set_active", args=[other.pk]), {"active": "0"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active and other.check_password(PASSWORD)


def test_superuser_accounts_are_invisible(admin_client, tree):
    ops = User.objects.create_superuser("ops", password=PASSWORD)
    assert admin_client.get(reverse("unions:account_detail", args=[ops.pk])).status_code == 404
    assert (
        "ops"
        not in admin_client.get(reverse("unions:account_list"))
        .content.decode()
        .split('data-testid="accounts"')[1]
        .split("</table>")[0]
    )


def test_reset_gives_a_new_password_that_must_be_changed(admin_client, tree, make_user, client):
    from django.test import Client

    officer = make_user(tree["base"], User.Role.COLLECTOR, username="base_collector")
    officer_client = Client()
    officer_client.force_login(officer)
    assert officer_client.get(reverse("home")).status_code == 200

    response = admin_client.post(reverse("unions:account_reset", args=[officer.pk]))
    sheet = admin_client.get(response["Location"]).content.decode()
    password = sheet.split('data-testid="sheet-password">')[1].split("<")[0]

    officer.refresh_from_db()
    assert officer.check_password(password) and not officer.check_password(PASSWORD)
    assert officer.must_change_password
    assert "密码重置" in sheet
    # the session opened with the old password is over
    assert officer_client.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert AuditEntry.objects.filter(action="account_reset", object_id=str(officer.pk)).exists()


def test_switching_off_takes_effect_at_once(admin_client, tree, make_user):
    from django.test import Client

    officer = make_user(tree["base"], User.Role.COLLECTOR, username="leaving")
    officer_client = Client()
    officer_client.force_login(officer)
    assert officer_client.get(reverse("home")).status_code == 200

    admin_client.post(reverse("unions:account_set_active", args=[officer.pk]), {"active": "0"})

    officer.refresh_from_db()
    assert not officer.is_active
    assert officer_client.get(reverse("home")).status_code == 302  # logged out
    assert AuditEntry.objects.filter(action="account_disabled", object_id=str(officer.pk)).exists()

    admin_client.post(reverse("unions:account_set_active", args=[officer.pk]), {"active": "1"})
    officer.refresh_from_db()
    assert officer.is_active
    assert AuditEntry.objects.filter(action="account_enabled", object_id=str(officer.pk)).exists()


def test_admin_cannot_switch_off_or_reset_self(admin_client, county_admin):
    admin_client.post(reverse("unions:account_set_active", args=[county_admin.pk]), {"active": "0"})
    admin_client.post(reverse("unions:account_reset", args=[county_admin.pk]))
    county_admin.refresh_from_db()
    assert county_admin.is_active and county_admin.check_password(PASSWORD)


def test_edit_moves_an_account_within_the_subtree(admin_client, tree, make_user):
    officer = make_user(tree["base"], User.Role.VIEWER, username="mover")
    url = reverse("unions:account_edit", args=[officer.pk])
    admin_client.post(url, {"full_name": "王五", "union": tree["school"].pk, "role": "collector"})
    officer.refresh_from_db()
    assert (officer.union, officer.role, officer.first_name) == (
        tree["school"],
        User.Role.COLLECTOR,
        "王五",
    )
    entry = AuditEntry.objects.get(action="account_changed")
    assert entry.detail["所属工会"] == ["漳江物流公司工会", "桃源一中工会"]

    admin_client.post(url, {"full_name": "王五", "union": tree["sibling"].pk, "role": "collector"})
    officer.refresh_from_db()
    assert officer.union == tree["school"]


def test_admin_cannot_raise_own_role_or_move_self_up(client, tree, make_user):
    town_admin = make_user(tree["town"], User.Role.ADMIN, username="town_admin")
    client.force_login(town_admin)
    url = reverse("unions:account_edit", args=[town_admin.pk])
    client.post(
        url,
        {"full_name": "自己", "union": tree["county"].pk, "role": "admin", "is_superuser": "on"},
    )
    town_admin.refresh_from_db()
    assert town_admin.union == tree["town"] and not town_admin.is_superuser
    assert town_admin.first_name == "自己"


def test_collector_cannot_raise_own_role(client, tree, make_user):
    collector = make_user(tree["town"], User.Role.COLLECTOR)
    client.force_login(collector)
    url = reverse("unions:account_edit", args=[collector.pk])
    assert client.post(url, {"role": "admin", "union": tree["town"].pk}).status_code == 403
    collector.refresh_from_db()
    assert collector.role == User.Role.COLLECTOR


def test_admin_of_a_lower_union_cannot_touch_the_county_admin(
    client, tree, make_user, county_admin
):
    town_admin = make_user(tree["town"], User.Role.ADMIN)
    client.force_login(town_admin)
    url = reverse("unions:account_set_active", args=[county_admin.pk])
    assert client.post(url, {"active": "0"}).status_code == 404
    county_admin.refresh_from_db()
    assert county_admin.is_active


def test_role_has_no_default_and_must_be_chosen(admin_client, tree):
    response = create(admin_client, union=tree["town"].pk, role="")
    assert response.status_code == 200
    assert "角色：这个字段是必填项" in response.content.decode()
    assert not User.objects.filter(username="zj_collector").exists()


def test_create_form_offers_roles_and_unions_in_scope_only(client, tree, make_user):
    client.force_login(make_user(tree["town"], User.Role.ADMIN))
    page = client.get(reverse("unions:account_create")).content.decode()
    assert 'name="union_name"' in page and "桃源一中工会" not in page and "鼎城" not in page
    url = reverse("unions:union_suggest")
    offered = [u["name"] for u in client.get(url, {"q": "工会"}).json()["results"]]
    assert "漳江物流公司工会" in offered and "一车间工会小组" in offered
    assert "桃源县总工会" not in offered and "桃源一中工会" not in offered
    typed = client.post(
        reverse("unions:account_create"),
        {"username": "outside01", "role": "collector", "union_name": "桃源一中工会"},
    )
    assert "找不到“桃源一中工会”" in typed.content.decode()


def test_account_page_shows_what_happened_to_the_account(admin_client, tree, make_user):
    officer = make_user(tree["base"], User.Role.COLLECTOR, username="base_collector")
    admin_client.post(reverse("unions:account_reset", args=[officer.pk]))
    admin_client.post(reverse("unions:account_set_active", args=[officer.pk]), {"active": "0"})
    other = make_user(tree["base"], User.Role.COLLECTOR, username="someone_else")
    admin_client.post(reverse("unions:account_reset", args=[other.pk]))

    page = admin_client.get(reverse("unions:account_detail", args=[officer.pk])).content.decode()
    history = page.split('data-testid="account-history"')[1]
    assert "重置密码" in history and "停用账号" in history
    assert history.count("重置密码") == 1  # not the other account's reset


def test_refusals_are_explained_in_chinese(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    forbidden = client.get(reverse("unions:account_list"))
    assert forbidden.status_code == 403 and "账号角色不能使用" in forbidden.content.decode()

    client.force_login(make_user(tree["county"], User.Role.ADMIN))
    hidden = make_user(tree["sibling"], username="hidden")
    missing = client.get(reverse("unions:account_detail", args=[hidden.pk]))
    assert missing.status_code == 404 and "找不到" in missing.content.decode()
