"""Counts of waiting work for the menu badges (progress.todo), computed only when a
template asks for them."""

from django.utils.functional import SimpleLazyObject

from progress.todo import menu_counts


def todo_counts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.union_id:
        return {}
    return {"todo_counts": SimpleLazyObject(lambda: menu_counts(user))}
