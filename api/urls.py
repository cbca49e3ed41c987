"""/api/v1/: one router over the apps' viewsets, the OpenAPI schema and its documentation page."""

from collections.abc import Mapping

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import AnonRateThrottle

from assessment.problems.api import ProblemViewSet
from assessment.survey.api import SurveyViewSet
from audit.api import AuditEventViewSet
from city.api import CityViewSet
from core import auth, net
from indicators.api import ProfileViewSet, ResultViewSet
from planner.api import PlannerViewSet
from plans.api import PlanViewSet, ProgressViewSet
from reports.api import ReportJobViewSet
from scenarios.api import ScenarioViewSet
from schools.api import DistrictViewSet, SchoolViewSet, StatisticsViewSet


class TokenThrottle(AnonRateThrottle):
    scope = "token"

    def get_ident(self, request: Request) -> str:
        return net.client_address(request)  # the address the lockout uses (TRUSTED_PROXY_COUNT)


class ThrottledObtainAuthToken(ObtainAuthToken):
    """POST username and password for an API token; rate-limited and locked out like the login page."""

    throttle_classes = [TokenThrottle]

    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        body = request.data if isinstance(request.data, Mapping) else {}  # a JSON list: the serializer's 400
        username = str(body.get("username", ""))
        if auth.is_locked(request, username):
            return Response({"detail": auth.locked_message()}, status=429)
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            auth.record_address_failure(request)  # Axes has counted the username's failure
            if auth.is_locked(request, username):
                return Response({"detail": auth.locked_message()}, status=429)
            raise


router = DefaultRouter()
router.include_format_suffixes = False  # JSON only: one URL per resource
router.register("districts", DistrictViewSet, basename="district")
router.register("schools", SchoolViewSet, basename="school")
router.register("statistics", StatisticsViewSet, basename="statistics")
router.register("profiles", ProfileViewSet, basename="profile")
router.register("results", ResultViewSet, basename="result")
router.register("plans", PlanViewSet, basename="plan")
router.register("progress", ProgressViewSet, basename="progress")
router.register("audit", AuditEventViewSet, basename="audit")
router.register("reports", ReportJobViewSet, basename="report")
router.register("problems", ProblemViewSet, basename="problem")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("city", CityViewSet, basename="city")
router.register("planner", PlannerViewSet, basename="planner")
router.register("scenarios", ScenarioViewSet, basename="scenario")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", ThrottledObtainAuthToken.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the sidecar, its script a file of its own (no inline script under the CSP) and
    # nothing fetched from outside (Redoc's bundle loads Google Fonts and a logo from its CDN).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
