from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """County assessment: checklist items, the social-recognition survey and the problem list."""

    name = "assessment"
    verbose_name = _("县域评估")
    default_auto_field = "django.db.models.BigAutoField"
