from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (`manage.py seed_demo`). May use every app; no app uses it."""

    name = "demo"
    verbose_name = "Demo data"
