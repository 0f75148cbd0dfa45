from django.urls import path

from unions import account_views, audit_views, mfa_views, pledge_views, union_views

app_name = "unions"

urlpatterns = [
    path("accounts/", account_views.account_list, name="account_list"),
    path("accounts/new/", account_views.account_create, name="account_create"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", account_views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/sheet/", account_views.account_sheet, name="account_sheet"),
    path("accounts/<int:pk>/reset/", account_views.account_reset, name="account_reset"),
    path("accounts/<int:pk>/active/", account_views.account_set_active, name="account_set_active"),
    path("accounts/<int:pk>/unlock/", account_views.account_unlock, name="account_unlock"),
    path("accounts/<int:pk>/mfa-reset/", account_views.account_mfa_reset, name="account_mfa_reset"),
    path("mfa/", mfa_views.mfa_overview, name="mfa_overview"),
    path("mfa/setup/", mfa_views.mfa_setup, name="mfa_setup"),
    path("mfa/verify/", mfa_views.mfa_verify, name="mfa_verify"),
    path("mfa/codes/", mfa_views.mfa_codes, name="mfa_codes"),
    path("mfa/codes/renew/", mfa_views.mfa_codes_renew, name="mfa_codes_renew"),
    path("pledge/", pledge_views.pledge_page, name="pledge"),
    # "unions/" (union_tree) is added in registry/urls.py: its view lives in progress.
    path("unions/suggest/", union_views.union_suggest, name="union_suggest"),
    path("unions/new/", union_views.union_create, name="union_create"),
    path("unions/<int:pk>/edit/", union_views.union_edit, name="union_edit"),
    path("unions/<int:pk>/move/", union_views.union_move, name="union_move"),
    path("unions/<int:pk>/election/", union_views.union_election, name="union_election"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
]
