"""Progress dashboard: every role sees the progress of its own subtree; 管理员 set the
targets of the children of any union in their subtree. Also the pages of other apps that
show subtree member counts (the home page, the union tree), so that every count comes
from the one counter in `progress.counts`."""

import tempfile
from html import escape
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from imports.xlsx_templates import target_template
from members import export_jobs
from progress import reports
from progress.control_points import PointUnusable, compare, covering, request_point
from progress.counts import (
    UnionCount,
    own_tally_of,
    subtree_member_counts,
    switched_off,
    with_subtree_tally,
)
from progress.export import comparison_workbook
from progress.forms import ChildTargetsForm
from progress.models import Campaign, ControlPoint, Target
from progress.rollups import current_campaign, trend, union_progress
from progress.targets import TargetError, can_set_targets_below, import_targets, set_child_targets
from progress.targets_sheet import SheetUnreadable
from progress.todo import todo_for
from registry.paging import paginate
from unions import audit
from unions.access import (
    accounts_for,
    admin_required,
    can_manage_accounts,
    get_in_scope,
    subtree_q,
    unions_for,
    user_root,
)
from unions.forms import UnionJumpForm
from unions.models import AuditEntry, Union
from unions.terms import terms_due

UNBUILT_SHOWN = 50  # 未建会单位 on the page; the report lists them all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def home(request):
    """The start page: the account's union, its members and its children's, by the one
    subtree counter (so it agrees with the progress page)."""
    root = user_root(request.user)
    context = {"root": root}
    if root is not None:
        off = switched_off(root)
        counts = subtree_member_counts(root, children_only=True, off=off)
        context["root_count"] = counts[root.pk]
        context["children"] = [c for c in counts.values() if c.union.parent_id == root.pk]
        # the root and every active union below it, from the MPTT range less the
        # switched-off ones: no union of the subtree is read
        below = (root.rght - root.lft - 1) // 2
        context["union_total"] = 1 + below - off.between(root.lft + 1, root.rght)
        context["todo"] = todo_for(request.user)
    return render(request, "home.html", context)


@admin_required
def union_tree(request):
    """工会组织 (`unions:union_tree`): the administrator's subtree, switched-off unions
    included so they can be managed, with member counts from the one counter. Paged in
    the database: each page reads its own unions' subtree tallies."""
    root = user_root(request.user)
    off = switched_off(root)
    unions = with_subtree_tally(Union.objects.filter(subtree_q(root))).annotate(
        own_tally=Coalesce(Subquery(own_tally_of(OuterRef("pk")).values("count")[:1]), 0)
    )
    page, pager = paginate(request, unions.order_by("lft"), unit=_("个工会组织"), default=100)
    listed = list(page.object_list)
    accounts = dict(
        accounts_for(request.user)
        .filter(is_active=True, union__in=listed)
        .values_list("union_id")
        .annotate(n=Count("id"))
        .values_list("union_id", "n")
    )
    rows = [
        {
            "count": UnionCount(
                union=u,
                own=u.own_tally if u.is_active else 0,
                total=off.members(u, u.rolled),
            ),
            "depth": u.level - root.level,
            "accounts": accounts.get(u.pk, 0),
        }
        for u in listed
    ]
    return render(
        request,
        "unions/union_tree.html",
        {"root": root, "rows": rows, "total": page.paginator.count, "pager": pager},
    )


def _union(request, pk):
    root = user_root(request.user)
    if root is not None and str(pk) == str(root.pk):
        return root  # the user's own union, just read
    return get_in_scope(unions_for(request.user), pk=pk)


def _campaign(request) -> Campaign | None:
    ref = request.GET.get("campaign")
    if not ref:
        return current_campaign()
    return get_in_scope(Campaign.objects.all(), pk=ref)


@login_required
def dashboard(request):
    root = user_root(request.user)
    if root is None:
        raise Http404
    return redirect("progress:union", pk=root.pk)


def _jump(request, view_name: str, campaign):
    """The 查找工会 box: (a redirect to the chosen union's page, the form)."""
    asked = "go" in request.GET or "go_name" in request.GET
    form = UnionJumpForm(request.GET if asked else None, actor=request.user)
    if asked and form.is_valid():
        url = reverse(view_name, kwargs={"pk": form.cleaned_data["go"].pk})
        return redirect(f"{url}?campaign={campaign.pk}" if campaign else url), form
    return None, form


