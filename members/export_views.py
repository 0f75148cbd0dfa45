"""Member exports in the browser: start a background export, watch it, download the file.

The list page's 导出 and the 导出会员名册 page (imports) both start a job here; the worker
writes the file through the one export rule (`members.exports`); the job page shows a
progress bar and then a download link kept `MEMBER_EXPORT_KEEP_HOURS`. Only the account
that asked sees the job and its file (anyone else: 404); every download is audited.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import export_jobs, exports, selectors
from members.models import ExportJob
from members.view_helpers import int_or_none
from unions import audit
from unions.access import get_in_scope, unions_for, user_root
from unions.models import AuditEntry

TOO_SHORT = "按证件号码或手机号码查找时请至少输入后4位数字。"


def _own_job(request, pk) -> ExportJob:
    return get_in_scope(export_jobs.jobs_for(request.user), pk=pk)


def refused_at_once(user, member_filter) -> str | None:
    """What the tallies already tell before queuing (nothing to export, over the cap),
    for filters they can answer; None otherwise (the worker checks again anyway)."""
    if not member_filter.counts_from_tallies():
        return None
    counts = selectors.list_counts(user_root(user), member_filter, None)
    by_status = counts.by_status
    total = (
        by_status.get(member_filter.status, 0) if member_filter.status else sum(by_status.values())
    )
    if total == 0:
        return str(exports.NothingToExport.message)
    if total > settings.MEMBER_EXPORT_MAX_ROWS:
        return exports.ExportTooLarge(total, settings.MEMBER_EXPORT_MAX_ROWS).message
    return None


def start_export(request, member_filter, *, fmt: str, back: str):
    """Queue the export or say why not; the answer is a redirect either way."""
    refused = refused_at_once(request.user, exports.for_user(member_filter, request.user))
    if refused:
        messages.error(request, refused)
        return redirect(back)
    try:
        job = export_jobs.start(user=request.user, member_filter=member_filter, fmt=fmt)
    except export_jobs.ExportRunning as running:
        messages.warning(request, running.message)
        return redirect("members:export_job", pk=running.job.pk) if running.job else redirect(back)
    except selectors.SearchTooShort:
        messages.error(request, _(TOO_SHORT))
        return redirect(back)
    return redirect("members:export_job", pk=job.pk)


@login_required
@require_POST
def member_export(request):
    """导出当前结果: the list's filter (kept in the session) as a background export; from
    a union's page (`union` posted), that union and everything below it."""
    from members.views import _current_filter

    fmt = request.POST.get("format", "xlsx")
    if request.POST.get("union"):
        union = get_in_scope(unions_for(request.user), pk=int_or_none(request.POST["union"]))
        member_filter = selectors.MemberFilter(union=union, include_sub=True)
        back = reverse("progress:union", args=[union.pk])
        return start_export(request, member_filter, fmt=fmt, back=back)
    return start_export(request, _current_filter(request), fmt=fmt, back="members:list")


def _status(job: ExportJob) -> dict:
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "stage_label": "",
        "running": not job.is_finished,
        "percent": job.percent,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "message": job.message,
    }


@login_required
def export_job(request, pk):
    job = _own_job(request, pk)
    if job.state == ExportJob.State.DONE:
        export_jobs.downloadable(job)  # past its time: expires now
    return render(
        request,
        "members/export_job.html",
        {
            "job": job,
            "status_url": reverse("members:export_status", args=[job.pk]),
            "recent": export_jobs.jobs_for(request.user).exclude(pk=job.pk)[:5],
            "is_report": export_jobs.is_report(job),
        },
    )


@login_required
def export_status(request, pk):
    return JsonResponse(_status(_own_job(request, pk)), json_dumps_params={"ensure_ascii": False})


@login_required
def export_download(request, pk):
    job = _own_job(request, pk)
    if not export_jobs.downloadable(job):
        if job.state in ExportJob.UNFINISHED:
            messages.info(request, _("导出文件还在生成中，请稍候。"))
        else:
            messages.error(request, _("导出文件已过保存期限或未生成，请重新导出。"))
        return redirect("members:export_job", pk=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(downloads=job.downloads + 1)
    audit.record(
        AuditEntry.Action.EXPORT_DOWNLOADED,
        request=request,
        union=job.union,
        object_repr=(
            job.summary
            if export_jobs.is_report(job)
            else _("会员名单（%(n)d人）") % {"n": job.rows_done}
        ),
        detail={"job": job.pk, "rows": job.rows_done, "masked": job.masked, "format": job.format},
    )
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=job.filename)
    response["Cache-Control"] = "no-store"
    return response
