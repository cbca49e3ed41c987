from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.auth import ThrottledAdminAuthenticationForm, ThrottledLoginView
from schools import views as school_views

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", school_views.home, name="home"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("schools.urls")),
    path("", include("indicators.urls")),
    path("", include("plans.urls")),
    path("", include("reports.urls")),
    path("", include("audit.urls")),
    path("", include("assessment.urls")),
    path("", include("city.urls")),
    path("", include("summaries.urls")),
    path("", include("planner.urls")),
    path("", include("scenarios.urls")),
]
