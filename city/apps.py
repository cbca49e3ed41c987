from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CityConfig(AppConfig):
    """The multi-county overview: the counties a city office or an inspector follows, side by side."""

    name = "city"
    verbose_name = _("区县对比")
    default_auto_field = "django.db.models.BigAutoField"
