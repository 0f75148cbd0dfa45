"""The progress page's exports run as background jobs (issue 12, item 3): 进度通报 and
会员人数统计表 on the member export's jobs (progress page, audited download kept for a
limited time, one unfinished job per account, the stall sweep), and the union's own
member list exported from its progress page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from members import export_jobs
from members.models import ExportJob
from tests.exporting import follow_export, sheet_cells
from unions.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_progress_report_is_a_job_with_a_download_link_audited_once_per_download(
    client, tree, county_admin, make_member
):
    make_member(tree["school"])
    client.force_login(county_admin)
    page = client.get(reverse("progress:union", args=[tree["county"].pk])).content.decode()
    assert 'data-testid="download-report"' in page and "导出进度通报" in page

    response = client.post(reverse("progress:report_xlsx", args=[tree["county"].pk]))

    job = ExportJob.objects.get()
    assert response.url == reverse("members:export_job", args=[job.pk])
    content, text = follow_export(client, response)
    assert "已生成进度通报：桃源县总工会" in text and "文件保留到" in text
    assert "返回采集进度" in text
    assert job.filename.startswith("进度通报-桃源县总工会-") and content[:2] == b"PK"
    assert tree["school"].name in sheet_cells(content)
    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert (exported.actor, exported.union, exported.detail["report"]) == (
        county_admin,
        tree["county"],
        "progress",
    )
    download = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT_DOWNLOADED)
    assert download.object_repr == "进度通报：桃源县总工会"


def test_a_report_while_an_export_runs_is_refused_in_chinese(client, tree, county_admin):
    running = ExportJob.objects.create(
        user=county_admin, state=ExportJob.State.RUNNING, heartbeat_at=timezone.now()
    )
    client.force_login(county_admin)

    response = client.post(
        reverse("progress:statistics_xlsx", args=[tree["county"].pk]), follow=True
    )

    assert "您已有一个导出正在进行，请等它完成后再导出。" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("members:export_job", args=[running.pk])
    assert ExportJob.objects.count() == 1


def test_a_stuck_report_job_is_failed_by_the_sweep(county_admin, tree, settings, monkeypatch):
    monkeypatch.setattr(export_jobs, "enqueue", lambda job_id: None)
    job = ExportJob.objects.create(
        user=county_admin,
        union=tree["county"],
        filter={"report": "progress", "union": tree["county"].pk, "params": {}},
        via=export_jobs.REPORT_VIA,
        state=ExportJob.State.RUNNING,
        heartbeat_at=timezone.now()
        - datetime.timedelta(minutes=settings.MEMBER_EXPORT_STALL_MINUTES + 1),
    )

    assert export_jobs.sweep() == (1, 0)

    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and "请重新导出" in job.message


def test_the_union_page_exports_that_union_and_below_only(client, tree, county_admin, make_member):
    inside = make_member(tree["base"], name="王小明")
    outside = make_member(tree["school"], name="李小红")
    client.force_login(county_admin)
    page = client.get(reverse("progress:union", args=[tree["town"].pk])).content.decode()
    assert 'data-testid="export-union-members"' in page

    content, _text = follow_export(
        client, client.post(reverse("members:export"), {"union": tree["town"].pk})
    )

    cells = sheet_cells(content)
    assert inside.name in cells and outside.name not in cells


def test_the_union_page_export_of_a_union_without_members_says_so(
    client, tree, county_admin, make_member
):
    make_member(tree["school"])
    client.force_login(county_admin)

    response = client.post(reverse("members:export"), {"union": tree["town"].pk}, follow=True)

    assert "当前条件下没有会员，未生成导出文件" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("progress:union", args=[tree["town"].pk])
    assert not ExportJob.objects.exists()


def test_the_union_page_export_of_a_union_out_of_scope_is_404(client, tree, county_admin):
    client.force_login(county_admin)
    response = client.post(reverse("members:export"), {"union": tree["sibling"].pk})
    assert response.status_code == 404
    assert not ExportJob.objects.exists()
