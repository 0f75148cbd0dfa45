from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from unions import views as union_views

admin.site.site_header = "工会两库 · 平台运维"
admin.site.site_title = "工会两库"

urlpatterns = [
    path("", union_views.home, name="home"),
    path("login/", union_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", union_views.PasswordChangeView.as_view(), name="password_change"),
    path("ops/", admin.site.urls),
    path("progress/", include("unions.progress_urls", namespace="progress")),
    path("members/", include("members.urls", namespace="members")),
    path("", include("unions.urls", namespace="unions")),
    path("collect/", include("imports.urls", namespace="imports")),
]
