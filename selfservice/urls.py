"""Public pages (/join/, /me/, /card/) and the officers' pages (/selfservice/)."""

from django.urls import path

from selfservice import officer_views, public_views

app_name = "selfservice"

urlpatterns = [
    # public: reachable without an account (declared so in tests/authz/rules_selfservice.py)
    path("join/verify/", public_views.verify, name="verify"),
    path("join/status/", public_views.status, name="status"),
    path("join/<str:token>/", public_views.apply, name="apply"),
    path("me/", public_views.me, name="me"),
    path("me/confirm/", public_views.me_confirm, name="me_confirm"),
    path("me/correct/", public_views.me_correct, name="me_correct"),
    path("me/leave/", public_views.me_leave, name="me_leave"),
    path("card/", public_views.card, name="card"),
    # officers
    path("card/check/<str:token>/", officer_views.scan, name="scan"),
    path("selfservice/links/", officer_views.links, name="links"),
    path("selfservice/links/<int:pk>/", officer_views.poster, name="poster"),
    path("selfservice/applications/", officer_views.queue, name="queue"),
    path(
        "selfservice/applications/<int:pk>/", officer_views.application_detail, name="application"
    ),
    path(
        "selfservice/applications/<int:pk>/decide/",
        officer_views.application_decide,
        name="application_decide",
    ),
    path("selfservice/corrections/<int:pk>/", officer_views.correction_detail, name="correction"),
    path(
        "selfservice/corrections/<int:pk>/decide/",
        officer_views.correction_decide,
        name="correction_decide",
    ),
]
