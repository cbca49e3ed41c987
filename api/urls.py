"""/api/v1/: one router over the apps' viewsets, the OpenAPI schema and its documentation page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from indicators.api import ProfileViewSet, ResultViewSet
from plans.api import PlanViewSet, ProgressViewSet
from schools.api import DistrictViewSet, SchoolViewSet, StatisticsViewSet

router = DefaultRouter()
router.include_format_suffixes = False  # JSON only: one URL per resource
router.register("districts", DistrictViewSet, basename="district")
router.register("schools", SchoolViewSet, basename="school")
router.register("statistics", StatisticsViewSet, basename="statistics")
router.register("profiles", ProfileViewSet, basename="profile")
router.register("results", ResultViewSet, basename="result")
router.register("plans", PlanViewSet, basename="plan")
router.register("progress", ProgressViewSet, basename="progress")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api:schema"), name="docs"),
]
