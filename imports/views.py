"""Collection in the browser: templates, upload, progress, preview, confirm, history, export.

Views are thin: the access vocabulary (unions.access) → form → service. Each request path
asks `can_import` once (the runner asks again when the job runs). Jobs of unions outside
the user's subtree answer 404.
"""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from imports import problem_codes, selectors, services, union_export, xlsx_templates
from imports.engine import limits
from imports.forms import ExportForm, UploadForm
from imports.models import ImportJob
from members import exports
from members.export_views import start_export
from members.selectors import MemberFilter
from registry.paging import paginate
from registry.validators import mask_id, mask_phone
from unions import access, audit
from unions.models import AuditEntry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _require_import_rights(request):
    """The role first (403), before any object is looked up."""
    if not access.can_import(request.user):
        raise PermissionDenied(_("只有管理员和采集员可以上传表格。"))


def _require_personal_data_rights(request):
    if not access.can_see_personal_data(request.user):
        raise PermissionDenied(_("文件中含有完整的证件号码，只有管理员和采集员可以下载。"))


def _job(request, pk: int) -> ImportJob:
    return access.get_in_scope(selectors.jobs_for(request.user), pk=pk)


@login_required
def index(request):
    """History of the unions in scope, running jobs first."""
    jobs = selectors.jobs_for(request.user)
    union = None
    if request.GET.get("union"):
        union = access.get_in_scope(access.unions_for(request.user), pk=request.GET["union"])
        jobs = jobs.filter(access.subtree_q(union, "union"))
    running = list(jobs.filter(state__in=ImportJob.RUNNING))
    page, pager = paginate(
        request, jobs.exclude(state__in=ImportJob.RUNNING), unit=_("个任务"), default=20
    )
    return render(
        request,
        "imports/index.html",
        {
            "running": running,
            "page": page,
            "pager": pager,
            "union": union,
            "unions": access.unions_for(request.user).filter(is_active=True).order_by("lft")[:500],
        },
    )


@login_required
def templates(request):
    union = request.user.union
    if request.GET.get("union"):
        union = access.get_in_scope(access.unions_for(request.user), pk=request.GET["union"])
    return render(
        request,
        "imports/templates.html",
        {
            "union": union,
            "unions": access.unions_for(request.user).filter(is_active=True).order_by("lft")[:500],
            "templates": xlsx_templates.TEMPLATES,
        },
    )


@login_required
def template_download(request, kind: str):
    if kind not in xlsx_templates.TEMPLATES:
        raise Http404
    union_pk = request.GET.get("union") or request.user.union_id
    union = access.get_in_scope(access.unions_for(request.user), pk=union_pk)
    title, build = xlsx_templates.TEMPLATES[kind]
    response = HttpResponse(build(union), content_type=XLSX)
    return _attachment(response, f"{title}（{union.name}）.xlsx")


@login_required
def upload(request):
    _require_import_rights(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        # Left open: the sheet's 工会名称：line decides, else the uploader's own union.
        union = form.cleaned_data.get("union") or access.user_root(request.user)
        if not access.can_import(request.user, union, form.cleaned_data["kind"]):
            form.add_error("kind", _("您的角色不能导入这类表格。"))
            return _upload_page(request, form)
        job = services.create_job(
            uploader=request.user,
            union=union,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            union_from_sheet=not form.cleaned_data.get("union"),
        )
        earlier = selectors.earlier_same_file(job)
        if earlier is not None:
            messages.info(
                request,
                _(
                    "这个文件在 %(when)s 已为“%(union)s”上传过（第 %(pk)d 号任务）。"
                    "系统已重新核对一遍：与登记库一致的行不会重复写入。"
                )
                % {
                    "when": timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M"),
                    "union": job.union.name,
                    "pk": earlier.pk,
                },
            )
        return redirect("imports:job", pk=job.pk)
    return _upload_page(request, form)


def _upload_page(request, form):
    return render(
        request,
        "imports/upload.html",
        {
            "form": form,
            "max_mb": settings.MAX_UPLOAD_MB,
            "max_rows": f"{limits.max_rows():,}",
            "suffixes": "、".join(services.ALLOWED_SUFFIXES),
        },
    )


@login_required
def job_detail(request, pk: int):
    job = _job(request, pk)
    if job.kind == ImportJob.Kind.RECONCILE:
        return redirect("imports:reconcile_job", pk=job.pk)
    problems = job.problems.all()
    codes = [(c, problem_codes.label(c), n) for c, n in selectors.problem_codes(job)]
    code = request.GET.get("code", "")
    if code and code not in {c for c, _label, _n in codes}:
        messages.warning(request, _("这个任务没有这类问题，下面列出全部问题。"))
        code = ""
    if code:
        problems = problems.filter(code=code)
    page = Paginator(problems.order_by("sheet", "row", "id"), 50).get_page(request.GET.get("page"))
    may_download = access.can_see_personal_data(request.user)
    if not may_download:
        for problem in page.object_list:
            problem.value = mask_value(problem.value)
    earlier = selectors.earlier_same_file(job)
    changes, change_fields, change_field = _changes(request, job, masked=not may_download)
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "page": page,
            "code": code,
            "codes": codes,
            "earlier": earlier,
            "may_act": access.can_import(request.user, job.union, job.kind),
            "may_download": may_download,
            "status_url": reverse("imports:job_status", args=[job.pk]),
            "changes": changes,
            "change_fields": change_fields,
            "change_field": change_field,
        },
    )


