from celery import shared_task

from unions import retention


@shared_task
def purge_expired_audit() -> dict:
    """Daily: audit entries past AUDIT_RETENTION_DAYS (never younger than 180 days) and
    Axes' failure records past the same age."""
    return retention.purge()
