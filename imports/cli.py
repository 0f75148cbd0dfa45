"""What the import commands share: finding the union and the acting account, printing."""

import json

from django.core.management.base import CommandError

from imports.engine import FileRejected, ImportSummary
from imports.engine.problems import reading_json
from unions.access import can_import, union_in_scope, user_root
from unions.models import Union, User
from unions.selectors import UnionNotFound, resolve_union


def find_union(ref: str) -> Union:
    """A union by its exact name or code (credit code or system code)."""
    try:
        return resolve_union(ref)
    except UnionNotFound as error:
        raise CommandError(error.message) from None


def find_user(username: str | None, union: Union | None = None) -> User | None:
    """The account the command acts as; None = an operator with full rights over `union`."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"账号“{username}”不存在或已停用。")
    if union is not None and not user.is_superuser and not union_in_scope(user, union):
        raise CommandError(f"账号“{username}”无权操作“{union.name}”。")
    return user


def import_root(user: User | None, union: Union | None, kind: str) -> Union | None:
    """What a command's import may touch: with `--as`, that account's rights (checked
    like an upload, through `can_import`) and its subtree narrowed to `union` for the
    organisation sheet; without `--as`, `union` (None: the whole registry).
    Raises FileRejected (the command prints a rejected summary) when the account may not."""
    if user is None or (user.is_superuser and not user.union_id):
        return union
    if not can_import(user, union, kind):
        if kind == "unions":
            raise FileRejected(f"账号“{user.username}”不是管理员，不能导入工会组织。")
        raise FileRejected(f"账号“{user.username}”没有导入会员的权限（需要管理员或采集员）。")
    if kind == "unions":
        return union or user_root(user)
    return user_root(user)


def emit(command, summary: ImportSummary, *, as_json: bool) -> None:
    if as_json:
        data = summary.as_json()
        data["sheets"] = [reading_json(sheet) for sheet in summary.sheets]
        command.stdout.write(json.dumps(data, ensure_ascii=False))
    else:
        command.stdout.write(summary.message)
        for problem in summary.errors:
            command.stdout.write(
                f"  错误 {problem.sheet} 第{problem.row}行 [{problem.column}] {problem.code}: {problem.message}"
            )
        for problem in summary.warnings:
            command.stdout.write(
                f"  提示 {problem.sheet} 第{problem.row}行 [{problem.column}] {problem.code}: {problem.message}"
            )
    if summary.status == "rejected":
        raise SystemExit(2)
