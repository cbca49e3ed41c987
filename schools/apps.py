from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    """The school registry, annual statistics and their workflow."""

    name = "schools"

    def ready(self) -> None:
        # core's template tags show this app's labels without importing it (core/labels.py).
        from core import labels
        from schools.fields import display_label
        from schools.models import Status

        labels.register(display_label=display_label, status_labels=dict(Status.choices))
