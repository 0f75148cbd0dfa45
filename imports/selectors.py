"""Reads for the collection pages, all narrowed by the access rule."""

from django.db.models import Count, QuerySet

from imports.models import ImportJob
from unions import access
from unions.models import Union, User


def jobs_for(user: User) -> QuerySet:
    """Import jobs of the unions the user may see."""
    return access.scope(
        user, ImportJob.objects.select_related("union", "uploader"), "union"
    ).order_by("-created_at", "-id")


def earlier_same_file(job: ImportJob) -> ImportJob | None:
    """The latest earlier upload of exactly this file for the same union."""
    return (
        ImportJob.objects.filter(union=job.union, sha256=job.sha256, pk__lt=job.pk)
        .order_by("-pk")
        .first()
    )


def problem_codes(job: ImportJob) -> list[tuple[str, int]]:
    """(code, how many) of the job's problems, most frequent first."""
    rows = job.problems.values("code").annotate(n=Count("id")).order_by("-n", "code")
    return [(row["code"], row["n"]) for row in rows]


def may_import(user: User, kind: str = ImportJob.Kind.MEMBERS) -> bool:
    """Members: admins and collectors. The organisation sheet creates unions: admins only."""
    if kind == ImportJob.Kind.UNIONS:
        return user.is_active and user.is_union_admin
    return user.is_active and user.can_edit_members


def may_import_into(user: User, union: Union, kind: str = ImportJob.Kind.MEMBERS) -> bool:
    return may_import(user, kind) and union.is_active and access.union_in_scope(user, union)


def may_see_personal_data(user: User) -> bool:
    """Uploaded sheets, error reports and exports hold full ID numbers: editors only."""
    return user.is_active and user.can_edit_members
