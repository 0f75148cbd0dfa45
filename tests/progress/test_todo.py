"""待办 on the home page and counts in the menu: what waits, how many, and where to do it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from imports.models import ImportJob
from members import services
from progress.models import Campaign, Target
from tests.exporting import follow_export
from unions.models import User


@pytest.fixture
def pending_in(tree, make_user, make_member):
    """A transfer from the sibling county into the base union, waiting for base's decision."""
    sender = make_user(tree["sibling_base"], User.Role.COLLECTOR)
    member = make_member(tree["sibling_base"])
    return services.request_transfer(
        member=member, to_union=tree["base"], on=timezone.localdate(), by=sender
    )


def preview(union, uploader, *, days_ago=0):
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.MEMBERS,
        union=union,
        uploader=uploader,
        original_filename="花名册.xlsx",
        sha256="0" * 64,
        state=ImportJob.State.PREVIEW,
        summary={"rows": 3, "created": 3},
    )
    ImportJob.objects.filter(pk=job.pk).update(
        analysed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return job


def todo(client):
    page = client.get(reverse("home"))
    return page, {item.key: item for item in page.context["todo"]}


def test_a_collector_sees_the_transfer_to_decide_and_the_preview_to_confirm(
    client, tree, make_user, pending_in
):
    collector = make_user(tree["base"], User.Role.COLLECTOR)
    old = preview(tree["base"], collector, days_ago=4)
    client.force_login(collector)

    page, items = todo(client)

    assert items["transfers"].count == 1
    assert items["transfers"].url == reverse("members:transfers")
    assert items["previews"].count == 1 and items["previews"].urgent
    assert items["previews"].url == reverse("imports:job", args=[old.pk])
    assert "已超过 3 天" in items["previews"].note
    html = page.content.decode()
    assert 'data-testid="badge-transfers"' in html and 'data-testid="badge-previews"' in html

    preview(tree["base"], collector)
    _page, items = todo(client)
    assert items["previews"].count == 2 and items["previews"].url == reverse("imports:index")


def test_the_sending_side_sees_it_as_waiting_and_a_viewer_sees_no_work(
    client, tree, make_user, pending_in
):
    sender_side = make_user(tree["sibling"], User.Role.ADMIN)
    client.force_login(sender_side)
    _page, items = todo(client)
    assert "transfers" not in items and items["transfers_sent"].count == 1

    client.force_login(make_user(tree["base"], User.Role.VIEWER))
    page, items = todo(client)
    assert items == {}
    assert "暂无待办事项" in page.content.decode()
    assert 'data-testid="badge-transfers"' not in page.content.decode()


def test_a_federation_sees_its_children_behind_pace_and_links_every_child(
    client, tree, county_admin, make_member
):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="测试行动",
        starts_on=today - datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=30),
        is_current=True,
    )
    Target.objects.create(campaign=campaign, union=tree["town"], members=100)
    Target.objects.create(campaign=campaign, union=tree["school"], members=2)
    make_member(tree["school"])
    make_member(tree["school"])
    client.force_login(county_admin)

    page, items = todo(client)

    assert items["laggards"].count == 1 and "漳江街道办事处工会联合会" in items["laggards"].note
    assert items["laggards"].url == reverse("progress:union", args=[tree["county"].pk])
    html = page.content.decode()
    for child in ("town", "school"):
        assert reverse("progress:union", args=[tree[child].pk]) in html


def test_targets_above_the_parents_need_a_confirmation_and_show_red(client, tree, county_admin):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="测试行动",
        starts_on=today - datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=30),
        is_current=True,
    )
    Target.objects.create(campaign=campaign, union=tree["county"], members=1000)
    client.force_login(county_admin)
    url = reverse("progress:set_targets", args=[tree["county"].pk]) + f"?campaign={campaign.pk}"
    over = {f"members_{tree['town'].pk}": "800", f"members_{tree['school'].pk}": "500"}

    page = client.post(url, over).content.decode()
    assert "下级目标合计 1,300 人，超过本级目标任务数 1,000 人（多 300 人）" in page
    assert "确认超额分解" in page
    assert not Target.objects.filter(union=tree["town"]).exists()

    response = client.post(url, {**over, "confirm_over": "on"})
    assert response.status_code == 302
    assert Target.objects.get(union=tree["town"]).members == 800
    dashboard = client.get(reverse("progress:union", args=[tree["county"].pk])).content.decode()
    assert 'data-testid="over-allocated"' in dashboard

    form = client.get(url).content.decode()
    assert "<span data-total>1300</span>" in form


def test_the_progress_report_keeps_numbers_as_numbers_and_drops_empty_columns(
    client, tree, county_admin
):
    import io

    from openpyxl import load_workbook

    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="测试行动",
        starts_on=today - datetime.timedelta(days=30),
        deadline=today + datetime.timedelta(days=30),
        is_current=True,
    )
    Target.objects.create(campaign=campaign, union=tree["town"], members=8)
    Target.objects.create(campaign=campaign, union=tree["school"], members=4)
    client.force_login(county_admin)

    content, _text = follow_export(
        client, client.post(reverse("progress:report_xlsx", args=[tree["county"].pk]))
    )
    ws = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[3]]
    assert "组织目标数（个）" not in header  # nobody set one: no empty column
    assert "本周新增（人）" not in header  # no snapshot a week ago
    town = next(r for r in range(4, 6) if ws.cell(row=r, column=2).value == tree["town"].name)
    rate = ws.cell(row=town, column=header.index("完成率") + 1)
    assert rate.value == 0 and rate.number_format == "0.0%"
    target = ws.cell(row=town, column=header.index("目标任务数（人）") + 1)
    assert target.value == 8 and target.number_format == "#,##0"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == f"A3:{ws.cell(row=3, column=len(header)).column_letter}5"


def test_applications_to_review_are_on_the_collectors_list(client, tree, make_user):
    from selfservice.models import Application

    Application.objects.create(
        union=tree["base"],
        name="孙八",
        id_type="01",
        id_number="430725199001011234",
        mobile="13800001111",
        workplace="漳江物流公司",
        signature="孙八",
        signed_at=timezone.now(),
        consent_version="1",
    )
    client.force_login(make_user(tree["town"], User.Role.COLLECTOR))
    _page, items = todo(client)
    assert items["applications"].count == 1
    assert items["applications"].url == reverse("selfservice:queue")
    client.force_login(make_user(tree["school"], User.Role.COLLECTOR))
    _page, items = todo(client)
    assert "applications" not in items  # another branch of the tree
