from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "diary"

    def ready(self) -> None:
        from . import signals  # noqa: F401
