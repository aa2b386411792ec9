from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients and care circle"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from . import owners, signals
        from .models import Membership

        signals.connect()
        post_delete.connect(
            owners.refuse_to_remove_the_last_owner,
            sender=Membership,
            dispatch_uid="refuse-to-remove-the-last-owner",
        )
