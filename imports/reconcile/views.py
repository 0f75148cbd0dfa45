"""名单比对 pages: upload a list, watch the comparison, read the four groups, confirm
actions member by member, download the result. Under the `imports` namespace, so the
pledge gate covers them like every page with personal data.

Views are thin: access vocabulary → form → imports.reconcile (jobs, actions, report).
A job of a union outside the user's subtree answers 404; acting needs `can_import(user,
union, "reconcile")` (管理员, 采集员), else 403.
"""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from imports import selectors
from imports.engine import limits
from imports.forms import EventForm, ReconcileForm
from imports.models import ImportJob, ReconcileEntry
from imports.reconcile import actions, jobs, report
from imports.services import ALLOWED_SUFFIXES
from selfservice.services import join_token
from unions import access, audit
from unions.models import AuditEntry

Group = ReconcileEntry.Group
KIND = ImportJob.Kind.RECONCILE
PER_PAGE = 100


def _require_rights(request):
    if not access.can_import(request.user, kind=KIND):
        raise PermissionDenied(_("只有管理员和采集员可以比对名单。"))


def _job(request, pk: int) -> ImportJob:
    jobs_in_scope = selectors.jobs_for(request.user).filter(kind=KIND)
    return access.get_in_scope(jobs_in_scope.select_related("union", "unit"), pk=pk)


@login_required
def start(request):
    """Upload a list; the comparison runs on the worker (progress on the job page)."""
    _require_rights(request)
    form = ReconcileForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "GET" and request.GET.get("union"):
        chosen = access.get_in_scope(access.unions_for(request.user), pk=request.GET["union"])
        form.fields["union"].initial = chosen.pk
    if request.method == "POST" and form.is_valid():
        union = form.cleaned_data["union"]
        if not access.can_import(request.user, union, KIND):
            raise PermissionDenied
        job = jobs.start(
            user=request.user,
            union=union,
            unit=form.cleaned_data["unit"],
            upload=form.cleaned_data["file"],
        )
        return redirect("imports:reconcile_job", pk=job.pk)
    recent = selectors.jobs_for(request.user).filter(kind=KIND).select_related("union")[:10]
    return render(
        request,
        "imports/reconcile_start.html",
        {
            "form": form,
            "recent": recent,
            "max_mb": settings.MAX_UPLOAD_MB,
            "max_rows": f"{limits.max_rows():,}",
            "suffixes": "、".join(ALLOWED_SUFFIXES),
            "retention_days": settings.RECONCILE_FILE_RETENTION_DAYS,
        },
    )


@login_required
def job_page(request, pk: int):
    job = _job(request, pk)
    group = request.GET.get("group", "")
    if group not in Group.values:
        group = Group.MISSING
    entries = job.entries.filter(group=group).select_related("member", "member__union")
    page = Paginator(entries.order_by("row", "id"), PER_PAGE).get_page(request.GET.get("page"))
    # Lists are masked for everyone, as the member lists are; the workbook is what carries
    # full numbers, to those who may see them.
    rows = [report.entry_row(entry, masked=True) for entry in page.object_list]
    counts = {key: job.count(name) for key, name in report.KEYS.items()}
    return render(
        request,
        "imports/reconcile_job.html",
        {
            "job": job,
            "group": group,
            "groups": [(g, Group(g).label, counts[g]) for g in Group.values],
            "page": page,
            "rows": rows,
            "open_rows": sum(1 for r in rows if not r["done"]),
            "may_act": access.can_import(request.user, job.union, KIND),
            "status_url": reverse("imports:job_status", args=[job.pk]),
            "event_form": EventForm(initial={"on": timezone.localdate()}),
            "problems": job.problems.order_by("sheet", "row", "id")[:50],
            "problem_count": job.count("problems"),
            "join_url": reverse("selfservice:poster", args=[job.union_id]),
        },
    )


@login_required
def workbook(request, pk: int):
    """The result as a workbook: full numbers for 管理员 and 采集员 (like member exports),
    masked for 查看; every download audited."""
    job = _job(request, pk)
    if job.state != ImportJob.State.PREVIEW or job.file_purged_at is not None:
        raise Http404
    masked = not access.can_see_personal_data(request.user)
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    rows = report.write_workbook(job, out, masked=masked)
    out.seek(0)
    audit.record(
        AuditEntry.Action.EXPORT,
        request=request,
        union=job.union,
        obj=job,
        detail={"what": "reconcile", "job": job.pk, "rows": rows, "masked": masked},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        out, as_attachment=True, filename=f"名单比对结果-{job.union.name}-{stamp}.xlsx"
    )


@login_required
@require_POST
def act(request, pk: int):
    """One confirmed action on the chosen members of one group."""
    _require_rights(request)
    job = _job(request, pk)
    if not access.can_import(request.user, job.union, KIND):
        raise PermissionDenied
    action = request.POST.get("action", "")
    ids = request.POST.getlist("entry")
    back = reverse("imports:reconcile_job", args=[job.pk])
    if job.state != ImportJob.State.PREVIEW or job.file_purged_at is not None:
        messages.warning(request, _("这次比对的结果已不可用（已清理或未完成），请重新上传名单。"))
        return redirect(back)
    if not ids:
        messages.warning(request, _("请先勾选要办理的人员。"))
        return redirect(f"{back}?group={_group_of(action)}")
    common = {"job": job, "ids": ids, "by": request.user, "request": request}
    if action == "invite":
        url = request.build_absolute_uri(
            reverse("selfservice:apply", kwargs={"token": join_token(job.union)})
        )
        outcome = actions.invite(url=url, **common)
        done = _("已向 %(n)d 人发送入会邀请短信。")
    elif action == "import":
        outcome = actions.send_to_import(**common)
        if outcome.job is not None:
            messages.success(
                request,
                _("已把 %(n)d 人转为一份会员花名册，请在下面核对后确认导入。")
                % {"n": outcome.done},
            )
            return redirect("imports:job", pk=outcome.job.pk)
        done = ""
    elif action == "event":
        form = EventForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(f"{back}?group={Group.ABSENT}")
        data = form.cleaned_data
        outcome = actions.record_events(
            kind=data["kind"],
            on=data["on"],
            reason=data["reason"],
            to_union=data.get("to_union_obj"),
            **common,
        )
        done = _("已为 %(n)d 人办理会籍变动。")
    elif action == "update":
        outcome = actions.adopt_list_values(**common)
        done = _("已为 %(n)d 人采用名单中的值。")
    elif action == "claim":
        outcome = actions.request_transfers(**common)
        done = _("已为 %(n)d 人向其所在工会发出转入申请。")
    else:
        raise Http404
    if outcome.done and done:
        messages.success(request, done % {"n": outcome.done})
    for problem in outcome.problems[:20]:
        messages.warning(request, problem)
    if not outcome.done and not outcome.problems:
        messages.warning(request, _("勾选的人员已经办理过，没有再次办理。"))
    return redirect(f"{back}?group={_group_of(action)}")


def _group_of(action: str) -> str:
    return {
        "invite": Group.MISSING,
        "import": Group.MISSING,
        "event": Group.ABSENT,
        "update": Group.MISMATCHED,
        "claim": Group.ELSEWHERE,
    }.get(action, Group.MISSING)
