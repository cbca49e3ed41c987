"""REST API of the survey results (/api/v1/surveys/): the figures the survey page shows
(assessment.survey.selectors.survey_summary), computed from the answers on every read, for the
caller's districts; individual answers are never exposed."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from assessment.models import Survey
from assessment.survey import selectors as survey_selectors
from core import access


class SurveyResultSerializer(serializers.ModelSerializer[Survey]):
    """A survey's settings and the figures its page shows (sample plan, counts, rate, verdict)."""

    district_code = serializers.CharField(source="district.code", read_only=True)
    results = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "district_code",
            "year",
            "state",
            "closed_at",
            "population",
            "sample_permille",
            "parent_share",
            "threshold",
            "rate_basis",
            "results",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "description": "responses, by_group, by_area, by_questionnaire, target, parents_min, "
            "area_targets, complete, rate (0–1), verdict, verdict_text, missing, tallies "
            "({group: [positive, counted]}) and counts ([group, question, option, n])",
        }
    )
    def get_results(self, survey: Survey) -> dict[str, Any]:
        summary = survey_selectors.survey_summary(survey)
        return {
            **survey_selectors.survey_live(survey, summary),
            "tallies": {group: list(pair) for group, pair in summary.tallies.items()},
            "counts": [list(row) for row in summary.counts],
        }


class SurveyFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")
    year = filters.NumberFilter()
    state = filters.ChoiceFilter(choices=Survey.State.choices)

    class Meta:
        model = Survey
        fields = ["district", "year", "state"]


class SurveyViewSet(viewsets.ReadOnlyModelViewSet[Survey]):
    """社会认可度 surveys of the caller's districts, with their results."""

    serializer_class = SurveyResultSerializer
    filterset_class = SurveyFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Survey]:
        return (
            Survey.objects.filter(district__in=access.district_scope(self.request.user))
            .select_related("district")
            .order_by("district__code", "-year")
        )
