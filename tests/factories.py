import factory
from allauth.account.models import EmailAddress

from patients.models import Membership, Patient, User

PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("first_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    name = factory.Faker("first_name")
    time_zone = "Europe/London"
    conditions = factory.LazyFunction(lambda: ["mg"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    patient = factory.SubFactory(PatientFactory)
    role = Membership.Role.OWNER


def catalog_product(name="Privigen", concentration="10"):
    from decimal import Decimal

    from infusions.catalog import load_catalog
    from infusions.models import Product

    load_catalog(Product)  # idempotent; transactional tests flush the data migration's rows
    return Product.objects.get(
        patient=None, name=name, concentration_percent=Decimal(concentration)
    )


class RegimenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "infusions.Regimen"

    patient = factory.SubFactory(PatientFactory)
    product = factory.LazyFunction(catalog_product)
    indication = "mg"
    dose_g_per_kg = "1"
    course_days = 2
    interval_value = 4
    interval_unit = "weeks"
    usual_site = "home"
    usual_premedication = "Paracetamol 1 g\nCetirizine 10 mg"
    dosing_weight_kg = "68"
    start_date = factory.LazyFunction(lambda: __import__("datetime").date(2026, 1, 1))


class InfusionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "infusions.Infusion"
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    product = factory.LazyFunction(catalog_product)
    date = factory.LazyFunction(lambda: __import__("datetime").date(2026, 11, 2))
    dose_g = "35"
    weight_kg = "68"
    volume_ml = "350"
    site = "home"

    @factory.post_generation
    def regroup(self, create, extracted, **kwargs):
        # As the infusion form does: regroup the courses, then tell the other apps.
        if create:
            from infusions.courses import regroup
            from infusions.models import Infusion
            from infusions.signals import infusion_recorded

            regroup(self.patient)
            self.refresh_from_db()
            infusion_recorded.send(
                sender=Infusion, patient=self.patient, infusion=self, deleted=False
            )
