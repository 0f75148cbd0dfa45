"""名单比对 in the browser (test client): upload → background job → four groups → each
confirmed action changes exactly what was confirmed; the workbook; retention."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from imports.models import ImportJob, ReconcileEntry
from imports.reconcile import jobs
from members.models import Member, MemberChange, MembershipEvent, TransferRequest
from registry.validators import mask_id
from selfservice import sms
from tests.imports.sheets import person_id
from unions.models import AuditEntry, User

pytestmark = pytest.mark.django_db
Group = ReconcileEntry.Group


@pytest.fixture(autouse=True)
def _run_queued_tasks(monkeypatch, django_capture_on_commit_callbacks):
    from django.test import Client

    original = Client.request

    def request(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture
def collector(tree, make_user, client, media_root, celery_eager, settings):
    settings.SMS_BACKEND = "selfservice.sms.backends.LocmemBackend"
    sms.outbox.clear()
    user = make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    client.force_login(user)
    return user


@pytest.fixture
def people(tree, make_member):
    base = tree["base"]
    return {
        "same": make_member(base, name="王一", id_number=person_id(1), mobile="13900000001"),
        "renamed": make_member(base, name="王二", id_number=person_id(2), mobile="13900000002"),
        "gone": make_member(base, name="王三", id_number=person_id(3), mobile="13900000003"),
        "gone_too": make_member(base, name="王四", id_number=person_id(4), mobile="13900000004"),
        "elsewhere": make_member(tree["sibling_base"], name="李五", id_number=person_id(5)),
    }


def the_list() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "参保名单"
    sheet.append(["姓名", "身份证号", "手机号码", "工作单位"])
    sheet.append(["王一", person_id(1), "13900000001", "漳江物流"])
    sheet.append(["王贰", person_id(2), "13900000022", "漳江物流"])
    sheet.append(["赵六", person_id(6), "13900000006", "漳江物流"])
    sheet.append(["钱七", person_id(7), "", "漳江物流"])
    sheet.append(["李五", person_id(5), "13900000005", "漳江物流"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, union, content=None, name="社保参保名单.xlsx", **extra):
    return client.post(
        reverse("imports:reconcile"),
        {"union": union.pk, "file": SimpleUploadedFile(name, content or the_list()), **extra},
        follow=True,
    )


def latest() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def entries(job, group):
    return list(job.entries.filter(group=group).order_by("row", "id"))


def act(client, job, action, chosen, **data):
    return client.post(
        reverse("imports:reconcile_act", args=[job.pk]),
        {"action": action, "entry": [e.pk for e in chosen], **data},
        follow=True,
    )


def snapshot():
    return list(Member.objects.order_by("pk").values())


def test_upload_shows_the_four_groups_and_changes_nothing(client, collector, tree, people):
    before = snapshot()
    response = upload(client, tree["base"])

    job = latest()
    assert job.kind == ImportJob.Kind.RECONCILE and job.state == ImportJob.State.PREVIEW
    assert response.redirect_chain[-1][0] == reverse("imports:reconcile_job", args=[job.pk])
    page = response.content.decode()
    assert (
        "名单共 5 人：已登记且一致 1，应采未采 2，已登记但不在名单中 2，信息不一致 1，已在其他工会登记 1"
        in page
    )
    assert "赵六" in page and mask_id(person_id(6)) in page and person_id(6) not in page
    for group, names in [
        (Group.ABSENT, {"王三", "王四"}),
        (Group.MISMATCHED, {"王贰"}),
        (Group.ELSEWHERE, {"李五"}),
    ]:
        shown = client.get(reverse("imports:reconcile_job", args=[job.pk]), {"group": group})
        text = shown.content.decode()
        assert all(name in text for name in names), group
    mismatched = client.get(
        reverse("imports:reconcile_job", args=[job.pk]), {"group": Group.MISMATCHED}
    ).content.decode()
    assert "王二" in mismatched and "139****0022" in mismatched and "13900000022" not in mismatched
    assert snapshot() == before
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.RECONCILE_RUN, union=tree["base"]
        ).count()
        == 1
    )
    # Not something to confirm as an import: no 待确认 badge, and confirm is refused.
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEW


def test_confirming_an_event_changes_only_the_chosen_member(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    absent = {e.name: e for e in entries(job, Group.ABSENT)}

    act(client, job, "event", [absent["王三"]], kind="leave", on=timezone.localdate().isoformat())

    people["gone"].refresh_from_db()
    people["gone_too"].refresh_from_db()
    assert people["gone"].status == Member.Status.LEFT
    assert people["gone_too"].status == Member.Status.ACTIVE
    event = MembershipEvent.objects.get(member=people["gone"])
    assert event.kind == MembershipEvent.Kind.LEAVE and "社保参保名单.xlsx" in event.reason
    assert MembershipEvent.objects.count() == 1
    done = ReconcileEntry.objects.get(pk=absent["王三"].pk)
    assert done.action == ReconcileEntry.Action.EVENT and done.done_by == collector
    logged = AuditEntry.objects.get(action=AuditEntry.Action.RECONCILE_CONFIRMED)
    assert logged.detail["count"] == 1 and logged.detail["action"] == "leave"

    # The same entry again: nothing more happens.
    act(client, job, "event", [absent["王三"]], kind="retire", on=timezone.localdate().isoformat())
    people["gone"].refresh_from_db()
    assert people["gone"].status == Member.Status.LEFT and MembershipEvent.objects.count() == 1


def test_transfer_out_asks_the_named_union(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    gone = next(e for e in entries(job, Group.ABSENT) if e.name == "王四")
    act(
        client,
        job,
        "event",
        [gone],
        kind="transfer_out",
        on=timezone.localdate().isoformat(),
        to_union="桃源一中工会",
    )
    transfer = TransferRequest.objects.get()
    assert transfer.member == people["gone_too"] and transfer.to_union == tree["school"]
    people["gone_too"].refresh_from_db()
    assert people["gone_too"].union == tree["base"]  # until the school accepts


def test_adopting_the_list_values_updates_name_and_phone(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    (entry,) = entries(job, Group.MISMATCHED)

    act(client, job, "update", [entry])

    member = Member.objects.get(pk=people["renamed"].pk)
    assert (member.name, member.mobile) == ("王贰", "13900000022")
    change = MemberChange.objects.get(member=member)
    assert change.source == MemberChange.Source.RECONCILE
    assert Member.objects.get(pk=people["same"].pk).name == "王一"


def test_requesting_a_transfer_for_a_member_of_another_union(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    (entry,) = entries(job, Group.ELSEWHERE)
    before = snapshot()

    response = act(client, job, "claim", [entry])

    transfer = TransferRequest.objects.get()
    assert transfer.member == people["elsewhere"]
    assert transfer.from_union == tree["sibling_base"] and transfer.to_union == tree["base"]
    assert transfer.origin == TransferRequest.Origin.CLAIM
    assert snapshot() == before  # the member stays until the holder accepts
    assert "已为 1 人向其所在工会发出转入申请" in response.content.decode()


def test_inviting_texts_the_join_link_to_those_with_a_phone(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    missing = {e.name: e for e in entries(job, Group.MISSING)}

    response = act(client, job, "invite", [missing["赵六"], missing["钱七"]])

    assert [phone for phone, _text in sms.outbox] == ["13900000006"]
    assert "/join/" in sms.outbox[0][1] and "漳江物流公司工会" in sms.outbox[0][1]
    page = response.content.decode()
    assert "已向 1 人发送入会邀请短信" in page and "名单中没有手机号码" in page
    assert ReconcileEntry.objects.get(pk=missing["赵六"].pk).action == ReconcileEntry.Action.INVITED
    assert not ReconcileEntry.objects.get(pk=missing["钱七"].pk).done_at
    assert Member.objects.with_id(person_id(6)).count() == 0


def test_registering_through_the_import_preview(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    missing = {e.name: e for e in entries(job, Group.MISSING)}

    response = act(client, job, "import", [missing["赵六"]])

    roster_job = latest()
    assert roster_job.kind == ImportJob.Kind.MEMBERS and roster_job.union == tree["base"]
    assert roster_job.state == ImportJob.State.PREVIEW
    assert response.redirect_chain[-1][0] == reverse("imports:job", args=[roster_job.pk])
    assert roster_job.count("created") == 1
    assert not Member.objects.with_id(person_id(6)).exists(), "only after 确认导入"
    client.post(reverse("imports:confirm", args=[roster_job.pk]))
    assert Member.objects.with_id(person_id(6)).get().name == "赵六"
    assert not Member.objects.with_id(person_id(7)).exists()


def test_the_workbook_has_the_four_groups_and_is_audited(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    response = client.get(reverse("imports:reconcile_workbook", args=[job.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "说明",
        "应采未采",
        "已登记名单中没有",
        "信息不一致",
        "已在其他工会登记",
    ]
    missing = [row for row in book["应采未采"].iter_rows(min_row=2, values_only=True)]
    assert {row[1] for row in missing} == {"赵六", "钱七"}
    assert person_id(6) in {row[2] for row in missing}  # a collector may see full numbers
    logged = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert logged.detail["what"] == "reconcile" and logged.detail["masked"] is False


def test_viewer_sees_the_result_masked_and_cannot_act(client, collector, tree, people, make_user):
    upload(client, tree["base"])
    job = latest()
    viewer = make_user(tree["county"], User.Role.VIEWER, username="viewer")
    client.force_login(viewer)
    response = client.get(reverse("imports:reconcile_workbook", args=[job.pk]))
    cells = {
        str(c)
        for sheet in load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c
    }
    assert person_id(6) not in cells and mask_id(person_id(6)) in cells
    gone = entries(job, Group.ABSENT)[0]
    refused = client.post(
        reverse("imports:reconcile_act", args=[job.pk]),
        {"action": "event", "entry": [gone.pk], "kind": "leave", "on": "2026-01-01"},
    )
    assert refused.status_code == 403
    assert Member.objects.get(pk=gone.member_id).status == Member.Status.ACTIVE


def test_a_list_without_ids_fails_with_the_columns_found(client, collector, tree):
    book = Workbook()
    book.active.append(["序号", "姓名", "联系电话"])
    book.active.append([1, "王一", "13900000001"])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, tree["base"], out.getvalue(), name="没有身份证.xlsx")
    job = latest()
    assert job.state == ImportJob.State.FAILED and job.file_rejected
    page = response.content.decode()
    assert "没有证件号码列" in page and "“联系电话”" in page
    assert not job.entries.exists()


def test_a_union_outside_the_subtree_is_not_offered(client, collector, tree):
    response = upload(client, tree["sibling_base"])
    assert response.status_code == 200
    assert not ImportJob.objects.exists()
    assert "所选工会不在可选范围内" in response.content.decode()
    sibling_job = ImportJob.objects.create(
        kind=ImportJob.Kind.RECONCILE, union=tree["sibling_base"], sha256="0" * 64
    )
    assert client.get(reverse("imports:reconcile_job", args=[sibling_job.pk])).status_code == 404


def test_a_unit_is_typed_by_name_or_credit_code_within_the_union(client, collector, tree, people):
    """No <select> of every unit of a province: the unit is typed, and only units of the
    chosen union's subtree are found."""
    from unions.models import Unit

    wuliu = Unit.objects.create(name="漳江物流有限公司", credit_code="91350600MA2Y3K4L1A")
    tree["base"].units.add(wuliu)
    tree["base"].units.add(Unit.objects.create(name="漳江港务有限公司"))
    tree["sibling_base"].units.add(Unit.objects.create(name="芗城物流有限公司"))
    page = client.get(reverse("imports:reconcile")).content.decode()
    assert "漳江物流有限公司" not in page  # no list of units in the page

    response = upload(client, tree["base"], unit="芗城物流")
    assert "找不到单位“芗城物流”" in response.content.decode()
    response = upload(client, tree["base"], unit="漳江")
    assert "对应多个单位" in response.content.decode()
    assert "漳江港务有限公司" in response.content.decode()
    assert not ImportJob.objects.exists()

    upload(client, tree["base"], unit="91350600ma2y3k4l1a")
    assert latest().unit == wuliu
    upload(client, tree["base"], unit="物流")
    assert latest().unit == wuliu
    upload(client, tree["base"])
    assert latest().unit is None