def _or(value, default: str) -> str:
    return default if value is None else str(value)


def _percent(value) -> str:
    """`value|floatformat:1` + "%" for a percentage already rounded to one decimal."""
    return "—" if value is None else f"{value:.1f}%"


def child_rows(children, query: str) -> str:
    """The rows of the children's progress table, built in Python: at a province's root
    there are hundreds, and the template engine spent more on them than on the figures.
    Only the union's name comes from users: it is escaped; the rest are numbers and the
    page's own words."""
    badges = {
        "0": f'<span class="badge text-bg-danger">{escape(_("落后"))}</span>',
        "2": f'<span class="text-muted small">{escape(_("未下达目标"))}</span>',
        "1": f'<span class="badge text-bg-success">{escape(_("正常"))}</span>',
    }
    link = reverse("progress:union", args=[0]).removesuffix("0/") + "{}/" + escape(query)
    danger = ' class="table-danger" data-behind'
    rows = []
    for c in children:
        cov, name = c.coverage, escape(c.union.name)
        state = "0" if c.behind else "2" if c.target is None else "1"
        organisations = str(c.organisations)
        if c.organisations_target is not None:
            organisations += f" / {c.organisations_target}"
        rows.append(
            f"<tr{danger if c.behind else ''}"
            ' data-testid="child-row">\n'
            f'    <td data-value="{name}"><a href="{link.format(c.union.pk)}">{name}</a></td>\n'
            f'    <td class="num" data-value="{_or(c.target, "-1")}">{_or(c.target, "—")}</td>\n'
            f'    <td class="num" data-value="{c.members}">{c.members}</td>\n'
            f'    <td class="num" data-value="{_or(c.rate, "-1")}">{_percent(c.rate_percent)}</td>\n'
            f'    <td class="num" data-value="{_or(c.gap, "-1")}">{_or(c.gap, "—")}</td>\n'
            f'    <td class="num" data-value="{_or(c.expected, "-1")}">{_or(c.expected, "—")}</td>\n'
            f'    <td class="num" data-value="{_or(c.added_this_week, "-1")}">'
            f"{_or(c.added_this_week, '—')}</td>\n"
            f'    <td class="num" data-value="{c.organisations}">{organisations}</td>\n'
            f'    <td class="num" data-value="{_or(cov.join_rate, "-1")}"'
            f' data-testid="child-join-rate">{_percent(cov.join_rate_percent)}</td>\n'
            f'    <td class="num" data-value="{_or(cov.union_rate, "-1")}"'
            f' data-testid="child-union-rate">{_percent(cov.union_rate_percent)}</td>\n'
            f'    <td data-value="{state}">{badges[state]}</td>\n'
            "  </tr>\n"
        )
    return mark_safe("  ".join(rows))  # noqa: S308 - the one user-given text is escaped


@login_required
def union_page(request, pk):
    union = _union(request, pk)
    campaigns = list(Campaign.objects.all())  # for the chooser; the current one among them
    if request.GET.get("campaign"):
        campaign = _campaign(request)
    else:
        campaign = next((c for c in campaigns if c.is_current), None)
    jumped, jump = _jump(request, "progress:union", campaign)
    if jumped:
        return jumped
    progress = union_progress(union, campaign=campaign)
    points = trend(union, campaign=campaign)
    today = progress.today.isoformat()
    if not points or points[-1][0] != today:
        points.append((today, progress.node.members))
    chart = {
        "names": [c.union.name for c in progress.children],
        "targets": [c.target for c in progress.children],
        "members": [c.members for c in progress.children],
        "behind": [c.behind for c in progress.children],
        "trend": points,
        "target": progress.node.target,
        "labels": {"target": _("目标任务数"), "members": _("已采集"), "goal": _("目标")},
    }
    due = terms_due(union, today=progress.today).only("pk", "name", "term_ends_on")
    shown_due = list(due[:50])
    query = f"?campaign={campaign.pk}" if campaign else ""
    root = user_root(request.user)
    ancestors = [
        a for a in union.get_ancestors() if a.lft >= root.lft and a.tree_id == root.tree_id
    ]
    return render(
        request,
        "progress/progress.html",
        {
            "union": union,
            "jump": jump,
            "progress": progress,
            "campaign": campaign,
            "campaigns": campaigns,
            "ancestors": ancestors,
            "chart": chart,
            "can_set_targets": can_set_targets_below(request.user, union) and campaign is not None,
            "unbuilt": progress.coverage.unbuilt_units(union, limit=UNBUILT_SHOWN)
            if progress.node.coverage.units_without_union
            else [],
            "terms_due": shown_due,
            "terms_due_count": len(shown_due) if len(shown_due) < 50 else due.count(),
            "today": progress.today,
            "can_record_elections": can_manage_accounts(request.user, union),
            "query": query,
            "child_rows": child_rows(progress.children, query),
        },
    )


