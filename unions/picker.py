"""The union picker: one text box wherever a union is chosen. People type part of a name
("桃源一中工会" finds 桃源县第一中学工会: its characters in that order), or a code; with
JavaScript (static/js/union-suggest.js) the box suggests unions as they type
(unions:union_suggest) and puts the chosen one's id in a hidden field. Without JavaScript
the server resolves the typed text and, when it names several unions, lists them to pick
from. Never a <select> of every union: a province holds 100,000."""

import re

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.codes import normalize_key
from unions.models import Union, Unit

SUGGESTIONS = 20
SHOWN = 8  # candidates offered when a typed name fits several unions


def _in_order(text: str) -> str:
    """A regex matching names that hold the characters of `text` in that order."""
    return ".*".join(re.escape(ch) for ch in text if not ch.isspace())


def match_unions(unions: QuerySet, text: str, *, limit: int = SUGGESTIONS) -> list[Union]:
    """Unions of `unions` (already scoped) that `text` may mean, best first: the exact
    name; names starting with it; names containing it; credit or system codes starting with
    it; names holding its characters in order (一中 → 第一中学). Ties in tree order."""
    text = (text or "").replace("\x00", "").strip()[:100]
    if not text:
        return []
    code = normalize_key(text)
    tiers = [
        Q(name=text),
        Q(name__startswith=text),
        Q(name__contains=text),
        Q(credit_code__startswith=code) | Q(system_code__startswith=code),
    ]
    if len(text) > 1:
        tiers.append(Q(name__regex=_in_order(text)))
    found: list[Union] = []
    seen: set[int] = set()
    for tier in tiers:
        if len(found) >= limit:
            break
        rows = (
            unions.filter(tier)
            .exclude(pk__in=seen)
            .select_related("parent")
            .order_by("tree_id", "lft")[: limit - len(found)]
        )
        for union in rows:
            seen.add(union.pk)
            found.append(union)
    return found


def describe(union: Union) -> str:
    """A union as the picker shows it: name, then the parent and the code that tell apart
    two unions of the same name."""
    parent = union.parent.name if union.parent_id else ""
    return f"{union.name}（{'上级：' + parent + '，' if parent else ''}编码 {union.code}）"


class UnionChoiceError(Exception):
    def __init__(self, message: str, candidates: list[Union] = ()):
        super().__init__(message)
        self.message = message
        self.candidates = list(candidates)


def resolve_choice(unions: QuerySet, text: str, pk=None, pick=None) -> Union | None:
    """The union a submitted picker means: the suggestion chosen (`pk`, when the box still
    shows its name), else one picked from the server's list (`pick`), else the typed
    text if it means exactly one union. None for an empty box."""
    text = (text or "").replace("\x00", "").strip()[:200]
    for chosen_pk in (pick, pk):
        if chosen_pk and str(chosen_pk).isdigit():
            chosen = unions.filter(pk=int(chosen_pk)).select_related("parent").first()
            if chosen is not None and (chosen_pk == pick or text in ("", chosen.name)):
                return chosen
    if not text:
        if pk or pick:
            raise UnionChoiceError(_("所选工会不在可选范围内，请重新选择。"))
        return None
    code = normalize_key(text)
    exact = list(unions.filter(Q(credit_code=code) | Q(system_code=code))[:1])
    if not exact:
        exact = list(unions.filter(name=text).select_related("parent")[: SHOWN + 1])
    if not exact:
        exact = match_unions(unions, text, limit=SHOWN + 1)
    if len(exact) == 1:
        return exact[0]
    if not exact:
        raise UnionChoiceError(
            _("找不到“%(text)s”：可选范围内没有名称包含这些字、也没有以此开头的编码的工会。")
            % {"text": text}
        )
    duplicate = all(u.name == exact[0].name for u in exact)
    message = (
        _("有重名：%(count)s个工会都叫“%(text)s”，请选择其中一个。")
        if duplicate
        else _("“%(text)s”对应多个工会，请选择其中一个（或输入更完整的名称、编码）。")
    )
    return_count = f"{SHOWN}+" if len(exact) > SHOWN else str(len(exact))
    raise UnionChoiceError(message % {"count": return_count, "text": text}, exact[:SHOWN])


