"""Small pieces the member register's views share."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from unions.access import can_edit_members, unions_for


def require_editor(request) -> None:
    """A thin wrapper on `unions.access.can_edit_members`: 管理员 and 采集员 edit;
    查看 reads masked data only (403 before any object is looked up)."""
    if not can_edit_members(request.user):
        raise PermissionDenied(_("您的账号是“查看”角色，只能查看脱敏信息。"))


# Beyond a 64-bit key the database refuses the number (SQLite raises OverflowError).
LARGEST_KEY = 2**63 - 1


def int_or_none(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= LARGEST_KEY else None


def subtree_unions(request) -> list:
    """The user's subtree in tree order, loaded once per request."""
    return list(unions_for(request.user).order_by("tree_id", "lft"))
