from django import template
from django.core.exceptions import FieldDoesNotExist

from members.models import Member

register = template.Library()

EXTRA_LABELS = {"union": "所在工会", "status": "会籍状态"}


@register.filter
def field_label(name: str) -> str:
    """A history entry's key as a person reads it: 学历 rather than education."""
    if name in EXTRA_LABELS:
        return EXTRA_LABELS[name]
    try:
        return str(Member._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name
