"""Add a diary of several years (five by default) to a user's diaries, for measuring speed.

``manage.py seed_bench`` gives the demo user (run ``seed_demo`` first) a diary named "Five years"
with 65 courses, 5,000 side-effect entries and 1,500 measures (``reports.bench_data``), in a few
seconds. It refuses to run in production, like ``seed_demo``.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from patients.demo import DEMO_EMAIL
from patients.models import User
from reports import bench_data


class Command(BaseCommand):
    help = "Add a diary of several years of data to a user's diaries (default: the demo user)."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--email", default=DEMO_EMAIL, help="whose diary it is")
        parser.add_argument("--name", default="", help='default: "Five years" and so on')
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="print only the new diary's id and name, as JSON",
        )

    def handle(self, *args, years: int, email: str, name: str, as_json: bool, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_bench does not run in production (DJANGO_ENV=production).")
        if years < 1:
            raise CommandError("--years must be at least 1.")
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No user {email}: run seed_demo first, or give --email.")
        name = name or ("One year" if years == 1 else f"{_words(years)} years")
        patient = bench_data.create_diary(user, name, years=years)
        courses, side_effects, measures = bench_data.sizes(years)
        if as_json:
            self.stdout.write(json.dumps({"patient": patient.public_id, "name": patient.name}))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Diary “{patient.name}” ({patient.public_id}) for {email}: {courses} courses, "
                f"{side_effects} side-effect entries, {measures} measures."
            )
        )


def _words(n: int) -> str:
    names = ["Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]
    return names[n - 2] if 2 <= n <= 10 else str(n)
