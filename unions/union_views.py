"""工会组织: 管理员 browse their subtree, create, edit and move the unions below them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from unions import services
from unions.access import (
    admin_required,
    below_root_for,
    get_in_scope,
    unions_for,
)
from unions.forms import ElectionForm, UnionForm, UnionMoveForm
from unions.models import Union
from unions.picker import match_unions


@admin_required
def union_create(request):
    form = UnionForm(request.POST or None, actor=request.user, parent_required=True)
    if request.method == "GET" and request.GET.get("parent"):
        form.initial["parent"] = request.GET["parent"]
    if form.is_valid():
        data = dict(form.cleaned_data)
        parent = data.pop("parent")
        union = services.create_union(actor=request.user, parent=parent, request=request, **data)
        messages.success(
            request,
            _("已在“%(parent)s”下新建“%(name)s”。") % {"parent": parent.name, "name": union.name},
        )
        return redirect("unions:union_tree")
    return render(request, "unions/union_form.html", {"form": form, "creating": True})


@admin_required
def union_edit(request, pk):
    union = get_in_scope(unions_for(request.user), pk=pk)
    form = UnionForm(request.POST or None, instance=union, actor=request.user)
    if form.is_valid():
        services.update_union(actor=request.user, union=union, request=request, **form.cleaned_data)
        messages.success(
            request, _("“%(name)s”的信息已保存。") % {"name": form.cleaned_data["name"]}
        )
        return redirect("unions:union_tree")
    return render(request, "unions/union_form.html", {"form": form, "union": union})


@admin_required
def union_move(request, pk):
    union = get_in_scope(below_root_for(request.user).select_related("parent"), pk=pk)
    form = UnionMoveForm(request.POST or None, actor=request.user, union=union)
    if form.is_valid():
        try:
            moved = services.move_union(
                actor=request.user,
                union=union,
                new_parent=form.cleaned_data["new_parent"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("new_parent", error)
        else:
            messages.success(
                request,
                _("“%(name)s”已调整到“%(parent)s”之下。")
                % {"name": moved.name, "parent": moved.parent.name},
            )
            return redirect("unions:union_tree")
    return render(request, "unions/union_move.html", {"form": form, "union": union})


@admin_required
def union_election(request, pk):
    """登记换届: a union in the administrator's subtree starts a new term."""
    union = get_in_scope(unions_for(request.user), pk=pk)
    form = ElectionForm(request.POST or None, union=union)
    if form.is_valid():
        try:
            services.record_election(
                actor=request.user, union=union, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error("elected_on", error)
        else:
            messages.success(request, _("已登记“%(name)s”换届。") % {"name": union.name})
            return redirect("progress:union", pk=union.parent_id or union.pk)
    return render(request, "unions/union_election.html", {"form": form, "union": union})


@login_required
def union_suggest(request):
    """The union picker's suggestions as JSON: unions of the user's scope matching the
    typed text (unions.picker.match_unions), at most 20. `scope=all` (a transfer's
    receiving union, which is usually outside the subtree): every active union, from two
    characters on."""
    text = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    if request.GET.get("scope") == "all":
        unions = Union.objects.filter(is_active=True) if len(text) >= 2 else Union.objects.none()
    else:
        unions = unions_for(request.user)
    return JsonResponse(
        {
            "results": [
                {
                    "id": u.pk,
                    "name": u.name,
                    "parent": u.parent.name if u.parent_id else "",
                    "code": u.code,
                }
                for u in match_unions(unions, text)
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )
