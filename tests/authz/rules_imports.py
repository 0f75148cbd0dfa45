"""Rules for collection in the browser (issue 5, under /collect/): every role sees the jobs
of its subtree; 管理员 and 采集员 upload, act on jobs and download files holding full IDs;
a job of a union outside the subtree answers 404."""

import io

import openpyxl
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob, ReconcileEntry
from members.models import Member
from tests.authz import ADMINS, ALL_ROLES, EDITORS, Rule
from tests.exporting import follow_export
from unions.models import AuditEntry, Union

UPLOAD_NAME = "矩阵上传.xlsx"


def sheet_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["姓名", "证件号码"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def job_in(union, state=ImportJob.State.PREVIEW, *, with_files=False) -> ImportJob:
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.MEMBERS,
        union=union,
        original_filename="矩阵任务.xlsx",
        sha256="0" * 64,
        state=state,
    )
    if with_files:
        job.file.save("upload.xlsx", ContentFile(sheet_bytes()), save=False)
        job.report.save("report.xlsx", ContentFile(sheet_bytes()), save=False)
        job.save()
    return job


def job_at(world, union):
    return {"pk": job_in(union).pk}


def failed_job_at(world, union):
    return {"pk": job_in(union, ImportJob.State.FAILED, with_files=True).pk}


def job_with_files_at(world, union):
    return {"pk": job_in(union, ImportJob.State.DONE, with_files=True).pk}


def filter_by(world, union):
    return {"union": union.pk}


def for_accounts(check):
    """An `after` check that means something only once a union account is signed in."""

    def after(world, union, response):
        if response.wsgi_request.user.is_authenticated:
            check(world, union, response)

    return after


def state_moved_inside_only(done_state, before):
    @for_accounts
    def check(world, union, response):
        job = ImportJob.objects.get(union=union)
        assert job.state == (done_state if response.status_code == 302 else before)

    return check


@for_accounts
def download_audited_inside_only(world, union, response):
    logged = AuditEntry.objects.filter(
        action=AuditEntry.Action.FILE_DOWNLOADED, union=union
    ).exists()
    assert logged == (response.status_code == 200)


def upload_into(world, union):
    return {
        "union": union.pk,
        "kind": ImportJob.Kind.MEMBERS,
        "file": SimpleUploadedFile(UPLOAD_NAME, sheet_bytes()),
    }


@for_accounts
def job_created_inside_only(world, union, response):
    created = ImportJob.objects.filter(original_filename=UPLOAD_NAME).first()
    if response.status_code == 302:
        assert created is not None and created.union_id == union.pk
    else:
        assert created is None


def export_of(world, union):
    world.make_member(union, name="矩阵导出会员")
    return {"union": union.pk, "scope": "subtree", "status": "", "q": "", "format": "xlsx"}


@for_accounts
def export_inside_only(world, union, response):
    """Inside: a background export starts (302 to its job page) and its file holds the
    union's member (查看: ID and phone masked); outside: the form comes back."""
    county = Union.objects.get(pk=world.tree["county"].pk)
    inside = union.is_descendant_of(county, include_self=True)
    assert (response.status_code == 302) == inside
    if inside:
        content, _text = follow_export(response.client, response)
        sheet_cells = set()
        book = openpyxl.load_workbook(io.BytesIO(content))
        for sheet in book.worksheets:
            sheet_cells |= {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
        assert "矩阵导出会员" in sheet_cells
        assert not sheet_cells & set(world.forbidden_text)
        member = Member.objects.get(name="矩阵导出会员")
        if response.wsgi_request.user.role == "viewer":
            assert member.id_number not in sheet_cells and member.masked_id in sheet_cells
        else:
            assert member.id_number in sheet_cells


def reconcile_job_at(world, union):
    """A finished list comparison of the union, with one member registered there but
    not on the list."""
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.RECONCILE,
        union=union,
        original_filename="矩阵名单.xlsx",
        sha256="0" * 64,
        state=ImportJob.State.PREVIEW,
        summary={"registered_not_on_list": 1},
    )
    member = world.make_member(union, name="矩阵比对会员")
    ReconcileEntry.objects.create(
        job=job,
        group=ReconcileEntry.Group.ABSENT,
        name=member.name,
        id_type=member.id_type,
        id_number=member.id_number,
        member=member,
    )
    return {"pk": job.pk}


def event_for_the_entry(world, union):
    entry = ReconcileEntry.objects.filter(job__union=union).latest("pk")
    return {"action": "event", "entry": [entry.pk], "kind": "leave", "on": "2026-01-01"}


@for_accounts
def event_recorded_inside_only(world, union, response):
    member = Member.objects.filter(union=union, name="矩阵比对会员").latest("pk")
    assert (member.status == Member.Status.LEFT) == (response.status_code == 302)


def reconcile_upload_into(world, union):
    return {"union": union.pk, "file": SimpleUploadedFile("矩阵名单.xlsx", sheet_bytes())}


@for_accounts
def reconcile_created_inside_only(world, union, response):
    created = ImportJob.objects.filter(original_filename="矩阵名单.xlsx").first()
    if response.status_code == 302:
        assert created is not None and created.union_id == union.pk
    else:
        assert created is None


def union_export_audited_inside_only(world, union, response):
    logged = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, union=union).exists()
    assert logged == (response.status_code == 200)
    if response.status_code == 200:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert union.name in names and not names & set(world.forbidden_text)


RULES = {
    # 工会组织信息 of the union's subtree, as the organisation sheet reads it: admins.
    "imports:export_unions": Rule(
        roles=ADMINS, query=filter_by, after=union_export_audited_inside_only
    ),
    # History: ?union outside the subtree answers 404.
    "imports:index": Rule(roles=ALL_ROLES, query=filter_by),
    "imports:templates": Rule(roles=ALL_ROLES, query=filter_by),
    # A template filled in with the union's name and code; any role may fetch it.
    "imports:template_download": Rule(
        roles=ALL_ROLES, target=lambda world, union: {"kind": "members"}, query=filter_by
    ),
    # A member sheet into the union at the position: queued (302) inside; outside, the
    # form comes back ("选择一个有效的选项") and no job is created.
    "imports:upload": Rule(
        roles=EDITORS,
        method="POST",
        data=upload_into,
        ok=302,
        outside=200,
        after=job_created_inside_only,
    ),
    "imports:job": Rule(roles=ALL_ROLES, target=job_at),
    "imports:job_status": Rule(roles=ALL_ROLES, target=job_at),
    "imports:confirm": Rule(
        roles=EDITORS,
        method="POST",
        target=job_at,
        ok=302,
        after=state_moved_inside_only(ImportJob.State.CONFIRMED, ImportJob.State.PREVIEW),
    ),
    "imports:cancel": Rule(
        roles=EDITORS,
        method="POST",
        target=job_at,
        ok=302,
        after=state_moved_inside_only(ImportJob.State.CANCELLED, ImportJob.State.PREVIEW),
    ),
    "imports:retry": Rule(
        roles=EDITORS,
        method="POST",
        target=failed_job_at,
        ok=302,
        after=state_moved_inside_only(ImportJob.State.QUEUED, ImportJob.State.FAILED),
    ),
    "imports:report": Rule(
        roles=EDITORS, target=job_with_files_at, after=download_audited_inside_only
    ),
    "imports:original": Rule(
        roles=EDITORS, target=job_with_files_at, after=download_audited_inside_only
    ),
    # Every role exports (one rule for every export door): 查看 gets IDs and phones masked.
    "imports:export": Rule(
        roles=ALL_ROLES,
        method="POST",
        data=export_of,
        ok=302,  # to the export's job page
        outside=200,  # the form comes back: "选择一个有效的选项"
        after=export_inside_only,
    ),
    # 名单比对: editors upload a list for a union of their subtree (outside: the form
    # comes back, nothing is created); every role reads a result of the subtree (masked
    # on the page; the workbook masked for 查看); only editors confirm actions.
    "imports:reconcile": Rule(
        roles=EDITORS,
        method="POST",
        data=reconcile_upload_into,
        ok=302,
        outside=200,
        after=reconcile_created_inside_only,
    ),
    "imports:reconcile_job": Rule(roles=ALL_ROLES, target=reconcile_job_at),
    "imports:reconcile_workbook": Rule(roles=ALL_ROLES, target=reconcile_job_at),
    "imports:reconcile_act": Rule(
        roles=EDITORS,
        method="POST",
        target=reconcile_job_at,
        data=event_for_the_entry,
        ok=302,
        after=event_recorded_inside_only,
    ),
}
