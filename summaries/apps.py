from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummariesConfig(AppConfig):
    """Annual work summaries of the county bureau and of each school, drafted from the data."""

    name = "summaries"
    verbose_name = _("年度工作总结")
    default_auto_field = "django.db.models.BigAutoField"
