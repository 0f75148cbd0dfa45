"""Daily snapshots: each active union's subtree members, for trend lines and "this week"."""

import datetime

from django.db import transaction
from django.utils import timezone

from progress.counts import SubtreeCounts, counted_unions, end_of_day
from progress.models import DailySnapshot
from progress.rollups import current_campaign
from progress.statistics import FIGURES, statistics_sums
from unions.models import Union


@transaction.atomic
def take_daily_snapshots(
    *, on: datetime.date | None = None, from_registration: bool = False
) -> int:
    """Members of every active union's subtree today, by the one subtree counter's rule.
    Running it twice a day keeps one row per union.

    `from_registration` rebuilds a past day from registration dates (for back-filling):
    members active now and registered by the end of `on`.

    A day's own snapshot also keeps each subtree's 会员人数统计表 figures (one grouped
    pass over the member table, at night), which reports of large subtrees read.
    """
    on = on or timezone.localdate()
    campaign = current_campaign()
    counts = SubtreeCounts(registered_before=end_of_day(on) if from_registration else None)
    statistics = None if from_registration else statistics_sums(None, year=on.year)
    unions = counted_unions(Union.objects.all()).values_list("pk", "tree_id", "lft", "rght")
    DailySnapshot.objects.filter(on=on).delete()
    rows = DailySnapshot.objects.bulk_create(
        [
            DailySnapshot(
                on=on,
                union_id=pk,
                campaign=campaign,
                members=counts.members_in(tree, lft, rght),
                statistics={}
                if statistics is None
                else dict(zip(FIGURES, statistics.span(tree, lft, rght), strict=True)),
            )
            for pk, tree, lft, rght in unions.order_by("tree_id", "lft").iterator(chunk_size=5000)
        ],
        batch_size=2000,
    )
    return len(rows)
