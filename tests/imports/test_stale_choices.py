"""Issue 11, item 7: rows marked 登记库中的信息更新 keep the stored record unless the
user takes the file's value, per row or for all, and the choice reaches the commit."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from imports.engine import analyse_members, commit_members
from imports.models import ImportJob
from members.models import Member
from tests.imports.sheets import csv_file
from tests.imports.test_upload_flow import _run_queued_tasks, collector, latest_job, upload

pytestmark = pytest.mark.django_db
__all__ = ["_run_queued_tasks", "collector"]

HEADER = ["姓名", "身份证号码", "手机号码"]


@pytest.fixture
def edited(tree, make_member):
    """Two members edited in the registry an hour after the roster was made."""
    zhang = make_member(tree["base"], name="张伟", mobile="13600000001")
    li = make_member(tree["base"], name="李娜", mobile="13600000002")
    return zhang, li


def older_roster(path, zhang, li):
    return csv_file(
        path,
        [
            HEADER,
            [zhang.name, zhang.id_number, "13911110001"],
            [li.name, li.id_number, "13911110002"],
        ],
    )


def test_each_stale_row_keeps_the_registry_unless_taken_from_the_file(tmp_path, tree, edited):
    zhang, li = edited
    path = older_roster(tmp_path / "花名册.csv", zhang, li)
    made = timezone.now() - datetime.timedelta(hours=1)

    preview = analyse_members(path, union=tree["base"], made_at=made)
    plan = analyse_members(path, union=tree["base"], made_at=made, take_file_rows=[("花名册", 3)])

    assert (preview.summary.updated, preview.summary.kept_newer) == (0, 2)
    assert [(c["row"], c["newer"], c["kept"]) for c in preview.summary.changes] == [
        (2, True, True),
        (3, True, True),
    ]
    assert (plan.summary.updated, plan.summary.kept_newer) == (1, 1)
    assert [c["kept"] for c in plan.summary.changes] == [True, False]
    commit_members(plan, by=None)
    zhang.refresh_from_db()
    li.refresh_from_db()
    assert (zhang.mobile, li.mobile) == ("13600000001", "13911110002")


def _stale_preview(client, tmp_path, tree, zhang, li) -> ImportJob:
    # A CSV has no time of its own: the union's previous upload stands for it.
    ImportJob.objects.create(
        kind="members",
        union=tree["base"],
        original_filename="earlier.csv",
        sha256="0" * 64,
        state=ImportJob.State.DONE,
        finished_at=timezone.now() - datetime.timedelta(hours=1),
        created_at=timezone.now() - datetime.timedelta(hours=1),
    )
    path = older_roster(tmp_path / "花名册.csv", zhang, li)
    response = upload(client, tree["base"], path.read_bytes(), name="花名册.csv")
    job = latest_job()
    assert job.state == ImportJob.State.PREVIEW, job.error_message
    return job, response.content.decode()


def test_the_preview_offers_a_choice_per_row_and_the_commit_follows_it(
    client, collector, tmp_path, tree, edited
):
    zhang, li = edited
    job, page = _stale_preview(client, tmp_path, tree, zhang, li)

    assert page.count('value="file"') == 2 and 'data-testid="newer-choice-3"' in page
    client.post(reverse("imports:confirm", args=[job.pk]), {"newer-1": "file"}, follow=True)

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert (job.summary["updated"], job.summary["kept_newer"]) == (1, 1)
    assert dict(Member.objects.values_list("name", "mobile")) == {
        "张伟": "13600000001",
        "李娜": "13911110002",
    }


def test_all_rows_can_take_the_file(client, collector, tmp_path, tree, edited):
    zhang, li = edited
    job, _page = _stale_preview(client, tmp_path, tree, zhang, li)

    client.post(reverse("imports:confirm", args=[job.pk]), {"overwrite_newer": "1"}, follow=True)

    assert set(Member.objects.values_list("mobile", flat=True)) == {"13911110001", "13911110002"}
