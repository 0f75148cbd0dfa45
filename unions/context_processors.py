"""The access vocabulary for templates: `{% if perms_can_edit %}` and friends.

Each value is a callable, so a template that never asks costs nothing; the vocabulary
reuses the request's reading of the user's union, so asking costs at most one query.
"""

from unions import access


def access_flags(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "perms_can_edit": lambda: access.can_edit_members(user),
        "perms_can_import": lambda: access.can_import(user),
        "perms_can_import_unions": lambda: access.can_import(user, kind="unions"),
        "perms_can_manage": lambda: access.can_manage_accounts(user),
        "perms_can_see_personal": lambda: access.can_see_personal_data(user),
    }