def test_old_lists_and_their_results_are_deleted(client, collector, tree, people, settings):
    settings.RECONCILE_FILE_RETENTION_DAYS = 7
    upload(client, tree["base"])
    job = latest()
    path = job.file.path
    fresh_upload = upload(client, tree["base"], name="新名单.xlsx")
    assert fresh_upload.status_code == 200
    fresh = latest()
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )

    assert jobs.purge_old_lists() == 1

    job.refresh_from_db()
    assert job.file_purged_at is not None and not job.file
    assert not job.entries.exists()
    import os

    assert not os.path.exists(path)
    assert fresh.entries.exists() and fresh.has_file
    assert job.count("on_list_not_registered") == 2  # the counts stay as history
    page = client.get(reverse("imports:reconcile_job", args=[job.pk])).content.decode()
    assert "已按保存期限删除" in page
    assert client.get(reverse("imports:reconcile_workbook", args=[job.pk])).status_code == 404


def test_the_purge_runs_as_a_beat_task(settings):
    from imports import tasks

    assert settings.CELERY_BEAT_SCHEDULE["imports-purge-reconcile-lists"]["task"] == (
        "imports.tasks.purge_reconcile_lists"
    )
    assert tasks.purge_reconcile_lists() == 0


def test_collectors_find_it_in_the_menu_and_on_the_union_page(client, collector, tree, make_user):
    home = client.get(reverse("imports:index")).content.decode()
    assert reverse("imports:reconcile") in home
    union_page = client.get(reverse("progress:union", args=[tree["base"].pk])).content.decode()
    assert f"{reverse('imports:reconcile')}?union={tree['base'].pk}" in union_page
    form = client.get(reverse("imports:reconcile"), {"union": tree["base"].pk}).content.decode()
    assert f'<input type="hidden" name="union" id="id_union" value="{tree["base"].pk}">' in form
    viewer = make_user(tree["base"], User.Role.VIEWER, username="viewer")
    client.force_login(viewer)
    assert reverse("imports:reconcile") not in client.get(reverse("imports:index")).content.decode()
    assert client.get(reverse("imports:reconcile")).status_code == 403


def test_the_history_lists_a_comparison_as_such(client, collector, tree, people):
    upload(client, tree["base"])
    job = latest()
    history = client.get(reverse("imports:index")).content.decode()
    assert "社保参保名单.xlsx" in history and "比对完成" in history
    response = client.get(reverse("imports:job", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:reconcile_job", args=[job.pk]
    )
