from django.urls import path

from members import export_views, review_views, transfer_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("export/", export_views.member_export, name="export"),
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/status/", export_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("new/", views.member_add, name="add"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/reveal/", views.member_reveal, name="reveal"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/change/", views.member_event, name="event"),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer"),
    path("transfers/<int:pk>/decide/", transfer_views.transfer_decide, name="transfer_decide"),
    path("transfers/<int:pk>/cancel/", transfer_views.transfer_cancel, name="transfer_cancel"),
    path("review/", review_views.review, name="review"),
    path("review/checklist/", review_views.checklist, name="checklist"),
    path("review/confirm/", review_views.confirm, name="confirm"),
]
