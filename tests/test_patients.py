import pytest
from django.urls import reverse

from patients.models import Membership, Patient

from .factories import MembershipFactory, PatientFactory, UserFactory

START = reverse("patients:start")


def start_data(**overrides):
    data = {
        "for_whom": "me",
        "name": "Ana",
        "time_zone": "Europe/Madrid",
        "conditions": ["cidp"],
        "weight_unit": "kg",
        "temperature_unit": "C",
    }
    return data | overrides


@pytest.fixture
def newcomer_client(client, db):
    client.force_login(UserFactory())
    return client


def test_it_sends_a_new_account_to_start_a_diary(newcomer_client):
    response = newcomer_client.get(reverse("patients:index"))
    assert response.status_code == 302
    assert response["Location"] == START


def test_it_starts_a_diary_for_myself(newcomer_client):
    response = newcomer_client.post(START, start_data())
    patient = Patient.objects.get(name="Ana")
    assert response.status_code == 302
    assert response["Location"] == reverse("today", args=[patient.public_id])
    membership = patient.memberships.get()
    assert membership.role == Membership.Role.OWNER
    assert membership.is_self
    assert patient.conditions == ["cidp"]
    assert patient.time_zone == "Europe/Madrid"


def test_ones_own_diary_names_its_keeper_unless_named_already(client, db):
    """Browser pass: "logged by tester1" (the start of the email) on entries and the report."""
    from .factories import UserFactory

    unnamed = UserFactory(display_name="", email="tester1@example.com")
    client.force_login(unnamed)
    client.post(START, start_data(name="Tess"))
    unnamed.refresh_from_db()
    assert str(unnamed) == "Tess"
    named = UserFactory(display_name="Ana María")
    client.force_login(named)
    client.post(START, start_data(name="Ana"))
    named.refresh_from_db()
    assert named.display_name == "Ana María"
    carer = UserFactory(display_name="")
    client.force_login(carer)
    client.post(START, start_data(for_whom="other", name="Leo"))
    carer.refresh_from_db()
    assert carer.display_name == ""


def test_it_starts_a_diary_for_someone_i_care_for(newcomer_client):
    newcomer_client.post(START, start_data())
    newcomer_client.post(
        START, start_data(for_whom="other", name="Leo", conditions=["gbs", "other"])
    )
    leo = Patient.objects.get(name="Leo")
    membership = leo.memberships.get()
    assert membership.role == Membership.Role.OWNER
    assert not membership.is_self
    assert leo.condition_labels() == ["Guillain-Barré syndrome", "Other"]


def test_it_refuses_a_second_diary_for_myself(newcomer_client):
    newcomer_client.post(START, start_data())
    response = newcomer_client.post(START, start_data(name="Ana again"))
    assert response.status_code == 200
    assert "You already have a diary for yourself" in response.content.decode()
    assert not Patient.objects.filter(name="Ana again").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "Please enter a name."),
        ("name", "x" * 81, "Use at most 80 characters (you typed 81)."),
        ("time_zone", "Mars/Olympus", "Pick a time zone from the list."),
        ("conditions", ["flu"], "Choose from the options shown."),
        ("weight_unit", "stone", "Choose from the options shown."),
    ],
)
def test_bad_input_gets_a_message_and_keeps_what_was_typed(newcomer_client, field, value, message):
    response = newcomer_client.post(START, start_data(**{field: value}))
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert Patient.objects.count() == 0
    # Everything else the user typed is still there.
    if field != "time_zone":
        assert '<option value="Europe/Madrid" selected>' in body
    if field != "conditions":
        assert 'value="cidp"' in body and "checked" in body


def test_with_several_diaries_it_lists_them_to_switch(db, client):
    user = UserFactory()
    first = MembershipFactory(user=user, patient=PatientFactory(name="Ana"), is_self=True).patient
    second = MembershipFactory(user=user, patient=PatientFactory(name="Leo")).patient
    client.force_login(user)
    response = client.get(reverse("patients:index"))
    assert response["Location"] == reverse("patients:list")
    listing = client.get(reverse("patients:list")).content.decode()
    assert "Ana" in listing and "Leo" in listing
    # Once a diary is opened, the next visit to / goes back to it.
    client.get(reverse("today", args=[second.public_id]))
    assert client.get(reverse("patients:index"))["Location"] == reverse(
        "today", args=[second.public_id]
    )
    home = client.get(reverse("today", args=[first.public_id])).content.decode()
    assert "(switch)" in home  # the switcher links to the list of diaries


def test_the_list_shows_only_my_diaries(patient, owner, stranger_client):
    listing = stranger_client.get(reverse("patients:list")).content.decode()
    assert "Maya" not in listing


def test_the_owner_edits_diary_settings(patient, owner_client):
    url = reverse("patients:settings", args=[patient.public_id])
    response = owner_client.post(
        url,
        {
            "name": "Maya R.",
            "time_zone": "America/New_York",
            "conditions": ["mg", "itp"],
            "weight_unit": "lb",
            "temperature_unit": "F",
        },
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.name, patient.time_zone, patient.weight_unit) == (
        "Maya R.",
        "America/New_York",
        "lb",
    )
    assert patient.conditions == ["mg", "itp"]


def test_settings_keep_typed_values_on_error(patient, owner_client):
    url = reverse("patients:settings", args=[patient.public_id])
    response = owner_client.post(
        url,
        {"name": "Maya R.", "time_zone": "Nowhere", "weight_unit": "kg", "temperature_unit": "C"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Maya R."' in body
    patient.refresh_from_db()
    assert patient.name == "Maya"


def test_home_is_read_only(patient, owner_client):
    response = owner_client.post(reverse("today", args=[patient.public_id]))
    assert response.status_code == 405


def test_landing_page_for_visitors(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "A calm diary for immunoglobulin treatment" in response.content.decode()


def test_the_footer_says_no_medical_advice(patient, owner_client):
    body = owner_client.get(reverse("today", args=[patient.public_id])).content.decode()
    assert "does not give medical advice" in body


def test_public_ids_are_random_and_unique(db):
    ids = {PatientFactory().public_id for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 12 for i in ids)
