"""Exports as background jobs (issue 12, item 3) and the bad input around them: one
unfinished export per account, a silent job failed by the sweep, nothing to export, the
download audited and kept for a limited time, CSV beside xlsx."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from members import export_jobs
from members.models import ExportJob
from tests.exporting import follow_export, sheet_rows
from unions.models import AuditEntry, User

pytestmark = pytest.mark.django_db


def exports_logged():
    return AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)


def test_an_export_runs_as_a_job_with_a_download_link_and_each_download_is_audited(
    client, tree, county_admin, make_member
):
    member = make_member(tree["school"], name="李小红")
    client.force_login(county_admin)

    response = client.post(reverse("members:export"), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.url == reverse("members:export_job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "已导出 1 名会员" in page and "文件保留到" in page
    status = client.get(reverse("members:export_status", args=[job.pk])).json()
    assert (status["state"], status["percent"], status["running"]) == ("done", 100, False)
    assert job.filter == {}  # the filter (which may hold an ID) is not kept

    content, _text = follow_export(client, response)
    assert sheet_rows(content)[0]["证件号码"] == member.id_number
    follow_export(client, response)
    assert exports_logged().count() == 1  # one export …
    downloads = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT_DOWNLOADED)
    assert downloads.count() == 2  # … downloaded twice
    assert downloads.first().object_repr == "会员名单（1人）"


def test_only_the_account_that_asked_sees_the_job_or_its_file(
    client, tree, county_admin, make_user, make_member
):
    make_member(tree["school"])
    client.force_login(county_admin)
    job_url = client.post(reverse("members:export")).url
    job = ExportJob.objects.get()

    client.force_login(make_user(tree["county"], User.Role.ADMIN))  # same union, another account
    for name in ("members:export_job", "members:export_status", "members:export_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.get(job_url).status_code == 404


def test_csv_is_utf8_with_bom_ids_stay_text_and_no_cell_is_a_formula(
    client, tree, county_admin, make_member
):
    member = make_member(tree["school"], name="王五", extra={"备注": "=1+1", "工号": "-2"})
    client.force_login(county_admin)

    content, _text = follow_export(
        client, client.post(reverse("members:export"), {"format": "csv"})
    )

    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert member.id_number in text and member.mobile in text
    assert "'=1+1" in text and "'-2" in text
    assert ExportJob.objects.get().filename.endswith(".csv")


def test_a_second_export_while_one_runs_is_refused_in_chinese(
    client, tree, county_admin, make_member
):
    make_member(tree["school"])
    running = ExportJob.objects.create(
        user=county_admin, state=ExportJob.State.RUNNING, heartbeat_at=timezone.now()
    )
    client.force_login(county_admin)

    response = client.post(reverse("members:export"), follow=True)

    assert "您已有一个导出正在进行" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("members:export_job", args=[running.pk])
    assert ExportJob.objects.count() == 1 and not exports_logged().exists()
    page = client.get(reverse("members:list")).content.decode()
    assert "查看正在进行的导出" in page


def test_a_silent_job_is_failed_by_the_sweep_and_blocks_nobody(
    client, tree, county_admin, make_member, make_user, settings
):
    make_member(tree["school"])
    long_ago = timezone.now() - datetime.timedelta(minutes=settings.MEMBER_EXPORT_STALL_MINUTES + 1)
    stalled = ExportJob.objects.create(
        user=county_admin, state=ExportJob.State.RUNNING, heartbeat_at=long_ago
    )
    queued = ExportJob.objects.create(
        user=make_user(tree["county"], User.Role.VIEWER),
        created_at=long_ago,
    )

    assert export_jobs.sweep() == (2, 0)

    for job in (stalled, queued):
        job.refresh_from_db()
        assert job.state == ExportJob.State.FAILED and "请重新导出" in job.message
    client.force_login(county_admin)
    content, _text = follow_export(client, client.post(reverse("members:export")))
    assert content is not None


def test_a_stalled_job_does_not_block_the_next_export(client, tree, county_admin, make_member):
    make_member(tree["school"])
    ExportJob.objects.create(
        user=county_admin,
        state=ExportJob.State.RUNNING,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1),
    )
    client.force_login(county_admin)
    content, _text = follow_export(client, client.post(reverse("members:export")))
    assert content is not None
    assert ExportJob.objects.filter(state=ExportJob.State.FAILED).count() == 1


def test_an_export_of_a_union_with_no_members_says_so_and_makes_no_job(client, tree, county_admin):
    client.force_login(county_admin)
    response = client.post(
        reverse("imports:export"),
        {"union": tree["school"].pk, "scope": "subtree", "status": "", "q": "", "format": "xlsx"},
        follow=True,
    )
    assert "当前条件下没有会员，未生成导出文件" in response.content.decode()
    assert not ExportJob.objects.exists() and not exports_logged().exists()


def test_an_empty_result_the_tallies_cannot_foresee_fails_the_job_with_a_message(
    client, tree, county_admin, make_member
):
    make_member(tree["school"], name="李小红")
    client.force_login(county_admin)
    response = client.post(
        reverse("imports:export"),
        {
            "union": tree["school"].pk,
            "scope": "subtree",
            "status": "",
            "q": "没有这人",
            "format": "xlsx",
        },
    )
    content, text = follow_export(client, response)
    assert content is None and "当前条件下没有会员" in text
    assert ExportJob.objects.get().state == ExportJob.State.FAILED
    assert not exports_logged().exists()


def test_an_expired_file_is_deleted_and_the_link_says_so(client, tree, county_admin, make_member):
    make_member(tree["school"])
    client.force_login(county_admin)
    client.post(reverse("members:export"))
    job = ExportJob.objects.get()
    storage, name = job.file.storage, job.file.name
    ExportJob.objects.filter(pk=job.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = client.get(reverse("members:export_download", args=[job.pk]), follow=True)

    assert "导出文件已过保存期限" in response.content.decode()
    job.refresh_from_db()
    assert job.state == ExportJob.State.EXPIRED and not storage.exists(name)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT_DOWNLOADED).exists()


def test_the_command_still_writes_synchronously(tree, make_member, tmp_path):
    from django.core.management import call_command

    make_member(tree["school"])
    out = tmp_path / "会员.xlsx"
    stdout = io.StringIO()
    call_command("export_members", "--union", "桃源县总工会", "--out", str(out), stdout=stdout)
    assert "已导出 1 名会员" in stdout.getvalue() and out.exists()
    assert not ExportJob.objects.exists()
