"""The progress page's two workbooks (进度通报, 会员人数统计表) as background export jobs.

Registered with `members.export_jobs` at start-up (progress/apps.py), so they share the
member export's jobs: one unfinished job per account, a progress page, an audited
download kept `MEMBER_EXPORT_KEEP_HOURS`, the stall sweep; their reads go to the
replica when there is one. Each writer is the workbook the page used to send at once.
"""

import datetime

from django.utils import timezone

from progress.counts import counted_unions
from progress.export import progress_workbook, statistics_workbook
from progress.models import Campaign
from progress.rollups import current_campaign, snapshot_members, union_progress
from progress.statistics import report_statistics

PROGRESS = "progress"
STATISTICS = "member_statistics"


def write_progress(*, user, union, params) -> bytes:
    ref = params.get("campaign")
    campaign = Campaign.objects.filter(pk=ref).first() if ref else current_campaign()
    progress = union_progress(union, campaign=campaign)
    # The snapshot taken on the last evening of the previous month: this month's growth.
    month_start = snapshot_members(
        [union, *(c.union for c in progress.children)],
        on=progress.today.replace(day=1) - datetime.timedelta(days=1),
    )
    unbuilt = progress.coverage.unbuilt_units(union)
    return progress_workbook(progress, month_start=month_start, unbuilt=unbuilt)


def write_statistics(*, user, union, params) -> bytes:
    year = params.get("year") or timezone.localdate().year
    children = list(counted_unions(union.get_children()).order_by("lft"))
    report = report_statistics(union, children, year=year)
    return statistics_workbook(report.total, report.rows, year=year, as_of=report.as_of)


def register() -> None:
    from members.export_jobs import Report, register_report

    register_report(
        PROGRESS,
        Report(
            title="进度通报",
            write=write_progress,
            filename=lambda union: f"进度通报-{union.name}-{timezone.localdate():%Y%m%d}.xlsx",
        ),
    )
    register_report(
        STATISTICS,
        Report(
            title="会员人数统计表",
            write=write_statistics,
            filename=lambda union: f"会员人数统计表-{union.name}-{timezone.localdate().year}.xlsx",
        ),
    )
