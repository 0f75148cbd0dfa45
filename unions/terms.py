"""届期 (terms of office): when a union's term ends, and which unions are due for 换届.

A union's term runs `term_years` from its last 换届 (`elected_on`), else from its founding;
`term_ends_on` holds the end (kept by `unions.services`), or the date a sheet gave.
"""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from unions.access import subtree_q
from unions.models import Union

DUE_WITHIN = datetime.timedelta(days=90)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def computed_end(
    *, founded_on: datetime.date | None, elected_on: datetime.date | None, term_years: int | None
) -> datetime.date | None:
    start = elected_on or founded_on
    if start is None or not term_years:
        return None
    return add_years(start, term_years)


def terms_due(
    root: Union, *, today: datetime.date | None = None, within: datetime.timedelta = DUE_WITHIN
) -> QuerySet:
    """Live unions strictly below `root` whose term has ended or ends within `within`,
    soonest first."""
    today = today or timezone.localdate()
    return (
        Union.objects.filter(subtree_q(root), is_active=True, term_ends_on__lte=today + within)
        .exclude(pk=root.pk)
        .order_by("term_ends_on", "lft")
    )
