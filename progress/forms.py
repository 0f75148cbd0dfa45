from django import forms
from django.utils.translation import gettext as _

from progress.models import Target
from unions.models import Union


class ChildTargetsForm(forms.Form):
    """One members target (and optional organisations target) per direct child."""

    confirm_over = forms.BooleanField(label=_("确认超额分解"), required=False)

    def __init__(
        self,
        *args,
        children: list[Union],
        targets: dict[int, Target],
        parent_target: int | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.children = children
        self.parent_target = parent_target
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
        total = self.total(data)
        if (
            self.parent_target is not None
            and total > self.parent_target
            and not data.get("confirm_over")
        ):
            self.over_allocation = total - self.parent_target
            self.add_error(
                None,
                _(
                    "下级目标合计 %(total)s 人，超过本级目标任务数 %(parent)s 人（多 %(over)s 人）。"
                    "如确需超额分解，请勾选“确认超额分解”后再保存。"
                )
                % {
                    "total": f"{total:,}",
                    "parent": f"{self.parent_target:,}",
                    "over": f"{total - self.parent_target:,}",
                },
            )
        return data

    def total(self, data=None) -> int:
        """The members targets entered (or stored) for the children, summed."""
        if data is None:
            data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else None
        if data is None:
            return sum(self[f"members_{c.pk}"].initial or 0 for c in self.children)
        return sum(data.get(f"members_{c.pk}") or 0 for c in self.children)

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
