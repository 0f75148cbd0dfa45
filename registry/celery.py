import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _django_logging(**kwargs):
    """The worker and beat log through Django's LOGGING (and its personal-data filter)
    instead of handlers of Celery's own: task arguments, results and exceptions are
    masked like every other record."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
