from celery import shared_task

from progress.snapshots import take_daily_snapshots


@shared_task
def daily_snapshots() -> int:
    """Once a day (beat); running it again the same day replaces that day's rows."""
    return take_daily_snapshots()
