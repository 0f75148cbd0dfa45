"""审计日志: 管理员 read the entries about their subtree."""

from django.core.paginator import Paginator
from django.shortcuts import render

from unions.access import admin_required, audit_for
from unions.forms import AuditFilterForm
from unions.selectors import filter_audit


@admin_required
def audit_list(request):
    form = AuditFilterForm(request.GET or None, actor=request.user)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    entries = filter_audit(
        audit_for(request.user),
        action=filters.get("action", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        actor=filters.get("actor", ""),
        union=filters.get("union"),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "unions/audit_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )
