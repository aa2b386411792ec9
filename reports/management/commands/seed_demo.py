"""Load the demo diary. Safe to run again: it never duplicates what is already there.

It lives in the top app (``reports``) because it composes every layer's demo data; each app
keeps its own ``demo.py`` so the layers still import downward only.

It refuses to run in production (``DJANGO_ENV=production``): the demo accounts' password is
printed here and written in the repository, so anyone could sign in to them.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from diary import demo as diary_demo
from infusions import demo as infusions_demo
from patients import demo as patients_demo


class Command(BaseCommand):
    help = "Create the demo user, caregiver and patient with realistic diary data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds any user (used by `make run`).",
        )

    def handle(self, *args, if_empty: bool = False, **options):
        from patients.models import User

        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo does not run in production (DJANGO_ENV=production): the demo "
                "accounts have a published password, so anyone could sign in to them."
            )
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has accounts; demo data not loaded again.")
        else:
            with transaction.atomic():
                patient = patients_demo.seed_patient()
                owner = patient.memberships.get(is_self=True).user
                infusions_demo.seed(patient, logged_by=owner)
                caregiver = patient.memberships.filter(role="caregiver_editor").first()
                diary_demo.seed(
                    patient,
                    owner=owner,
                    caregiver=caregiver.user if caregiver else None,
                    now=timezone.now(),
                )
            self.stdout.write(self.style.SUCCESS(f"Demo diary ready for {patient.name}."))
        if not User.objects.filter(email=patients_demo.DEMO_EMAIL).exists():
            return
        self.stdout.write(
            f"Sign in as {patients_demo.DEMO_EMAIL} / {patients_demo.DEMO_PASSWORD} (patient) "
            f"or {patients_demo.DEMO_CAREGIVER_EMAIL} / {patients_demo.DEMO_PASSWORD} (caregiver)."
        )
