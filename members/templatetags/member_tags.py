from django import template

from members.services import field_label as _field_label

register = template.Library()


@register.filter
def field_label(name: str) -> str:
    """A history entry's key as a person reads it: 学历 rather than education."""
    return _field_label(name)
