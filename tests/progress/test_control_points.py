"""控制点: a subtree frozen with a checksum; two points compared (added, removed, changed,
per union); one per tree on a campaign's deadline; a tampered file is refused."""

import datetime
import gzip
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members import services
from progress import control_points as cp
from progress.models import Campaign, ControlPoint
from unions.models import AuditEntry, User


def frozen(union) -> ControlPoint:
    point = ControlPoint.objects.create(union=union, reason=ControlPoint.Reason.MANUAL)
    return cp.freeze(point.pk)


def test_two_points_show_who_came_who_left_and_who_changed(
    tree, make_member, make_user, media_root
):
    collector = make_user(tree["county"], User.Role.COLLECTOR)
    stays = make_member(tree["base"], name="张一")
    leaves = make_member(tree["school"], name="李二")
    edited = make_member(tree["group"], name="王三")
    first = frozen(tree["county"])
    assert (first.active_members, first.unions, first.state) == (3, 5, "ready")
    assert cp.verify(first)

    arrives = make_member(tree["town"], name="赵四")
    services.update_member(member=edited, data={"mobile": "13700007777"}, by=collector)
    transfer = services.request_transfer(
        member=leaves, to_union=tree["sibling_base"], on=timezone.localdate(), by=collector
    )
    services.decide_transfer(
        transfer=transfer, accept=True, by=make_user(tree["sibling"], User.Role.ADMIN)
    )
    second = frozen(tree["city"])  # taken higher up: the county's view is cut out of it

    result = cp.compare(second, first, within=tree["county"])
    assert (result.older, result.newer) == (first, second)
    assert [m.name for m in result.added] == [arrives.name]
    assert [m.name for m in result.removed] == [leaves.name]
    assert [new.name for _old, new in result.changed] == [edited.name]
    assert stays.id_number not in str(result)
    per_union = {name: (a, b) for name, a, b in result.per_union}
    assert per_union["桃源一中工会"] == (1, 0) and per_union["漳江街道办事处工会联合会"] == (0, 1)
    assert "鼎城医院工会" not in per_union


def test_a_changed_file_is_detected_and_refused(
    client, tree, make_member, county_admin, media_root
):
    make_member(tree["base"])
    first, second = frozen(tree["county"]), frozen(tree["county"])
    with second.data.open("rb") as fh:
        content = gzip.decompress(fh.read())
    second.data.storage.delete(second.data.name)
    second.data.storage.save(second.data.name, io.BytesIO(gzip.compress(content + b"[]\n")))

    assert cp.verify(first) and not cp.verify(second)
    with pytest.raises(cp.PointUnusable, match="校验值不符"):
        cp.compare(first, second, within=tree["county"])
    client.force_login(county_admin)
    url = reverse("progress:control_point_compare", args=[tree["county"].pk])
    response = client.get(url, {"a": first.pk, "b": second.pk}, follow=True)
    assert "校验值不符" in response.content.decode()


def test_deadline_freezes_each_tree_once(
    tree, media_root, celery_eager, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    Campaign.objects.create(
        name="截止行动", starts_on=today - datetime.timedelta(days=30), deadline=today
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = cp.points_at_deadline(today)
    assert [p.union for p in created] == [tree["city"]]
    assert ControlPoint.objects.get().state == ControlPoint.State.READY
    assert cp.points_at_deadline(today) == []


def test_an_admin_freezes_and_compares_in_the_browser_flow(
    client,
    tree,
    county_admin,
    make_member,
    media_root,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    make_member(tree["base"])
    client.force_login(county_admin)
    freeze_url = reverse("progress:control_point_freeze", args=[tree["county"].pk])
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(freeze_url).status_code == 302
    points = list(ControlPoint.objects.order_by("pk"))
    assert [p.state for p in points] == ["ready", "ready"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONTROL_POINT).count() == 2

    page = client.get(reverse("progress:control_points", args=[tree["county"].pk]))
    assert 'data-testid="control-points"' in page.content.decode()
    xlsx = client.get(
        reverse("progress:control_point_compare_xlsx", args=[tree["county"].pk]),
        {"a": points[0].pk, "b": points[1].pk},
    )
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["各工会人数", "新增会员", "减少会员", "信息变动会员"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1