def _start_report(request, union, name: str, params: dict):
    """Queue the workbook as an export job (progress bar, audited download kept for a
    limited time) and show its page; or say why not."""
    try:
        job = export_jobs.start_report(user=request.user, union=union, name=name, params=params)
    except export_jobs.ExportRunning as running:
        messages.warning(request, running.message)
        if running.job:
            return redirect("members:export_job", pk=running.job.pk)
        return redirect("progress:union", pk=union.pk)
    return redirect("members:export_job", pk=job.pk)


@login_required
@require_POST
def report_xlsx(request, pk):
    union = _union(request, pk)
    campaign = _campaign(request)
    params = {"campaign": campaign.pk if campaign else None}
    return _start_report(request, union, reports.PROGRESS, params)


@login_required
@require_POST
def statistics_xlsx(request, pk):
    union = _union(request, pk)
    params = {"year": timezone.localdate().year}
    return _start_report(request, union, reports.STATISTICS, params)


def _target_setting(request, pk):
    """The union whose children get targets, and the campaign; 404 unless a 管理员 above."""
    union = _union(request, pk)
    if not can_set_targets_below(request.user, union):
        raise Http404
    return union, _campaign(request)


@login_required
def set_targets(request, pk):
    union, campaign = _target_setting(request, pk)
    if campaign is None:
        messages.error(request, _("还没有采集行动，无法下达目标任务数。"))
        return redirect("progress:union", pk=union.pk)
    if request.method == "GET":
        jumped, _jump_form = _jump(request, "progress:set_targets", campaign)
        if jumped:
            return jumped
    form = _targets_form(union, campaign, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = set_child_targets(
                campaign=campaign, parent=union, targets=form.targets(), by=request.user
            )
        except TargetError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("已保存，%(n)d 个目标任务数有变动。") % {"n": changed})
            url = reverse("progress:union", kwargs={"pk": union.pk})
            return redirect(f"{url}?campaign={campaign.pk}")
    return _targets_page(request, union, campaign, form)


def _targets_form(union, campaign, data=None) -> ChildTargetsForm:
    children = list(union.get_children().order_by("lft"))
    targets = {t.union_id: t for t in Target.objects.filter(campaign=campaign, union__in=children)}
    own = Target.objects.filter(campaign=campaign, union=union).first()
    return ChildTargetsForm(
        data, children=children, targets=targets, parent_target=own.members if own else None
    )


def _targets_page(request, union, campaign, form, report=None, upload_error=""):
    own = Target.objects.filter(campaign=campaign, union=union).first()
    jump = UnionJumpForm(request.GET if "go_name" in request.GET else None, actor=request.user)
    if jump.is_bound:
        jump.is_valid()
    return render(
        request,
        "progress/set_targets.html",
        {
            "union": union,
            "campaign": campaign,
            "form": form,
            "own_target": own,
            "jump": jump,
            "report": report,
            "upload_error": upload_error,
        },
    )


