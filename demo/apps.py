from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county (`manage.py seed_demo`), built through the services of every app; no app
    imports it."""

    name = "demo"
