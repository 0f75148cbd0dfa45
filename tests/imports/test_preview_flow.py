"""Issue 11, items 7 and 8, through the upload page: the preview shows how the file was
read and what each update changes; an all-invalid file cannot be confirmed; conflicts
do not claim a transfer request before the confirmation."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from imports.models import ImportJob
from members.models import Member, TransferRequest
from tests.imports.sheets import mobile, person_id
from tests.imports.test_upload_flow import _run_queued_tasks, collector, latest_job, upload
from unions.models import User

pytestmark = pytest.mark.django_db
__all__ = ["_run_queued_tasks", "collector"]  # fixtures shared with the upload flow


def book(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merges or {}).get(title, []):
            sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_preview_shows_the_reading_and_skipped_sheets_and_lines(client, collector, tree):
    content = book(
        {
            "花名册": [
                ["会员基本信息", None, None, "学历"],
                ["姓名", "身份证号码", "手机号码", None],
                ["示例", person_id(90), mobile(90), "本科"],
                ["张三", person_id(1), mobile(1), "本科"],
                ["经办人：李四", None, "联系电话：0736-6622447", None],
            ],
            "工会委员会": [["姓名", "职务"], ["王主席", "工会主席"]],
        },
        merges={"花名册": ["A1:C1", "D1:D2"]},
    )

    response = upload(client, tree["base"], content)

    page = response.content.decode()
    assert latest_job().state == ImportJob.State.PREVIEW
    assert "表头在第 1、2 行" in page
    assert "工作表“工会委员会”" in page
    assert "第 3 行：填表示例行" in page
    assert "第 5 行" in page
    assert latest_job().summary["created"] == 1


def test_preview_lists_each_updated_member_old_to_new_masked(client, collector, tree):
    header = ["姓名", "身份证号码", "手机号码", "学历"]
    upload(client, tree["base"], book({"S": [header, ["张三", person_id(1), mobile(1), "本科"]]}))
    client.post(reverse("imports:confirm", args=[latest_job().pk]), follow=True)
    assert Member.objects.get().education == "21"

    response = upload(
        client,
        tree["base"],
        book({"S": [header, ["张三", person_id(1), "13700001111", "大专"]]}),
        name="第二次.xlsx",
    )

    page = response.content.decode()
    assert "将更新的会员" in page
    assert "139****0001" in page and "137****1111" in page
    assert "13700001111" not in page
    assert "大学本科" in page and "大学专科" in page
    filtered = client.get(reverse("imports:job", args=[latest_job().pk]), {"field": "学历"})
    assert "137****1111" not in filtered.content.decode()


def test_an_all_invalid_file_is_red_and_cannot_be_confirmed(client, collector, tree):
    header = ["姓名", "身份证号码", "手机号码"]
    bad = person_id(1)[:-1] + ("0" if person_id(1)[-1] != "0" else "1")
    content = book({"S": [header, ["张三", bad, mobile(1)], ["李四", "123", mobile(2)]]})

    response = upload(client, tree["base"], content)

    page = response.content.decode()
    job = latest_job()
    assert 'data-testid="all-invalid"' in page
    assert "确认导入" not in page
    assert "完全一致" not in page
    client.post(reverse("imports:confirm", args=[job.pk]), follow=True)
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEW


def test_conflicts_promise_a_transfer_only_after_confirmation(client, collector, tree, make_member):
    elsewhere = make_member(tree["school"], name="张三")
    content = book(
        {
            "S": [
                ["姓名", "身份证号码", "手机号码"],
                ["张三", elsewhere.id_number, mobile(1)],
                ["李四", person_id(2), mobile(2)],
            ]
        }
    )

    response = upload(client, tree["base"], content)

    page = response.content.decode()
    assert "确认导入后将向该工会发出转会申请" in page
    assert "已生成转会申请" not in page
    assert not TransferRequest.objects.exists()
    done = client.post(reverse("imports:confirm", args=[latest_job().pk]), follow=True)
    assert "已生成转会申请" in done.content.decode()
    assert TransferRequest.objects.count() == 1


def test_reader_sees_masked_changes(client, collector, tree, make_user):
    viewer = make_user(tree["base"], User.Role.VIEWER, username="viewer")
    header = ["姓名", "身份证号码", "手机号码", "籍贯"]
    upload(client, tree["base"], book({"S": [header, ["张三", person_id(1), mobile(1), "湖南"]]}))
    client.post(reverse("imports:confirm", args=[latest_job().pk]), follow=True)
    upload(
        client,
        tree["base"],
        book({"S": [header, ["张三", person_id(1), mobile(1), "湖北"]]}),
        name="b.xlsx",
    )
    client.force_login(viewer)

    page = client.get(reverse("imports:job", args=[latest_job().pk])).content.decode()

    assert "湖南" in page and "湖北" in page


def csv_bytes(rows: list[list]) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode()


def test_stale_rows_keep_the_registry_unless_the_user_chooses(client, collector, tree):
    from django.utils import timezone

    header = ["姓名", "身份证号码", "手机号码"]
    upload(client, tree["base"], csv_bytes([header, ["张三", person_id(1), mobile(1)]]), "a.csv")
    client.post(reverse("imports:confirm", args=[latest_job().pk]), follow=True)
    # Edited in the registry after that upload (a CSV has no time of its own: the union's
    # previous upload stands for when the file was made).
    later = timezone.now() + datetime.timedelta(seconds=5)
    Member.objects.update(mobile="13600002222", updated_at=later)

    response = upload(
        client, tree["base"], csv_bytes([header, ["张三", person_id(1), mobile(1)]]), "b.csv"
    )

    page = response.content.decode()
    assert 'data-testid="newer"' in page and "保留登记库中的值" in page
    assert 'data-testid="overwrite-newer"' in page
    assert "完全一致" not in page
    job = latest_job()
    assert (job.summary["updated"], job.summary["kept_newer"]) == (0, 1)
    client.post(reverse("imports:confirm", args=[job.pk]), {"overwrite_newer": "1"}, follow=True)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert Member.objects.get().mobile == mobile(1)
