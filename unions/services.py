"""Writes on accounts and the union tree. Each function re-checks the access rule
itself, so a forged form cannot widen what the caller may touch."""

import dataclasses
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from unions import audit, rollups, terms
from unions.access import assignable_roles, union_in_scope, user_root
from unions.models import AuditEntry, Union, Unit, User

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
def unlock_account(*, actor: User, account: User, request: HttpRequest | None = None) -> int:
    """Lift every login lock on `account` (account-wide and per address); audited with
    the locks that were in force. Returns how many attempt records were cleared."""
    from axes.utils import reset as axes_reset

    from unions import lockout

    _check_manageable(actor, account)
    locks = lockout.account_locks(account.username)
    cleared = axes_reset(username=account.username)
    audit.record(
        AuditEntry.Action.ACCOUNT_UNLOCKED,
        request=request,
        actor=actor,
        union=account.union,
        obj=account,
        detail={
            "rule": locks[0].rule if locks else "",
            "addresses": [lock.ip_address for lock in locks if lock.ip_address],
        },
    )
    return cleared


@transaction.atomic
def reset_second_factor(*, actor: User, account: User, request: HttpRequest | None = None) -> bool:
    """Remove the account's authenticator and recovery codes (a lost phone); it enrols
    again at its next login if it must use a second factor. Audited. Nobody resets
    their own: that would let a stolen password undo the second factor."""
    from unions import mfa

    _check_manageable(actor, account)
    if account.pk == actor.pk:
        raise PermissionDenied
    removed = mfa.remove_devices(account)
    audit.record(
        AuditEntry.Action.MFA_RESET, request=request, actor=actor, union=account.union, obj=account
    )
    return bool(removed)


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
# This module is the only writer of unions: the pages, the organisation-sheet import and
# the /ops/ admin all come through here, so every create, move and switch-off is locked
# and audited (one entry per union) the same way.

