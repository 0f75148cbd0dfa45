from django.urls import path

from imports import views
from imports.reconcile import views as reconcile_views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("templates/", views.templates, name="templates"),
    path("templates/<slug:kind>.xlsx", views.template_download, name="template_download"),
    path("upload/", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/status/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("jobs/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("jobs/<int:pk>/retry/", views.retry, name="retry"),
    path("jobs/<int:pk>/report.xlsx", views.report, name="report"),
    path("jobs/<int:pk>/file/", views.original, name="original"),
    path("export/", views.export, name="export"),
    path("export/unions.xlsx", views.export_unions, name="export_unions"),
    # 名单比对 (查漏补缺): an outside list compared with the registry
    path("reconcile/", reconcile_views.start, name="reconcile"),
    path("reconcile/<int:pk>/", reconcile_views.job_page, name="reconcile_job"),
    path("reconcile/<int:pk>/result.xlsx", reconcile_views.workbook, name="reconcile_workbook"),
    path("reconcile/<int:pk>/act/", reconcile_views.act, name="reconcile_act"),
]