@login_required
@require_POST
def import_targets_upload(request, pk):
    """A target sheet (seed 001 attachment 1) for units below this union; read at once."""
    union, campaign = _target_setting(request, pk)
    if campaign is None:
        raise Http404
    upload = request.FILES.get("sheet")
    report, error = None, ""
    if upload is None:
        error = _("请选择要导入的目标任务表（xlsx、xls 或 ods）。")
    elif not upload.size:
        error = _("文件是空的（0 字节），请重新选择填好的目标任务表。")
    elif upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
        error = _("文件超过 %(mb)d MB，目标任务表不应这么大。") % {"mb": settings.MAX_UPLOAD_MB}
    else:
        suffix = Path(upload.name).suffix.lower()[:8]
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            for chunk in upload.chunks():
                tmp.write(chunk)
            tmp.flush()
            try:
                report = import_targets(
                    path=tmp.name,
                    campaign_name=campaign.name,
                    within=union,
                    by=request.user,
                )
            except (SheetUnreadable, TargetError) as e:
                error = e.message
    if report is not None:
        messages.success(
            request,
            _("已导入：新增 %(c)d 个、更新 %(u)d 个目标，%(n)d 个未变。")
            % {"c": report.created, "u": report.updated, "n": report.unchanged},
        )
    form = _targets_form(union, campaign)
    return _targets_page(request, union, campaign, form, report=report, upload_error=error)


@login_required
def targets_xlsx(request, pk):
    """The children's targets of the campaign as the target sheet, to edit and import
    again (unchanged, it changes nothing); 管理员 above only, as for setting them."""
    union, campaign = _target_setting(request, pk)
    if campaign is None:
        raise Http404
    targets = {
        t.union_id: (t.members, t.organisations)
        for t in Target.objects.filter(campaign=campaign, union__parent=union)
    }
    audit.record(
        AuditEntry.Action.EXPORT,
        request=request,
        union=union,
        obj=union,
        detail={"report": "targets", "campaign": campaign.name},
    )
    filename = f"目标任务-{union.name}-{campaign.name}.xlsx"
    return _download(target_template(union, targets), filename)


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str) -> str:
    return f"attachment; filename=\"progress.xlsx\"; filename*=UTF-8''{quote(filename)}"


# ---- 控制点 ---------------------------------------------------------------------------


@login_required
def control_points(request, pk):
    """The control points that cover a union, and (管理员) freezing a new one."""
    union = _union(request, pk)
    points = list(covering(union)[:100])
    return render(
        request,
        "progress/control_points.html",
        {
            "union": union,
            "points": points,
            "can_freeze": can_manage_accounts(request.user, union),
            "pending": any(p.state == ControlPoint.State.PENDING for p in points),
        },
    )


@admin_required
@require_POST
def control_point_freeze(request, pk):
    union = _union(request, pk)
    if ControlPoint.objects.filter(union=union, state=ControlPoint.State.PENDING).exists():
        messages.info(request, _("上一个控制点正在冻结，请稍候。"))
    else:
        with transaction.atomic():
            request_point(
                union=union,
                by=request.user,
                reason=ControlPoint.Reason.MANUAL,
                campaign=current_campaign(),
                request=request,
            )
        messages.success(request, _("已开始冻结“%(name)s”的控制点。") % {"name": union.name})
    return redirect("progress:control_points", pk=union.pk)


def _comparison(request, pk):
    union = _union(request, pk)
    points = covering(union).filter(state=ControlPoint.State.READY)
    older = get_in_scope(points, pk=request.GET.get("a"))
    newer = get_in_scope(points, pk=request.GET.get("b"))
    return union, compare(older, newer, within=union)


@login_required
def control_point_compare(request, pk):
    try:
        union, comparison = _comparison(request, pk)
    except PointUnusable as unusable:
        messages.error(request, unusable.message)
        return redirect("progress:control_points", pk=pk)
    return render(
        request,
        "progress/control_point_compare.html",
        {"union": union, "c": comparison, "limit": 200},
    )


@login_required
def control_point_compare_xlsx(request, pk):
    try:
        union, comparison = _comparison(request, pk)
    except PointUnusable as unusable:
        messages.error(request, unusable.message)
        return redirect("progress:control_points", pk=pk)
    audit.record(
        AuditEntry.Action.EXPORT,
        request=request,
        union=union,
        obj=union,
        detail={"report": "control_point_comparison"},
    )
    return _download(
        comparison_workbook(comparison, union=union),
        f"控制点比对-{union.name}-{timezone.localdate():%Y%m%d}.xlsx",
    )
