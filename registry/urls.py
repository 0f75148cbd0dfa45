from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from progress import views as progress_views
from unions import urls as union_urls
from unions import views as union_views

admin.site.site_header = "工会两库 · 平台运维"
admin.site.site_title = "工会两库"

urlpatterns = [
    path("", progress_views.home, name="home"),
    path("login/", union_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", union_views.PasswordChangeView.as_view(), name="password_change"),
    path("ops/", admin.site.urls),
    path("progress/", include("progress.urls", namespace="progress")),
    path("members/", include("members.urls", namespace="members")),
    # The union tree page shows member counts, which unions/ cannot compute (it imports
    # neither members nor progress): its view lives in progress, its name stays unions:.
    path(
        "",
        include(
            (
                [
                    path("unions/", progress_views.union_tree, name="union_tree"),
                    *union_urls.urlpatterns,
                ],
                union_urls.app_name,
            ),
            namespace="unions",
        ),
    ),
    path("collect/", include("imports.urls", namespace="imports")),
    path("", include("selfservice.urls", namespace="selfservice")),
]
