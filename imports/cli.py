"""What the import commands share: finding the union and the acting account, printing."""

import json

from django.core.management.base import CommandError

from imports.engine import ImportSummary
from members.codes import normalize_key
from unions.access import union_in_scope
from unions.models import Union, User


def find_union(ref: str) -> Union:
    """A union by its exact name or code (credit code or system code)."""
    text = (ref or "").strip()
    matches = list(Union.objects.filter(name=text)[:3])
    if not matches:
        code = normalize_key(text)
        matches = list(Union.objects.filter(credit_code=code)[:1]) or list(
            Union.objects.filter(system_code=code)[:1]
        )
    if not matches:
        raise CommandError(f"找不到名称或编码为“{text}”的工会。")
    if len(matches) > 1:
        raise CommandError(
            f"名称“{text}”对应多个工会，请改用工会编码（统一社会信用代码或系统赋码）。"
        )
    return matches[0]


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


def emit(command, summary: ImportSummary, *, as_json: bool) -> None:
    if as_json:
        command.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False))
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
