"""The browser collection flow through the test client: upload → job → preview →
confirm, with the real engine and the real task run eagerly."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from imports.models import ImportJob
from members.models import Member, MemberChange
from tests.imports.sheets import mobile, person_id
from unions.models import AuditEntry, User

pytestmark = pytest.mark.django_db

HEADER = ["序号", "姓名", "证件号码", "性别", "手机号码", "民族"]


def roster(rows: list[list], title="会员信息") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(["会员信息采集表"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_row(n: int) -> list:
    return [n, f"会员{'甲乙丙丁戊己庚辛壬癸'[n % 10]}", person_id(n), "男", mobile(n), "汉族"]


@pytest.fixture(autouse=True)
def _run_queued_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """The test's transaction never commits, so run on_commit callbacks (the queued
    tasks) as each request finishes, as they would in production."""
    from django.test import Client

    original = Client.request

    def request(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


def upload(client, union, content: bytes, name="花名册.xlsx", kind="members"):
    return client.post(
        reverse("imports:upload"),
        {"union": union.pk, "kind": kind, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def latest_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


@pytest.fixture
def collector(tree, make_user, client, media_root, celery_eager):
    user = make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    client.force_login(user)
    return user


def test_collector_uploads_a_sheet_with_problems_sees_preview_and_confirms(client, collector, tree):
    bad_id = person_id(9)[:-1] + ("0" if person_id(9)[-1] != "0" else "1")
    content = roster([good_row(1), good_row(2), [3, "王五", bad_id, "男", mobile(3), "汉族"]])

    response = upload(client, tree["base"], content)

    job = latest_job()
    assert response.redirect_chain[-1][0] == reverse("imports:job", args=[job.pk])
    assert job.state == ImportJob.State.PREVIEW
    assert job.uploader == collector and job.union == tree["base"]
    assert (job.count("created"), job.count("invalid")) == (2, 1)
    assert Member.objects.count() == 0, "nothing is written before confirmation"
    page = response.content.decode()
    assert "确认导入" in page and "下载错误报告" in page
    problem = job.problems.get()
    assert (problem.row, problem.column, problem.code) == (5, "证件号码", "id_checksum")
    assert problem.message in page

    report = client.get(reverse("imports:report", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明" and rows[1][2] == bad_id
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FILE_DOWNLOADED).count() == 1

    response = client.post(reverse("imports:confirm", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.count("created") == 2
    assert set(Member.objects.values_list("union", flat=True)) == {tree["base"].pk}
    assert Member.objects.count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT_COMMITTED).count() == 1
    assert "已写入登记库" in response.content.decode()


def test_same_file_again_is_recognised_and_changes_nothing(client, collector, tree):
    content = roster([good_row(1), good_row(2)])
    upload(client, tree["base"], content)
    first = latest_job()
    client.post(reverse("imports:confirm", args=[first.pk]))

    response = upload(client, tree["base"], content, name="花名册（再次）.xlsx")

    second = latest_job()
    assert second.pk != first.pk and second.sha256 == first.sha256
    page = response.content.decode()
    assert f"第 {first.pk} 号任务" in page
    assert reverse("imports:job", args=[first.pk]) in page
    assert (second.count("created"), second.count("updated"), second.count("unchanged")) == (
        0,
        0,
        2,
    )
    assert "没有需要写入的变化" in page
    client.post(reverse("imports:confirm", args=[second.pk]))
    second.refresh_from_db()
    assert second.state == ImportJob.State.DONE
    assert Member.objects.count() == 2
    assert not MemberChange.objects.exists()


def test_a_changed_row_updates_the_member_with_history(client, collector, tree):
    upload(client, tree["base"], roster([good_row(1)]))
    client.post(reverse("imports:confirm", args=[latest_job().pk]))
    changed = good_row(1)
    changed[4] = mobile(77)

    upload(client, tree["base"], roster([changed]))
    job = latest_job()
    assert job.count("updated") == 1
    client.post(reverse("imports:confirm", args=[job.pk]))

    member = Member.objects.get()
    assert member.mobile == mobile(77)
    assert member.changes.get().source_ref == f"job:{job.pk}"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名单.docx", b"PK\x03\x04 not a sheet", "不是可导入的表格"),
        ("空表.xlsx", b"", "文件是空的"),
    ],
)
def test_upload_refuses_files_it_cannot_take(client, collector, tree, name, content, message):
    response = upload(client, tree["base"], content, name=name)
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_refuses_files_over_the_size_limit(client, collector, tree, settings):
    settings.MAX_UPLOAD_MB = 1
    response = upload(client, tree["base"], b"x" * (1024 * 1024 + 1), name="大表.csv")
    assert "超过了 1 MB 的上限" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_page_shows_limits_and_defaults_to_the_sheet_then_own_union(client, collector, tree):
    page = client.get(reverse("imports:upload")).content.decode()
    assert "不超过 20 MB" in page and ".xlsx" in page
    assert 'name="union" id="id_union" value=""' in page
    assert "不填时按表格中的“工会名称：”行确定（表中未写明的导入到" + tree["base"].name in page
    assert tree["town"].name not in page, "no list of unions on the page"


def test_a_file_the_engine_rejects_fails_the_job_with_its_message(client, collector, tree):
    upload(client, tree["base"], "姓名,年龄\n".encode(), name="只有表头.csv")
    job = latest_job()
    assert job.state == ImportJob.State.FAILED
    assert job.error_message
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert job.error_message in page
    # The same bytes would fail the same way: no 重新处理, only a corrected upload.
    assert job.file_rejected
    assert reverse("imports:retry", args=[job.pk]) not in page
    assert 'data-testid="upload-again"' in page
    client.post(reverse("imports:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED


def test_viewer_cannot_upload(client, tree, make_user, media_root):
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    assert client.get(reverse("imports:upload")).status_code == 403


def test_collector_cannot_upload_for_a_sibling_union(client, collector, tree):
    response = upload(client, tree["sibling_base"], roster([good_row(1)]))
    assert "所选工会不在可选范围内" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_collector_cannot_upload_union_sheets(client, collector, tree):
    response = upload(client, tree["base"], roster([good_row(1)]), kind="unions")
    assert not ImportJob.objects.exists()
    assert response.status_code == 200


def test_problems_are_paged_and_filtered_by_code(client, collector, tree):
    rows = [[n, "张三", f"1234{n}", "男", mobile(n), "汉族"] for n in range(1, 61)]
    rows += [[99, "李四", person_id(99), "男", "12345", "汉族"]]
    upload(client, tree["base"], roster(rows))
    job = latest_job()
    url = reverse("imports:job", args=[job.pk])

    first = client.get(url).content.decode()
    assert "第 1 / 2 页" in first

    phones = client.get(url, {"code": "phone_format"}).content.decode()
    assert "12345</code>" in phones
    assert "12341</code>" not in phones
    assert "第 1 / 2 页" not in phones


def test_an_unknown_problem_code_shows_every_problem_with_a_note(client, collector, tree):
    upload(client, tree["base"], roster([[1, "李四", person_id(1), "男", "12345", "汉族"]]))
    url = reverse("imports:job", args=[latest_job().pk])
    for junk in ("\x00", "no_such_code", "x" * 5000):
        response = client.get(url, {"code": junk})
        assert response.status_code == 200
        page = response.content.decode()
        assert "这个任务没有这类问题，下面列出全部问题。" in page
        assert "12345</code>" in page


def test_cancelled_job_cannot_be_confirmed_and_writes_nothing(client, collector, tree):
    upload(client, tree["base"], roster([good_row(1)]))
    job = latest_job()
    client.post(reverse("imports:cancel", args=[job.pk]))
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.CANCELLED
    assert not Member.objects.exists()


def test_status_endpoint_reports_state_and_rows(client, collector, tree):
    upload(client, tree["base"], roster([good_row(1), good_row(2)]))
    job = latest_job()
    data = client.get(reverse("imports:job_status", args=[job.pk])).json()
    assert data["state"] == "preview" and data["state_label"] == "待确认"
    assert data["percent"] == 100 and data["running"] is False


def test_jobs_outside_the_subtree_answer_404(client, tree, make_user, media_root, celery_eager):
    owner = make_user(tree["sibling_base"], User.Role.COLLECTOR)
    client.force_login(owner)
    upload(client, tree["sibling_base"], roster([good_row(1)]))
    job = latest_job()
    client.force_login(make_user(tree["county"], User.Role.ADMIN))
    for name in ("job", "job_status", "report", "original"):
        assert client.get(reverse(f"imports:{name}", args=[job.pk])).status_code == 404
    for name in ("confirm", "cancel", "retry"):
        assert client.post(reverse(f"imports:{name}", args=[job.pk])).status_code == 404
    assert job.original_filename not in client.get(reverse("imports:index")).content.decode()


def test_history_lists_subtree_jobs_for_a_viewer_but_files_stay_with_editors(
    client, collector, tree, make_user
):
    upload(client, tree["base"], roster([good_row(1)]), name="一车间.xlsx")
    job = latest_job()
    viewer = make_user(tree["county"], User.Role.VIEWER)
    client.force_login(viewer)

    history = client.get(reverse("imports:index")).content.decode()
    assert "一车间.xlsx" in history
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 200
    assert client.get(reverse("imports:original", args=[job.pk])).status_code == 403

    admin = make_user(tree["county"], User.Role.ADMIN)
    client.force_login(admin)
    response = client.get(reverse("imports:original", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"PK")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FILE_DOWNLOADED)
    assert entry.actor == admin and entry.union == tree["base"]


def test_old_uploads_are_purged_but_history_stays(client, collector, tree, settings):
    from imports.services import purge_old_uploads

    settings.IMPORT_FILE_RETENTION_DAYS = 30
    upload(client, tree["base"], roster([good_row(1), [2, "李四", "123", "男", mobile(2), ""]]))
    old = latest_job()
    upload(client, tree["base"], roster([good_row(3)]))
    recent = latest_job()
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    old_path = old.file.path

    assert purge_old_uploads() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.file_purged_at is not None and not old.file and not old.report
    assert not __import__("os").path.exists(old_path)
    assert recent.has_file
    assert client.get(reverse("imports:original", args=[old.pk])).status_code == 404
    assert old.original_filename in client.get(reverse("imports:index")).content.decode()


def test_history_filters_by_union_and_its_queries_do_not_grow_with_jobs(
    client, tree, make_user, media_root, django_assert_max_num_queries
):
    uploader = make_user(tree["base"], User.Role.COLLECTOR)
    for n, union in enumerate([tree["base"], tree["base"], tree["school"], tree["group"]] * 5):
        ImportJob.objects.create(
            kind=ImportJob.Kind.MEMBERS,
            union=union,
            uploader=uploader,
            original_filename=f"第{n}批-{union.name}.xlsx",
            sha256=f"{n:064d}",
            state=ImportJob.State.DONE,
            summary={"rows": 3, "created": 3},
        )
    client.force_login(make_user(tree["county"], User.Role.VIEWER))

    with django_assert_max_num_queries(12):
        page = client.get(reverse("imports:index")).content.decode()
    assert page.count("<tr>") == 1 + 20

    filtered = client.get(reverse("imports:index"), {"union": tree["base"].pk}).content.decode()
    assert "桃源一中工会.xlsx" not in filtered
    assert "一车间工会小组.xlsx" in filtered, "the union's subtree is included"
    assert client.get(reverse("imports:index"), {"union": tree["sibling"].pk}).status_code == 404


def test_a_viewer_sees_problem_values_masked(client, collector, tree, make_user):
    near_id = person_id(5)[:-1] + ("0" if person_id(5)[-1] != "0" else "1")
    upload(client, tree["base"], roster([[1, "王五", near_id, "男", "1380013800", "汉族"]]))
    job = latest_job()
    assert near_id in client.get(reverse("imports:job", args=[job.pk])).content.decode()

    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert near_id not in page and near_id[:6] + "********" + near_id[-4:] in page
    assert "1380013800" not in page and "138***3800" in page


@pytest.mark.parametrize("name", ["imports:confirm", "imports:cancel", "imports:retry"])
def test_viewer_is_refused_job_actions_before_the_job_is_looked_up(client, tree, make_user, name):
    """查看 gets 403 whether the job is its own county's, a sibling's or none at all."""
    jobs = [
        ImportJob.objects.create(
            kind=ImportJob.Kind.MEMBERS,
            union=union,
            original_filename="a.xlsx",
            sha256="0" * 64,
            state=ImportJob.State.PREVIEW,
        )
        for union in (tree["county"], tree["sibling_base"])
    ]
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    for pk in (*(job.pk for job in jobs), jobs[-1].pk + 1000):
        assert client.post(reverse(name, args=[pk])).status_code == 403
    assert set(ImportJob.objects.values_list("state", flat=True)) == {ImportJob.State.PREVIEW}
