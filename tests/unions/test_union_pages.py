"""Union pages: the subtree browser, creating, editing and moving unions below one's own."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from registry import codes
from unions.models import AuditEntry, Union, User
from unions.services import create_union, move_union

# A valid union legal-person credit code (starts 81, GB 32100 check digit correct).
CREDIT_CODE = "81430725MC0000001H"


@pytest.fixture
def admin_client(client, county_admin):
    client.force_login(county_admin)
    return client


def fresh(union):
    return Union.objects.get(pk=union.pk)


def test_tree_shows_the_subtree_with_member_counts(admin_client, tree, make_member):
    make_member(tree["group"])
    make_member(tree["base"])
    make_member(tree["school"])
    make_member(tree["sibling_base"])

    page = admin_client.get(reverse("unions:union_tree")).content.decode()

    for name in ("桃源县总工会", "漳江街道办事处工会联合会", "漳江物流公司工会", "一车间工会小组"):
        assert name in page
    assert "鼎城" not in page and "常德市总工会" not in page
    row = page.split('data-union="漳江物流公司工会"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>\n    <td class="num">2</td>' in row


def test_tree_page_queries_do_not_grow_with_the_tree(admin_client, tree):
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("unions:union_tree"))
        return len(captured)

    queries()  # the first page saves the session (once a minute), the others do not
    few = queries()
    for n in range(10):
        Union.objects.create(name=f"新工会{n}", kind=codes.KIND_BASE, parent=fresh(tree["town"]))
    assert queries() == few


def test_admin_creates_a_sub_union(admin_client, tree):
    response = admin_client.post(
        reverse("unions:union_create"),
        {"parent": tree["town"].pk, "name": "漳江超市工会", "kind": codes.KIND_BASE},
    )
    assert response.status_code == 302
    union = Union.objects.get(name="漳江超市工会")
    assert union.parent == tree["town"]
    assert union.code.startswith("LS")  # no credit code: a provisional code
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNION_CREATED)
    assert entry.union == union and entry.actor_username == "county_admin"
    Union.objects.rebuild()
    assert fresh(union).lft == union.lft  # mptt fields were already right


def test_create_under_a_sibling_is_refused(admin_client, tree):
    response = admin_client.post(
        reverse("unions:union_create"),
        {"parent": tree["sibling"].pk, "name": "越界工会", "kind": codes.KIND_BASE},
    )
    assert response.status_code == 200
    assert not Union.objects.filter(name="越界工会").exists()


def test_bad_credit_code_is_explained(admin_client, tree):
    response = admin_client.post(
        reverse("unions:union_create"),
        {"parent": tree["town"].pk, "name": "某工会", "kind": codes.KIND_BASE,
         "credit_code": CREDIT_CODE[:-1] + "F"},
    )  # fmt: skip
    assert "校验位不正确" in response.content.decode()


def test_credit_code_is_one_per_union(admin_client, tree):
    Union.objects.filter(pk=tree["school"].pk).update(credit_code=CREDIT_CODE)
    response = admin_client.post(
        reverse("unions:union_create"),
        {"parent": tree["town"].pk, "name": "某工会", "kind": codes.KIND_BASE,
         "credit_code": CREDIT_CODE.lower()},
    )  # fmt: skip
    assert "一码一单位" in response.content.decode()


def test_admin_edits_own_union_and_the_change_is_audited(admin_client, tree):
    response = admin_client.post(
        reverse("unions:union_edit", args=[tree["county"].pk]),
        {"name": "桃源县总工会", "kind": codes.KIND_LOCAL_FEDERATION, "chair": "张主席",
         "staff_count": "100", "female_staff_count": "40"},
    )  # fmt: skip
    assert response.status_code == 302
    assert fresh(tree["county"]).chair == "张主席"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNION_CHANGED)
    assert entry.detail["工会负责人"] == ["", "张主席"]


def test_female_staff_cannot_exceed_staff(admin_client, tree):
    response = admin_client.post(
        reverse("unions:union_edit", args=[tree["town"].pk]),
        {"name": "漳江", "kind": codes.KIND_FEDERATION, "staff_count": "10",
         "female_staff_count": "11"},
    )  # fmt: skip
    assert "女职工人数不能多于职工人数" in response.content.decode()


def test_renaming_keeps_the_tree_valid(admin_client, tree):
    admin_client.post(
        reverse("unions:union_edit", args=[tree["school"].pk]),
        {"name": "阿桃源一中工会", "kind": codes.KIND_BASE},
    )
    before = list(Union.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    Union.objects.rebuild()
    after = list(Union.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    assert before == after


def test_admin_moves_a_union_within_the_subtree(admin_client, tree, make_user):
    collector = make_user(tree["base"], User.Role.COLLECTOR)
    response = admin_client.post(
        reverse("unions:union_move", args=[tree["base"].pk]), {"new_parent": tree["school"].pk}
    )
    assert response.status_code == 302
    base = fresh(tree["base"])
    assert base.parent == tree["school"]
    assert fresh(tree["group"]).is_descendant_of(fresh(tree["school"]))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNION_MOVED)
    assert entry.detail == {"原上级工会": "漳江街道办事处工会联合会", "新上级工会": "桃源一中工会"}
    # the base union's accounts now sit under the school, at once
    from unions.access import unions_for

    assert set(unions_for(collector)) == {base, fresh(tree["group"])}


def test_union_cannot_move_under_its_own_descendant(admin_client, tree):
    response = admin_client.post(
        reverse("unions:union_move", args=[tree["town"].pk]), {"new_parent": tree["group"].pk}
    )
    assert response.status_code == 200
    assert fresh(tree["town"]).parent == tree["county"]


def test_service_refuses_a_move_under_a_descendant(tree, county_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        move_union(actor=county_admin, union=tree["town"], new_parent=tree["group"])


def test_move_out_of_the_subtree_is_refused(admin_client, tree):
    admin_client.post(
        reverse("unions:union_move", args=[tree["town"].pk]), {"new_parent": tree["sibling"].pk}
    )
    assert fresh(tree["town"]).parent == tree["county"]


def test_own_union_cannot_be_moved(admin_client, tree):
    url = reverse("unions:union_move", args=[tree["county"].pk])
    assert admin_client.get(url).status_code == 404


def test_move_form_offers_neither_the_union_nor_its_descendants(admin_client, tree):
    url = reverse("unions:union_move", args=[tree["town"].pk])
    assert 'name="new_parent_name"' in admin_client.get(url).content.decode()
    for name in ("漳江物流公司工会", "一车间工会小组", "鼎城医院工会", tree["town"].name):
        page = admin_client.post(url, {"new_parent_name": name}).content.decode()
        assert f"找不到“{name}”" in page
    assert admin_client.post(url, {"new_parent_name": "桃源一中工会"}).status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself")
def test_concurrent_creates_and_moves_keep_the_tree_valid(transactional_db, tree, make_user):
    admin = make_user(tree["county"], User.Role.ADMIN, username="busy_admin")
    parents = [tree["town"], tree["school"], tree["base"], tree["county"]]
    errors = []
    start = threading.Barrier(8)

    def create(n):
        try:
            start.wait()
            create_union(
                actor=admin, parent=parents[n % 4], name=f"并发工会{n:02d}", kind=codes.KIND_BASE
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def move(n):
        try:
            start.wait()
            target = tree["school"] if n % 2 else tree["town"]
            move_union(actor=admin, union=tree["group"], new_parent=target)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=move, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Union.objects.filter(name__startswith="并发工会").count() == 6
    before = list(Union.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    Union.objects.rebuild()
    after = list(Union.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    assert before == after


def test_hostile_posts_cannot_touch_a_sibling_union(admin_client, tree):
    edit = reverse("unions:union_edit", args=[tree["sibling_base"].pk])
    response = admin_client.post(edit, {"name": "改名", "kind": codes.KIND_BASE})
    assert response.status_code == 404
    move = reverse("unions:union_move", args=[tree["sibling_base"].pk])
    assert admin_client.post(move, {"new_parent": tree["county"].pk}).status_code == 404
    sibling_base = fresh(tree["sibling_base"])
    assert sibling_base.name == "鼎城医院工会" and sibling_base.parent == tree["sibling"]
    assert not AuditEntry.objects.filter(union=tree["sibling_base"]).exists()


def test_collector_cannot_create_unions(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.COLLECTOR))
    response = client.post(
        reverse("unions:union_create"),
        {"parent": tree["town"].pk, "name": "采集员建的", "kind": codes.KIND_BASE},
    )
    assert response.status_code == 403
    assert not Union.objects.filter(name="采集员建的").exists()


def test_services_refuse_unions_outside_the_subtree(tree, county_admin):
    from django.core.exceptions import PermissionDenied

    from unions.services import update_union

    with pytest.raises(PermissionDenied):
        create_union(actor=county_admin, parent=tree["sibling"], name="越界", kind=codes.KIND_BASE)
    with pytest.raises(PermissionDenied):
        update_union(actor=county_admin, union=tree["city"], name="改名")
    with pytest.raises(PermissionDenied):
        move_union(actor=county_admin, union=tree["town"], new_parent=tree["sibling"])
    with pytest.raises(PermissionDenied):
        move_union(actor=county_admin, union=tree["county"], new_parent=tree["sibling"])
    assert fresh(tree["town"]).parent == tree["county"]
    assert fresh(tree["city"]).name == "常德市总工会"
