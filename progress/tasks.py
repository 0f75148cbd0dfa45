from celery import shared_task

from progress.snapshots import take_daily_snapshots


@shared_task
def daily_snapshots() -> int:
    """Once a day (beat); running it again the same day replaces that day's rows."""
    return take_daily_snapshots()


@shared_task
def freeze_control_point(point_id: int) -> None:
    from progress.control_points import freeze
    from progress.models import ControlPoint

    try:
        freeze(point_id)
    except Exception as error:
        ControlPoint.objects.filter(pk=point_id, state=ControlPoint.State.PENDING).update(
            state=ControlPoint.State.FAILED, error_message=type(error).__name__
        )
        raise


@shared_task
def control_points_at_deadline() -> int:
    """Daily (beat, late evening): freeze every tree on the deadline day of a campaign."""
    from progress.control_points import points_at_deadline

    return len(points_at_deadline())
