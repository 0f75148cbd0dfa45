from django.urls import path

from progress import views

app_name = "progress"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.union_page, name="union"),
    path("<int:pk>/targets/", views.set_targets, name="set_targets"),
    path("<int:pk>/targets/import/", views.import_targets_upload, name="import_targets"),
    path("<int:pk>/targets.xlsx", views.targets_xlsx, name="targets_xlsx"),
    path("<int:pk>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("<int:pk>/statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("<int:pk>/control-points/", views.control_points, name="control_points"),
    path(
        "<int:pk>/control-points/freeze/",
        views.control_point_freeze,
        name="control_point_freeze",
    ),
    path(
        "<int:pk>/control-points/compare/",
        views.control_point_compare,
        name="control_point_compare",
    ),
    path(
        "<int:pk>/control-points/compare.xlsx",
        views.control_point_compare_xlsx,
        name="control_point_compare_xlsx",
    ),
]
