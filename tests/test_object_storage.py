"""Web and worker on several machines (issue 12, item 6): uploads, error reports and
export files go through Django's storage only. With a storage that has no local path
(object storage, here Django's in-memory one), an upload is analysed, previewed,
confirmed and written, its error report downloaded, and a member export stored and
downloaded — nothing assumes a directory shared by web and worker."""

import io

import pytest
from django.core.files.storage import InMemoryStorage, default_storage
from django.urls import reverse
from openpyxl import load_workbook

from imports.models import ImportJob
from members.models import ExportJob, Member
from tests.exporting import follow_export
from tests.imports.sheets import mobile, person_id
from tests.imports.test_upload_flow import (
    _run_queued_tasks,
    collector,
    good_row,
    latest_job,
    roster,
    upload,
)

pytestmark = pytest.mark.django_db
__all__ = ["_run_queued_tasks", "collector"]  # fixtures shared with the upload flow


class ObjectStorage(InMemoryStorage):
    """Like S3 and its kin: files by name, no path on this machine."""

    def path(self, name):
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def _relative_path(self, name):  # the in-memory tree's own use of paths
        return super().path(name).removeprefix(self.location).lstrip("/") or "."


@pytest.fixture(autouse=True)
def object_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.ObjectStorage"},
    }
    with pytest.raises(NotImplementedError):
        default_storage.path("x")  # no file on this machine's disk
    return default_storage


def test_an_upload_in_object_storage_is_previewed_confirmed_and_written(
    client, collector, tree, object_storage
):
    bad_id = person_id(9)[:-1] + ("0" if person_id(9)[-1] != "0" else "1")
    content = roster([good_row(1), good_row(2), [3, "王五", bad_id, "男", mobile(3), "汉族"]])

    upload(client, tree["base"], content)

    job = latest_job()
    assert job.state == ImportJob.State.PREVIEW, job.message
    assert object_storage.exists(job.file.name) and object_storage.exists(job.report.name)
    report = client.get(reverse("imports:report", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.values)
    assert rows[1][2] == bad_id

    client.post(reverse("imports:confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.message
    assert Member.objects.count() == 2


def test_an_export_file_is_kept_in_object_storage(
    client, tree, county_admin, make_member, object_storage
):
    member = make_member(tree["school"], name="李小红")
    client.force_login(county_admin)

    content, _text = follow_export(
        client, client.post(reverse("members:export"), {"format": "csv"})
    )

    job = ExportJob.objects.get()
    assert object_storage.exists(job.file.name)
    assert member.id_number in content.decode("utf-8-sig")