class UnionPickerWidget(forms.Widget):
    """A text box `<name>_name` with a hidden id `<name>`; candidates to pick from (radio
    buttons `<name>_pick`) after the server found several."""

    def __init__(self, *, scope: str = "", attrs=None):
        super().__init__(attrs)
        self.scope = scope  # "all": every active union (a transfer's receiving side)
        self.candidates: list[Union] = []

    def value_from_datadict(self, data, files, name):
        text, pk = data.get(f"{name}_name"), data.get(name) or ""
        if text is None and not str(pk).strip().isdigit():
            text, pk = pk, ""  # a name or code sent as the field itself (scripts, old links)
        return {"text": text or "", "pk": pk, "pick": data.get(f"{name}_pick", "")}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_name" not in data

    def id_for_label(self, id_):
        return f"{id_}_name" if id_ else id_

    def render(self, name, value, attrs=None, renderer=None):
        text, pk = "", ""
        if isinstance(value, dict):
            text, pk = value.get("text") or "", value.get("pk") or ""
        elif isinstance(value, Union):
            text, pk = value.name, value.pk
        attrs = self.build_attrs(self.attrs, attrs)
        box_id = attrs.get("id") or f"id_{name}"
        url = reverse("unions:union_suggest") + ("?scope=all" if self.scope == "all" else "")
        css = attrs.get("class", "form-control")
        if "form-control" not in css:
            css = f"form-control {css}"
        picks = format_html_join(
            "",
            '<div class="form-check"><input class="form-check-input" type="radio" name="{}"'
            ' id="{}_pick_{}" value="{}"><label class="form-check-label" for="{}_pick_{}">'
            "{}</label></div>",
            (
                (f"{name}_pick", box_id, u.pk, u.pk, box_id, u.pk, describe(u))
                for u in self.candidates
            ),
        )
        return format_html(
            '<div class="union-picker position-relative" data-union-suggest="{url}">'
            '<input type="text" class="{css}" name="{name}_name" id="{box_id}_name" value="{text}"'
            ' placeholder="{placeholder}" autocomplete="off" role="combobox"'
            ' aria-autocomplete="list" aria-expanded="false" aria-controls="{box_id}_list"'
            ' maxlength="200">'
            '<input type="hidden" name="{name}" id="{box_id}" value="{pk}">'
            '<div class="list-group position-absolute shadow-sm d-none union-suggestions"'
            ' id="{box_id}_list" role="listbox"></div>{picks}</div>',
            url=url,
            css=css,
            name=name,
            box_id=box_id,
            text=text,
            pk=pk,
            placeholder=attrs.get("placeholder") or _("输入工会名称的几个字或编码"),
            picks=picks,
        )


class UnionPickerField(forms.Field):
    """Chooses one union of `queryset` (already scoped by the caller) with the picker."""

    default_error_messages = {"required": gettext_lazy("请选择工会（输入名称的几个字或编码）。")}

    def __init__(self, *, queryset: QuerySet, scope: str = "", **kwargs):
        self.queryset = queryset
        kwargs.setdefault("widget", UnionPickerWidget(scope=scope))
        kwargs.pop("empty_label", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (int, str)) and str(value).isdigit():
            return self.queryset.filter(pk=int(value)).first() or ""
        return value

    def to_python(self, value):
        if not isinstance(value, dict):
            value = {"text": "", "pk": value if isinstance(value, (int, str)) else ""}
        try:
            return resolve_choice(
                self.queryset, value.get("text"), value.get("pk"), value.get("pick")
            )
        except UnionChoiceError as error:
            self.widget.candidates = error.candidates
            raise forms.ValidationError(error.message, code="union_choice") from None

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data):
        try:
            chosen = self.to_python(data) if data else None
        except forms.ValidationError:
            return True
        initial_pk = getattr(initial, "pk", initial)
        return str(getattr(chosen, "pk", "") or "") != str(initial_pk or "")


def resolve_unit(units: QuerySet, text: str) -> Unit | None:
    """The 单位 of `units` (already narrowed to a union's subtree) that typed `text` means:
    its 统一社会信用代码, else its exact name, else the one name containing the text. None
    for an empty box. Units are typed, not chosen from a list: a province registers tens of
    thousands of them."""
    text = (text or "").replace("\x00", "").strip()[:200]
    if not text:
        return None
    code = normalize_key(text)
    found = list(units.filter(credit_code=code)[:1]) or list(units.filter(name=text)[:2])
    if not found:
        found = list(units.filter(name__contains=text).order_by("name")[: SHOWN + 1])
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnionChoiceError(
            _("找不到单位“%(text)s”：所选工会及其下级没有名称包含这些字或此信用代码的单位。")
            % {"text": text}
        )
    names = "、".join(u.name for u in found[:SHOWN]) + ("等" if len(found) > SHOWN else "")
    raise UnionChoiceError(
        _("“%(text)s”对应多个单位（%(names)s），请输入完整名称或统一社会信用代码。")
        % {"text": text, "names": names}
    )
