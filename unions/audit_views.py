"""审计日志: 管理员 read the entries about their subtree, and export a period of them."""

import io

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from openpyxl import Workbook

from registry.cells import safe_text
from registry.paging import paginate, query_without
from unions import audit
from unions.access import admin_required, audit_for
from unions.forms import AuditFilterForm
from unions.models import AuditEntry
from unions.selectors import filter_audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filtered(request, form):
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    entries = filter_audit(
        audit_for(request.user),
        action=filters.get("action", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        actor=filters.get("actor", ""),
        union=filters.get("union"),
    )
    return filters, entries


@admin_required
def audit_list(request):
    form = AuditFilterForm(request.GET or None, actor=request.user)
    _filters, entries = _filtered(request, form)
    page, pager = paginate(request, entries, unit=_("条"))
    return render(
        request,
        "unions/audit_list.html",
        {
            "form": form,
            "page": page,
            "pager": pager,
            "query": query_without(request, "page", "size"),
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )


@admin_required
def audit_export(request):
    """The entries of the admin's subtree for a period (both dates required; the page's
    other filters apply too) as a Chinese .xlsx; the export itself is audited."""
    form = AuditFilterForm(request.GET or None, actor=request.user)
    filters, entries = _filtered(request, form)
    if not (
        form.is_bound and form.is_valid() and filters.get("date_from") and filters.get("date_to")
    ):
        messages.error(request, _("导出审计日志须填写起始日期和截止日期。"))
        return redirect("unions:audit_list")
    limit = settings.AUDIT_EXPORT_MAX_ROWS
    total = entries.count()
    if total > limit:
        messages.error(
            request,
            _("所选期间共 %(n)d 条，超过一次导出的上限 %(limit)d 条，请缩短期间。")
            % {"n": total, "limit": limit},
        )
        return redirect(f"{reverse('unions:audit_list')}?{request.GET.urlencode()}")

    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    sheet.append(["时间", "操作账号", "操作", "所涉工会", "对象", "详情", "来源地址"])
    for entry in entries.iterator(chunk_size=2000):
        sheet.append(
            [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                safe_text(entry.actor_username),
                str(entry.get_action_display()),
                safe_text(entry.union.name if entry.union else ""),
                safe_text(entry.object_repr),
                safe_text("；".join(f"{label}：{text}" for label, text in entry.detail_items)),
                entry.ip_address or "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)

    start, end = filters["date_from"], filters["date_to"]
    audit.record(
        AuditEntry.Action.AUDIT_EXPORTED,
        request=request,
        detail={"date_from": start.isoformat(), "date_to": end.isoformat(), "entries": total},
    )
    name = f"审计日志_{request.user.union.name}_{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(name)}"
    return response
