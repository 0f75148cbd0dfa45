"""Writes on accounts and the union tree. Each function re-checks the access rule
itself, so a forged form cannot widen what the caller may touch."""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from unions import audit
from unions.access import assignable_roles, below_root_for, union_in_scope
from unions.models import AuditEntry, Union, User

# No 0/O, 1/l/I: the password is read off paper and typed in.
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # noqa: S105


def generate_password(user: User | None = None) -> str:
    """A 14-character password in three groups (e.g. `Kp7m-x3Qa-9fTz`) that passes
    every configured password validator."""
    while True:
        groups = ["".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
        password = "-".join(groups)
        if not (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            continue
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _check_manageable(actor: User, account: User) -> None:
    if account.is_superuser or account.union is None or not union_in_scope(actor, account.union):
        raise PermissionDenied


def _check_grant(actor: User, union: Union, role: str) -> None:
    if not union_in_scope(actor, union) or role not in assignable_roles(actor):
        raise PermissionDenied


@transaction.atomic
def create_account(
    *,
    actor: User,
    union: Union,
    username: str,
    role: str,
    full_name: str = "",
    request: HttpRequest | None = None,
) -> tuple[User, str]:
    """Open an account for `union` (own or below) with a role no higher than the
    actor's. Returns the account and its initial password, which is stored only hashed."""
    _check_grant(actor, union, role)
    account = User(
        username=username,
        first_name=full_name,
        union=union,
        role=role,
        is_staff=False,
        is_superuser=False,
        must_change_password=True,
        created_by=actor,
    )
    password = generate_password(account)
    account.set_password(password)
    account.save()
    audit.record(
        AuditEntry.Action.ACCOUNT_CREATED,
        request=request,
        actor=actor,
        union=union,
        obj=account,
        detail={"role": account.get_role_display()},
    )
    return account, password


@transaction.atomic
def update_account(
    *,
    actor: User,
    account: User,
    union: Union,
    role: str,
    full_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Change an account's union, role or name. Nobody changes their own union or role."""
    _check_manageable(actor, account)
    _check_grant(actor, union, role)
    if account.pk == actor.pk and (union.pk != account.union_id or role != account.role):
        raise PermissionDenied
    changes = {}
    if union.pk != account.union_id:
        changes["所属工会"] = [account.union.name, union.name]
    if role != account.role:
        changes["角色"] = [str(account.get_role_display()), str(User.Role(role).label)]
    if full_name != account.first_name:
        changes["姓名"] = [account.first_name, full_name]
    account.union, account.role, account.first_name = union, role, full_name
    account.save(update_fields=["union", "role", "first_name"])
    if changes:
        audit.record(
            AuditEntry.Action.ACCOUNT_CHANGED,
            request=request,
            actor=actor,
            union=union,
            obj=account,
            detail=changes,
        )
    return account


@transaction.atomic
def reset_password(*, actor: User, account: User, request: HttpRequest | None = None) -> str:
    """Give `account` a new generated password that must be changed at next login.
    Its open sessions end (the session hash changes) and any lockout is lifted."""
    from axes.utils import reset as axes_reset

    _check_manageable(actor, account)
    if account.pk == actor.pk:
        raise PermissionDenied
    password = generate_password(account)
    account.set_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    axes_reset(username=account.username)
    audit.record(
        AuditEntry.Action.ACCOUNT_RESET,
        request=request,
        actor=actor,
        union=account.union,
        obj=account,
    )
    return password


@transaction.atomic
def set_account_active(
    *, actor: User, account: User, active: bool, request: HttpRequest | None = None
) -> User:
    """Switch an account off (staff left the post) or on again. Takes effect at the
    account's next request; nobody switches themselves off."""
    _check_manageable(actor, account)
    if account.pk == actor.pk:
        raise PermissionDenied
    if account.is_active != active:
        account.is_active = active
        account.save(update_fields=["is_active"])
        audit.record(
            AuditEntry.Action.ACCOUNT_ENABLED if active else AuditEntry.Action.ACCOUNT_DISABLED,
            request=request,
            actor=actor,
            union=account.union,
            obj=account,
        )
    return account


# ---- the union tree -------------------------------------------------------------------
#
# django-mptt rewrites lft/rght of a whole tree on every insert and move, from the values
# it holds in memory. Two such writes at once corrupt the tree, so each takes a row lock
# on the tree's root first and re-reads the nodes it works from once it holds the lock.

UNION_FIELDS = (
    "name",
    "kind",
    "credit_code",
    "founded_on",
    "term_ends_on",
    "chair",
    "phone",
    "address",
    "staff_count",
    "female_staff_count",
)


def _lock_tree(tree_id: int) -> None:
    list(
        Union.objects.select_for_update()
        .filter(tree_id=tree_id, parent__isnull=True)
        .values_list("pk", flat=True)
    )


def _fresh(union: Union) -> Union:
    return Union.objects.get(pk=union.pk)


@transaction.atomic
def create_union(
    *, actor: User, parent: Union, request: HttpRequest | None = None, **fields
) -> Union:
    """A new union directly below `parent` (the actor's own union or one below it)."""
    _lock_tree(parent.tree_id)
    parent = _fresh(parent)
    if not union_in_scope(actor, parent):
        raise PermissionDenied
    union = Union(parent=parent, **{k: v for k, v in fields.items() if k in UNION_FIELDS})
    union.credit_code = union.credit_code or None
    union.save()
    audit.record(
        AuditEntry.Action.UNION_CREATED,
        request=request,
        actor=actor,
        union=union,
        obj=union,
        detail={"上级工会": union.parent.name},
    )
    return union


@transaction.atomic
def update_union(
    *, actor: User, union: Union, request: HttpRequest | None = None, **fields
) -> Union:
    """Edit a union's own information (its place in the tree changes only by moving)."""
    _lock_tree(union.tree_id)
    union = _fresh(union)
    if not union_in_scope(actor, union):
        raise PermissionDenied
    changes = {}
    for name in UNION_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "credit_code":
            value = value or None
        old = getattr(union, name)
        if old != value:
            changes[str(Union._meta.get_field(name).verbose_name)] = [
                "" if old is None else str(old),
                "" if value is None else str(value),
            ]
            setattr(union, name, value)
    if changes:
        union.save()  # a new name also re-sorts it among its siblings
        audit.record(
            AuditEntry.Action.UNION_CHANGED,
            request=request,
            actor=actor,
            union=union,
            obj=union,
            detail=changes,
        )
    return union


@transaction.atomic
def move_union(
    *, actor: User, union: Union, new_parent: Union, request: HttpRequest | None = None
) -> Union:
    """Put `union` (strictly below the actor's own union) under `new_parent`
    (inside the actor's subtree, not the union itself nor one of its descendants)."""
    _lock_tree(union.tree_id)
    union, new_parent = _fresh(union), _fresh(new_parent)
    if not below_root_for(actor).filter(pk=union.pk).exists():
        raise PermissionDenied
    if not union_in_scope(actor, new_parent):
        raise PermissionDenied
    if new_parent.is_descendant_of(union, include_self=True):
        raise ValidationError(_("不能把工会调整到它自己或它的下级工会之下。"))
    old_parent = union.parent
    if old_parent.pk == new_parent.pk:
        return union
    union.parent = new_parent
    union.save()
    audit.record(
        AuditEntry.Action.UNION_MOVED,
        request=request,
        actor=actor,
        union=union,
        obj=union,
        detail={"原上级工会": old_parent.name, "新上级工会": new_parent.name},
    )
    return _fresh(union)
