from django.urls import path

from unions import account_views, audit_views, union_views

app_name = "unions"

urlpatterns = [
    path("accounts/", account_views.account_list, name="account_list"),
    path("accounts/new/", account_views.account_create, name="account_create"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", account_views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/sheet/", account_views.account_sheet, name="account_sheet"),
    path("accounts/<int:pk>/reset/", account_views.account_reset, name="account_reset"),
    path("accounts/<int:pk>/active/", account_views.account_set_active, name="account_set_active"),
    # "unions/" (union_tree) is added in registry/urls.py: its view lives in progress.
    path("unions/new/", union_views.union_create, name="union_create"),
    path("unions/<int:pk>/edit/", union_views.union_edit, name="union_edit"),
    path("unions/<int:pk>/move/", union_views.union_move, name="union_move"),
    path("unions/<int:pk>/election/", union_views.union_election, name="union_election"),
    path("audit/", audit_views.audit_list, name="audit_list"),
]
