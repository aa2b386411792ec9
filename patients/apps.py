from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients and care circle"

    def ready(self) -> None:
        from . import signals

        signals.connect()
