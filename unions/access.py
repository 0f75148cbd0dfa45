"""The one access rule: a user sees their own union's subtree and nothing else.

Every query for unions, members, accounts, jobs, targets and audit entries goes
through a helper here. Objects outside the subtree answer 404, exactly like
objects that do not exist, so nobody can probe for a sibling's data.
Platform operators (superusers) see everything, but only through the Django admin.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from unions.models import AuditEntry, Union, User


def subtree_q(root: Union, prefix: str = "") -> Q:
    """Q selecting `root` and every union below it, through the relation `prefix`."""
    p = f"{prefix}__" if prefix else ""
    return Q(**{f"{p}tree_id": root.tree_id, f"{p}lft__gte": root.lft, f"{p}lft__lte": root.rght})


def user_root(user: User | None) -> Union | None:
    """The top of what `user` may see, read fresh so moves and switch-offs act at once."""
    if user is None or not user.is_authenticated or not user.is_active or not user.union_id:
        return None
    if getattr(user, "_scope_once", False):  # a page being read (`ScopeOncePerRequest`)
        try:
            return user._access_root
        except AttributeError:
            pass
    root = Union.objects.filter(pk=user.union_id, is_active=True).first()
    user._access_root = root  # the latest fresh read, for the vocabulary below
    if root is not None:  # `user.union` (the menu shows it) is that same row
        User.union.field.set_cached_value(user, root)
    return root


def _known_root(user: User) -> Union | None:
    """`user_root`, reusing the latest read made for this user object (a request's user
    lives for one request), so asking the vocabulary several times costs one query."""
    if not user.is_authenticated or not user.is_active or not user.union_id:
        return None
    try:
        return user._access_root
    except AttributeError:
        return user_root(user)


def scope(user: User, queryset: QuerySet, union_field: str | None) -> QuerySet:
    """Narrow `queryset` to the user's subtree; `union_field` is the path to a Union
    (None when the queryset is of unions themselves)."""
    root = user_root(user)
    if root is None:
        return queryset.none()
    return queryset.filter(subtree_q(root, union_field or ""))


def unions_for(user: User) -> QuerySet:
    return scope(user, Union.objects.all(), None)


def accounts_for(user: User) -> QuerySet:
    return scope(user, User.objects.filter(is_superuser=False), "union")


def audit_for(user: User) -> QuerySet:
    return scope(user, AuditEntry.objects.all(), "union")


def get_in_scope(queryset: QuerySet, **lookup) -> Model:
    """Like get_object_or_404 on an already-scoped queryset."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def union_in_scope(user: User, union: Union) -> bool:
    root = user_root(user)
    return bool(root and root.contains(union))


def below_root_for(user: User) -> QuerySet:
    """Unions strictly below the user's own union: the ones they may move."""
    root = user_root(user)
    if root is None:
        return Union.objects.none()
    return unions_for(user).exclude(pk=root.pk)


def assignable_roles(user: User) -> list[str]:
    """Roles `user` may give an account: none ranking above their own."""
    if user_root(user) is None:
        return []
    return [role for role, rank in User.ROLE_RANK.items() if rank <= user.role_rank]


# ---- the access vocabulary: every view, selector, runner and command asks these ----------
#
# Roles: 管理员 manages accounts and unions and edits members; 采集员 edits members and
# imports rosters; 查看 reads masked data only. Each question also needs an active account
# of a live union (`user_root`), and, where a union is named, that union in the subtree.


def _root_with_role(user: User, *roles: str) -> Union | None:
    """The user's live root when they hold one of `roles`, else None."""
    if not user.is_authenticated or user.role not in roles:
        return None
    return _known_root(user)


def _allowed(root: Union | None, union: Union | None) -> bool:
    return root is not None and (union is None or root.contains(union))


def can_edit_members(user: User, union: Union | None = None) -> bool:
    """Register, edit and change the membership of members (of `union`, when given)."""
    return _allowed(_root_with_role(user, User.Role.ADMIN, User.Role.COLLECTOR), union)


def can_see_personal_data(user: User) -> bool:
    """Full ID numbers and phones: uploaded sheets, error reports, unmasked exports."""
    return _allowed(_root_with_role(user, User.Role.ADMIN, User.Role.COLLECTOR), None)


def can_manage_accounts(user: User, union: Union | None = None) -> bool:
    """Open, change, reset and switch off accounts, and build the union tree below."""
    return _allowed(_root_with_role(user, User.Role.ADMIN), union)


IMPORT_KINDS_FOR_ROLE = {
    User.Role.ADMIN: {"members", "unions", "reconcile"},
    User.Role.COLLECTOR: {"members", "reconcile"},
}


def can_import(user: User, union: Union | None = None, kind: str = "members") -> bool:
    """Upload a sheet of `kind` ("members": rosters; "unions": the organisation sheet,
    which creates unions, so admins only; "reconcile": an outside list to compare with the
    registry) into `union` (live, in the subtree) when given."""
    if not user.is_authenticated or kind not in IMPORT_KINDS_FOR_ROLE.get(user.role, ()):
        return False
    if union is not None and not union.is_active:
        return False
    return _allowed(_known_root(user), union)


def permission_required(test, message: str | None = None):
    """View decorator on a vocabulary question `test(user)`: anonymous → login page;
    an account for which it is false → 403. Objects are then looked up through the
    helpers above (→ 404), so the 403 never depends on the object."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_required = permission_required(can_manage_accounts)
