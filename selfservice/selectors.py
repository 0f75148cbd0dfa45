"""Reads for the officers' side of self-service, narrowed by the access rule."""

from selfservice.models import Application, CorrectionRequest
from unions.access import scope


def applications_for(user):
    return scope(user, Application.objects.all(), "union").select_related("union")


def corrections_for(user):
    return scope(user, CorrectionRequest.objects.all(), "union").select_related("union", "member")
