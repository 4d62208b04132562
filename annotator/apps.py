from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers our deployment checks with Django's check framework.
        from .deployment import checks  # noqa: F401
