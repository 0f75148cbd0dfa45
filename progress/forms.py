from django import forms
from django.utils.translation import gettext as _

from progress.models import Target
from unions.models import Union


class ChildTargetsForm(forms.Form):
    """One members target (and optional organisations target) per direct child."""

    def __init__(self, *args, children: list[Union], targets: dict[int, Target], **kwargs):
        super().__init__(*args, **kwargs)
        self.children = children
        for child in children:
            current = targets.get(child.pk)
            self.fields[f"members_{child.pk}"] = forms.IntegerField(
                label=_("%(name)s 会员目标数") % {"name": child.name},
                min_value=0,
                max_value=100_000_000,
                required=False,
                initial=current.members if current else None,
            )
            self.fields[f"organisations_{child.pk}"] = forms.IntegerField(
                label=_("%(name)s 组织目标数") % {"name": child.name},
                min_value=0,
                max_value=1_000_000,
                required=False,
                initial=current.organisations if current else None,
            )

    def clean(self):
        data = super().clean()
        for child in self.children:
            if data.get(f"organisations_{child.pk}") is not None and (
                data.get(f"members_{child.pk}") is None
            ):
                self.add_error(
                    f"members_{child.pk}",
                    _("“%(name)s”填写了组织目标数，请同时填写会员目标数。") % {"name": child.name},
                )
        return data

    def rows(self):
        for child in self.children:
            yield child, self[f"members_{child.pk}"], self[f"organisations_{child.pk}"]

    def targets(self) -> dict[int, tuple[int | None, int | None]]:
        return {
            child.pk: (
                self.cleaned_data.get(f"members_{child.pk}"),
                self.cleaned_data.get(f"organisations_{child.pk}"),
            )
            for child in self.children
        }
