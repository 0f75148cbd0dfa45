"""Reads for the collection pages, all narrowed by the access rule."""

from django.db.models import Count, QuerySet

from imports.models import ImportJob
from unions import access
from unions.models import User


def jobs_for(user: User) -> QuerySet:
    """Import jobs of the unions the user may see."""
    return access.scope(
        user, ImportJob.objects.select_related("union", "uploader"), "union"
    ).order_by("-created_at", "-id")


def earlier_same_file(job: ImportJob) -> ImportJob | None:
    """The latest earlier upload of exactly this file for the same union."""
    return (
        ImportJob.objects.filter(union=job.union, kind=job.kind, sha256=job.sha256, pk__lt=job.pk)
        .order_by("-pk")
        .first()
    )


def problem_codes(job: ImportJob) -> list[tuple[str, int]]:
    """(code, how many) of the job's problems, most frequent first."""
    rows = job.problems.values("code").annotate(n=Count("id")).order_by("-n", "code")
    return [(row["code"], row["n"]) for row in rows]