def _changes(request, job: ImportJob, *, masked: bool) -> tuple[list, list, str]:
    """The updated members of the preview (old → new per field), filtered by one field."""
    changes = [{**m, "index": i} for i, m in enumerate(job.summary.get("changes") or [])]
    fields = sorted({c["label"] for member in changes for c in member["changes"]})
    chosen = request.GET.get("field", "")
    if chosen in fields:
        changes = [
            {**m, "changes": [c for c in m["changes"] if c["label"] == chosen]}
            for m in changes
            if any(c["label"] == chosen for c in m["changes"])
        ]
    else:
        chosen = ""
    if masked:
        changes = [
            {
                **m,
                "changes": [
                    {**c, "old": mask_value(str(c["old"])), "new": mask_value(str(c["new"]))}
                    for c in m["changes"]
                ],
            }
            for m in changes
        ]
    return changes, fields, chosen


def mask_value(value: str) -> str:
    """What a read-only viewer sees of a cell: ID- and phone-like values masked,
    as in the member lists."""
    digits = sum(ch.isdigit() for ch in value)
    if digits >= 11 and len(value) >= 15:
        return mask_id(value)
    if digits >= 7:
        return mask_phone(value)
    return value


def status_json(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "stage": job.stage,
        "stage_label": job.get_stage_display() if job.stage else "",
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "running": job.is_running,
    }


@login_required
def job_status(request, pk: int):
    return JsonResponse(status_json(_job(request, pk)))


def _job_action(request, pk: int, action, done: str, refused: str):
    """confirm / cancel / retry: the same checks, one service call, a message, back to the job."""
    _require_import_rights(request)  # the role first: a viewer's answer never depends on the job
    job = _job(request, pk)
    if not access.can_import(request.user, job.union, job.kind):
        raise PermissionDenied
    if action(job=job, user=request.user):
        messages.success(request, done)
    else:
        messages.warning(request, refused)
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def confirm(request, pk: int):
    overwrite = request.POST.get("overwrite_newer") == "1"
    return _job_action(
        request,
        pk,
        lambda job, user: services.confirm_job(
            job=job,
            user=user,
            overwrite_newer=overwrite,
            take_file_rows=_rows_taking_the_file(request, job),
        ),
        _("已确认，正在写入登记库，请稍候。"),
        _("这个任务现在不能确认（可能已确认、已取消或已完成）。"),
    )


def _rows_taking_the_file(request, job: ImportJob) -> list[tuple[str, int]]:
    """The stale rows (登记库中的信息更新) for which the user chose the file's values:
    radio `newer-<n>` = "file" for the n-th member of the preview's changes."""
    chosen = []
    for index, member in enumerate(job.summary.get("changes") or []):
        if member.get("newer") and request.POST.get(f"newer-{index}") == "file":
            chosen.append((member["sheet"], member["row"]))
    return chosen


@login_required
@require_POST
def cancel(request, pk: int):
    return _job_action(
        request,
        pk,
        services.cancel_job,
        _("已取消，本次上传的内容没有写入登记库。"),
        _("这个任务已在写入或已结束，不能取消。"),
    )


@login_required
@require_POST
def retry(request, pk: int):
    return _job_action(
        request,
        pk,
        services.retry_job,
        _("已重新排队处理。"),
        _("这个任务不能重新处理（文件已清理或任务不是失败状态），请重新上传。"),
    )


def _send_file(request, job: ImportJob, field, filename: str, what: str):
    if not field or job.file_purged_at is not None:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit.record(
        AuditEntry.Action.FILE_DOWNLOADED,
        request=request,
        union=job.union,
        obj=job,
        detail={"file": what, "filename": filename},
    )
    return FileResponse(handle, as_attachment=True, filename=filename)


@login_required
def report(request, pk: int):
    _require_personal_data_rights(request)
    job = _job(request, pk)
    stem = Path(job.original_filename).stem
    return _send_file(request, job, job.report, f"{stem}-错误报告.xlsx", "error_report")


@login_required
def original(request, pk: int):
    _require_personal_data_rights(request)
    job = _job(request, pk)
    return _send_file(request, job, job.file, job.original_filename, "upload")


@login_required
def export(request):
    """导出会员名册: every role; 查看 gets IDs and phones masked (members.exports). The file
    is written by the worker (members.export_views.start_export): the answer is the job
    page with its progress bar and, when done, the download link."""
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member_filter = MemberFilter(
            union=data["union"],
            include_sub=data["scope"] == "subtree",
            status=data["status"],
            name_contains=data["q"],
        )
        return start_export(request, member_filter, fmt=data["format"], back="imports:export")
    return render(
        request,
        "imports/export.html",
        {
            "form": form,
            "masked": exports.masked_for(request.user),
            "may_export_unions": access.can_import(request.user, kind=ImportJob.Kind.UNIONS),
        },
    )


@login_required
def export_unions(request):
    """工会组织信息 of a union's subtree, as the organisation sheet reads it back (edit and
    upload it again); 管理员 only, as for that upload. Audited."""
    if not access.can_import(request.user, kind=ImportJob.Kind.UNIONS):
        raise PermissionDenied(_("只有管理员可以导出工会组织信息。"))
    union = access.get_in_scope(
        access.unions_for(request.user), pk=request.GET.get("union") or request.user.union_id
    )
    content, count = union_export.union_workbook(union)
    audit.record(
        AuditEntry.Action.EXPORT,
        request=request,
        union=union,
        obj=union,
        detail={"export": "unions", "rows": count},
    )
    filename = f"工会组织信息-{union.name}-{timezone.localdate():%Y%m%d}.xlsx"
    return _attachment(HttpResponse(content, content_type=XLSX), filename)