UNION_FIELDS = (
    "name",
    "kind",
    "credit_code",
    "founded_on",
    "elected_on",
    "term_years",
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


def _lock_all_trees() -> None:
    """An operator's import may touch any tree or start a new one: lock every root."""
    list(
        Union.objects.select_for_update()
        .filter(parent__isnull=True)
        .order_by("tree_id")
        .values_list("pk", flat=True)
    )


def _fresh(union: Union) -> Union:
    return Union.objects.get(pk=union.pk)


def reach_of(actor: User | None) -> Union | None:
    """The top of what `actor` may change: their union, or None (the whole registry) for
    a platform operator or a command run without an account."""
    if actor is None or (actor.is_superuser and not actor.union_id):
        return None
    root = user_root(actor)
    if root is None:
        raise PermissionDenied
    return root


def _check_within(root: Union | None, union: Union) -> None:
    if root is not None and not root.contains(union):
        raise PermissionDenied


def _audit_union(action, union, *, by, request, detail) -> None:
    audit.record(action, request=request, actor=by, union=union, obj=union, detail=detail)


def _clean_fields(fields: dict) -> dict:
    fields = {k: v for k, v in fields.items() if k in UNION_FIELDS}
    if "credit_code" in fields:
        fields["credit_code"] = fields["credit_code"] or None
    return fields


def _create(parent: Union | None, fields: dict, *, by, request) -> Union:
    """Insert under `parent` (fresh, tree locked by the caller); audited."""
    union = Union(parent=parent, **_with_term_end(Union(), _clean_fields(fields)))
    union.save()
    _audit_union(
        AuditEntry.Action.UNION_CREATED,
        union,
        by=by,
        request=request,
        detail={"上级工会": parent.name if parent else ""},
    )
    return union


def _with_term_end(union: Union, fields: dict) -> dict:
    """A term of office in years and its start give the end date (届满日期); a sheet that
    gives only an end date keeps it."""
    if not any(name in fields for name in TERM_FIELDS):
        return fields
    values = {name: fields.get(name, getattr(union, name, None)) for name in TERM_FIELDS}
    end = terms.computed_end(**values)
    if end is not None:
        fields = {**fields, "term_ends_on": end}
    return fields


TERM_FIELDS = ("founded_on", "elected_on", "term_years")


def _change(union: Union, fields: dict, *, by, request, action=None) -> dict:
    """Set `fields` on `union` (fresh, tree locked); audited when anything changed."""
    changes = {}
    for name, value in _with_term_end(union, _clean_fields(fields)).items():
        old = getattr(union, name)
        if old != value:
            changes[str(Union._meta.get_field(name).verbose_name)] = [
                "" if old is None else str(old),
                "" if value is None else str(value),
            ]
            setattr(union, name, value)
    if changes:
        union.save()  # a new name also re-sorts it among its siblings
        _audit_union(
            action or AuditEntry.Action.UNION_CHANGED,
            union,
            by=by,
            request=request,
            detail=changes,
        )
    return changes


def _move(union: Union, new_parent: Union, *, root: Union | None, by, request) -> bool:
    """Put `union` under `new_parent` (both fresh, tree locked); audited. The top of the
    mover's reach stays where it is: only its superior moves it."""
    if root is not None and union.pk == root.pk:
        raise PermissionDenied
    _check_within(root, union)
    _check_within(root, new_parent)
    if new_parent.tree_id == union.tree_id and union.contains(new_parent):
        raise ValidationError(_("不能把工会调整到它自己或它的下级工会之下。"))
    old_parent = union.parent
    if old_parent is not None and old_parent.pk == new_parent.pk:
        return False
    rollups.detach(union)  # the subtree's members leave the old ancestors' figures
    union.parent = new_parent
    union.save()
    rollups.attach(union)  # and join the new ones
    _audit_union(
        AuditEntry.Action.UNION_MOVED,
        union,
        by=by,
        request=request,
        detail={"原上级工会": old_parent.name if old_parent else "", "新上级工会": new_parent.name},
    )
    return True


@transaction.atomic
def create_union(
    *, actor: User | None, parent: Union | None, request: HttpRequest | None = None, **fields
) -> Union:
    """A new union directly below `parent` (the actor's own union or one below it).
    Only a platform operator starts a new tree (no parent)."""
    # The actor's reach is read once the lock is held: another writer may have renumbered
    # the tree (lft/rght) since any earlier read.
    if parent is None:
        _lock_all_trees()
        if reach_of(actor) is not None:
            raise PermissionDenied
    else:
        _lock_tree(parent.tree_id)
        parent = _fresh(parent)
        _check_within(reach_of(actor), parent)
    return _create(parent, fields, by=actor, request=request)


@transaction.atomic
def update_union(
    *, actor: User | None, union: Union, request: HttpRequest | None = None, **fields
) -> Union:
    """Edit a union's own information (its place in the tree changes only by moving)."""
    _lock_tree(union.tree_id)
    union = _fresh(union)
    _check_within(reach_of(actor), union)
    _change(union, fields, by=actor, request=request)
    return union


@transaction.atomic
def record_election(
    *,
    actor: User | None,
    union: Union,
    elected_on,
    chair: str,
    term_years: int | None = None,
    request: HttpRequest | None = None,
) -> Union:
    """换届: a new term from `elected_on` with a new chair (and, when given, a new length
    of term); the end date follows. One audit entry (换届) with old → new."""
    if elected_on > timezone.localdate():
        raise ValidationError(_("换届日期不能晚于今天。"))
    _lock_tree(union.tree_id)
    union = _fresh(union)
    _check_within(reach_of(actor), union)
    fields = {"elected_on": elected_on, "chair": chair}
    if term_years:
        fields["term_years"] = term_years
    _change(union, fields, by=actor, request=request, action=AuditEntry.Action.UNION_ELECTION)
    return union


@transaction.atomic
def move_union(
    *, actor: User | None, union: Union, new_parent: Union, request: HttpRequest | None = None
) -> Union:
    """Put `union` (strictly below the actor's own union) under `new_parent`
    (inside the actor's subtree, not the union itself nor one of its descendants)."""
    _lock_tree(union.tree_id)
    if new_parent.tree_id != union.tree_id:
        _lock_tree(new_parent.tree_id)
    union, new_parent = _fresh(union), _fresh(new_parent)
    _move(union, new_parent, root=reach_of(actor), by=actor, request=request)
    return _fresh(union)


@transaction.atomic
def set_union_active(
    *, actor: User | None, union: Union, active: bool, request: HttpRequest | None = None
) -> Union:
    """Switch a union off (撤销, merged away) or on again; audited. The actor's own union
    is switched off only by its superior, and not while live unions remain below it:
    they are moved or switched off first, so nothing live hangs under a dead node.
    Members of a switched-off union stop counting (docs/progress.md) until transferred."""
    _lock_tree(union.tree_id)
    union = _fresh(union)
    root = reach_of(actor)
    _check_within(root, union)
    if root is not None and union.pk == root.pk:
        raise PermissionDenied
    if union.is_active == active:
        return union
    if not active:
        live = union.get_children().filter(is_active=True).count()
        if live:
            raise ValidationError(
                _("“%(union)s”下还有 %(n)d 个有效的下级工会，请先调整或停用下级工会。")
                % {"union": union.name, "n": live}
            )
    elif union.parent is not None and not union.parent.is_active:
        raise ValidationError(_("上级工会已停用，请先启用上级工会或调整隶属关系。"))
    union.is_active = active
    union.save(update_fields=["is_active", "updated_at"])
    _audit_union(
        AuditEntry.Action.UNION_ENABLED if active else AuditEntry.Action.UNION_DISABLED,
        union,
        by=actor,
        request=request,
        detail={},
    )
    return union


def link_unit(union: Union, values: dict) -> Unit:
    """The work unit `union` covers (一码一单位: found by credit code, else by name among
    the union's units), created or updated with `values`."""
    unit = None
    if values.get("credit_code"):
        unit = Unit.objects.filter(credit_code=values["credit_code"]).first()
    if unit is None and values.get("name"):
        unit = union.units.filter(name=values["name"]).first()
    if unit is None:
        unit = Unit.objects.create(**values)
    else:
        changed = [k for k, v in values.items() if getattr(unit, k) != v]
        for key in changed:
            setattr(unit, key, values[key])
        if changed:
            unit.save()
    union.units.add(unit)
    return unit


@dataclasses.dataclass
class SheetRow:
    """One union of an organisation sheet, as the import engine checked it.

    `existing_id`: the union it updates (None: a new one); the parent is `parent_id` or,
    for a parent listed in the same sheet, `parent_row` (that row's `key`)."""

    key: object
    fields: dict
    existing_id: int | None = None
    parent_id: int | None = None
    parent_row: object = None
    unit: dict = dataclasses.field(default_factory=dict)


@transaction.atomic
def apply_union_sheet(
    rows: list[SheetRow],
    *,
    root: Union | None,
    by: User | None,
    filename: str = "",
    counts: dict | None = None,
) -> dict[object, Union]:
    """Create, update and move the unions of an organisation sheet inside `root`'s
    subtree (None: the whole registry, for operators), parents before children, under
    the tree lock; one audit entry per union created, changed or moved and one for the
    import with its counts. Anything outside `root` refuses the whole sheet."""
    if root is None:
        _lock_all_trees()
    else:
        _lock_tree(root.tree_id)
        root = _fresh(root)
    done: dict[object, Union] = {}
    for row in rows:
        parent = None
        if row.parent_row is not None:
            parent = _fresh(done[row.parent_row])
        elif row.parent_id is not None:
            parent = Union.objects.get(pk=row.parent_id)
        if row.existing_id is None:
            if parent is None and root is not None:
                raise PermissionDenied
            if parent is not None:
                _check_within(root, parent)
            union = _create(parent, row.fields, by=by, request=None)
        else:
            union = Union.objects.get(pk=row.existing_id)
            _check_within(root, union)
            _change(union, row.fields, by=by, request=None)
            if parent is not None and parent.pk != union.parent_id:
                _move(_fresh(union), parent, root=root, by=by, request=None)
                union = _fresh(union)
        if row.unit:
            link_unit(union, row.unit)
        done[row.key] = union
    audit.record(
        AuditEntry.Action.IMPORT_COMMITTED,
        actor=by,
        union=root if root is not None else getattr(by, "union", None),
        object_repr=filename,
        detail={"kind": "unions", "file": filename, **(counts or {})},
    )
    return done
