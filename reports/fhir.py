"""The diary as a FHIR R4 Bundle (type ``collection``) for a clinic (issue 10 §3).

:func:`bundle` returns a JSON-ready dict, :func:`bundle_json` its UTF-8 bytes. It takes the
patient and local dates (both included), filters by that patient itself, leaves soft-deleted
rows out and runs a fixed number of queries (at most eleven) whatever the size of the diary.

Every resource id is the stable ``uid`` of the record it comes from, never a database key; a
resource made from part of a record (the severity of a side effect, the MG-ADL total, who
logged it) gets a UUID derived from the record's ``uid`` (``uuid5(uid, "<what>")``), so it is
stable too. Every ``fullUrl`` is ``urn:uuid:<id>`` and every reference points at one of them.

What goes where (the choices and their reasons: docs/decisions.md, "FHIR bundle"):

* Patient (``uid``): name, birth date, clinic number; a Condition per treated condition.
* Medication per lot (the lot's ``uid``): product as text and local code, ``batch.lotNumber``,
  ``batch.expirationDate``, form, concentration as ingredient strength.
* MedicationAdministration per infusion day (its ``uid``): the first lot's Medication (the
  others in ``supportingInformation`` and a note; an adverse event names every lot), dose in g,
  the fastest rate with its UCUM unit (every step in an extension), route, performer (the
  nurse, or the patient at home); a MedicationAdministration per premedication (``partOf``
  the infusion); the weight the dose was worked out from as an Observation.
* Observation for weight and platelets (LOINC), grip (left and right as components), INCAT,
  GBS disability, custom measures and symptom severity (0-10, local codes); Questionnaire and
  QuestionnaireResponse for MG-ADL, with its total as an item and as an Observation.
* AdverseEvent per side effect and per reaction during an infusion, ``suspectEntity`` = the
  infusion it followed and its lots; a red flag makes it serious and adds an extension.
* Provenance per logged record: who logged it (``enterer``) and when.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from clinical import scales
from clinical import symptoms as symptom_catalog
from clinical.conditions import Condition
from diary.models import Measure, RedFlagEvent, SymptomEntry, SymptomReading
from infusions.models import (
    Infusion,
    InfusionReaction,
    Premedication,
    ReactionAction,
    Route,
    Site,
)
from infusions.units import RateUnit, to_ml_per_kg_h
from patients.models import Membership, Patient

FHIR_VERSION = "4.0.1"

# --- code systems -------------------------------------------------------------------------------

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
V3_ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
PERFORM_FUNCTION = "http://terminology.hl7.org/CodeSystem/med-admin-perform-function"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

# Local code systems: no free code exists (SNOMED CT needs a licence; LOINC has no MG-ADL).
LOCAL = "urn:infusion-diary:fhir"
CLINIC_NUMBER = "urn:infusion-diary:clinic-number"
PRODUCT_SYSTEM = f"{LOCAL}:product"
CONDITION_SYSTEM = f"{LOCAL}:condition"
MEASURE_SYSTEM = f"{LOCAL}:measure"
SYMPTOM_SYSTEM = f"{LOCAL}:symptom"
# Each code is "severity of <symptom> on the 0-10 numeric rating scale" (one series per symptom).
SEVERITY_SYSTEM = f"{LOCAL}:symptom-severity"
MGADL_ITEM_SYSTEM = f"{LOCAL}:mg-adl-item"
MGADL_ANSWER_SYSTEM = f"{LOCAL}:mg-adl-answer"
RED_FLAG_SYSTEM = f"{LOCAL}:red-flag-rule"
ROLE_SYSTEM = f"{LOCAL}:member-role"
EXT = f"{LOCAL}:StructureDefinition"
EXT_RATE_STEP = f"{EXT}:rate-step"
EXT_RED_FLAG = f"{EXT}:red-flag"
EXT_WHAT_WAS_DONE = f"{EXT}:what-was-done"
MGADL_QUESTIONNAIRE_URL = f"{LOCAL}:Questionnaire:mg-adl"
MGADL_QUESTIONNAIRE_VERSION = "1"
MGADL_TOTAL_LINK = "total"

WEIGHT_LOINC = ("29463-7", "Body weight")
PLATELETS_LOINC = ("26515-7", "Platelets [#/volume] in Blood")

UCUM_RATE = {
    RateUnit.ML_PER_H.value: "mL/h",
    RateUnit.ML_PER_KG_H.value: "mL/kg/h",
    RateUnit.MG_PER_KG_MIN.value: "mg/kg/min",
}
ROUTES = {
    Route.IV.value: ("IVINFUS", "Infusion, intravenous", "Intravenous"),
    Route.SC.value: ("SQINFUS", "Infusion, subcutaneous", "Subcutaneous"),
}
FORMS = {
    Route.IV.value: "Solution for intravenous infusion",
    Route.SC.value: "Solution for subcutaneous infusion",
}
SEVERITY_BANDS = (
    (1, 3, "mild", "Mild"),
    (4, 6, "moderate", "Moderate"),
    (7, 10, "severe", "Severe"),
)


# --- small helpers ------------------------------------------------------------------------------


def derived_id(uid: uuid.UUID, what: str) -> str:
    """A stable id for a resource made from part of a record (uuid5 of the record's uid)."""
    return str(uuid.uuid5(uid, what))


def full_url(resource_id) -> str:
    return f"urn:uuid:{resource_id}"


def ref(resource: dict, display: str | None = None) -> dict:
    out = {"reference": full_url(resource["id"])}
    if display:
        out["display"] = display
    return out


def number(value) -> int | float:
    """A Decimal as a JSON number: 35.00 → 35, 0.50 → 0.5 (exact: at most 15 digits here)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def moment(value: dt.datetime, tz) -> str:
    return timezone.localtime(value, tz).isoformat(timespec="seconds")


def instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def coding(system: str, code: str, display: str | None = None) -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(text: str, *codings: dict) -> dict:
    out: dict = {"text": text}
    if codings:
        out["coding"] = list(codings)
    return out


def quantity(value, unit: str, ucum: str | None = None) -> dict:
    out = {"value": number(value), "unit": unit}
    if ucum:
        out |= {"system": UCUM, "code": ucum}
    return out


def category(code: str, display: str) -> list[dict]:
    return [concept(display, coding(OBSERVATION_CATEGORY, code, display))]


def severity_band(severity: int) -> dict | None:
    """The AdverseEvent severity for a 0-10 rating: 1-3 mild, 4-6 moderate, 7-10 severe
    (clinical.md); 0 means "not present" and has none."""
    for low, high, code, display in SEVERITY_BANDS:
        if low <= severity <= high:
            return concept(display, coding(AE_SEVERITY, code, display))
    return None


# --- the bundle ---------------------------------------------------------------------------------


def bundle(patient: Patient, since: dt.date, until: dt.date) -> dict:
    """The patient's diary from ``since`` to ``until`` (local dates, both included) as a FHIR
    R4 Bundle of type ``collection``, JSON-ready."""
    if until < since:
        raise ValueError("The period ends before it starts.")
    return _Builder(patient, since, until).build()


def bundle_json(patient: Patient, since: dt.date, until: dt.date) -> bytes:
    """:func:`bundle` as UTF-8 JSON (application/fhir+json)."""
    return json.dumps(bundle(patient, since, until), ensure_ascii=False, indent=1).encode()


class _Builder:
    def __init__(self, patient: Patient, since: dt.date, until: dt.date):
        self.patient = patient
        self.since = since
        self.until = until
        self.entries: list[dict] = []
        self.patient_resource: dict = {}
        self.members: dict[int, tuple[str, bool]] = {}
        self.administrations: dict[int, dict] = {}  # infusion pk → its MedicationAdministration
        self.lot_medications: dict[int, list[dict]] = {}  # infusion pk → lot Medications

    def add(self, resource: dict) -> dict:
        self.entries.append({"fullUrl": full_url(resource["id"]), "resource": resource})
        return resource

    # --- queries (at most eleven, whatever the size) ---

    def load(self):
        patient = self.patient
        in_period = Q(local_date__gte=self.since, local_date__lte=self.until)
        self.members = {
            user_id: (role, is_self)
            for user_id, role, is_self in Membership.objects.filter(patient=patient).values_list(
                "user_id", "role", "is_self"
            )
        }
        side_effects = SymptomEntry.objects.filter(in_period, patient=patient)
        self.side_effects = list(
            side_effects.select_related("logged_by")
            .prefetch_related(
                Prefetch(
                    "readings",
                    queryset=SymptomReading.objects.select_related("logged_by").order_by(
                        "at", "pk"
                    ),
                )
            )
            # The red-flag events each entry belongs to (only ids: the events come below).
            .order_by("onset", "pk")
        )
        self.measures = list(
            Measure.objects.filter(in_period, patient=patient)
            .select_related("logged_by")
            .order_by("measured_at", "pk")
        )
        # The period's infusions, and those the period's side effects followed (their adverse
        # events point at them, so a reaction stays traceable to product and lot).
        followed = side_effects.exclude(infusion=None).order_by().values("infusion_id")
        self.infusions = list(
            Infusion.objects.filter(patient=patient)
            .filter(Q(date__gte=self.since, date__lte=self.until) | Q(pk__in=followed))
            .select_related("product", "logged_by")
            .prefetch_related(
                "lots",
                "rate_steps",
                Prefetch(
                    "premedications", queryset=Premedication.objects.order_by("taken_at", "pk")
                ),
                Prefetch(
                    "reactions",
                    queryset=InfusionReaction.objects.order_by("minutes_from_start", "pk"),
                ),
            )
            .order_by("date", "start_time", "pk")
        )
        for record in [*self.side_effects, *self.measures, *self.infusions]:
            record.patient = patient  # the zone falls back to the patient's: no query
        infusion_ids = [infusion.pk for infusion in self.infusions]
        self.red_flags = list(
            RedFlagEvent.objects.filter(patient=patient, withdrawn_at__isnull=True)
            .filter(Q(entries__in=side_effects.values("pk")) | Q(infusion__in=infusion_ids))
            .distinct()
            .prefetch_related(
                Prefetch("entries", queryset=SymptomEntry.all_objects.only("pk", "symptom"))
            )
            .order_by("started_at", "pk")
        )

    def build(self) -> dict:
        self.load()
        self.add_patient()
        for infusion in self.infusions:
            self.add_infusion(infusion)
        self.add_measures()
        for entry in self.side_effects:
            self.add_side_effect(entry)
        return {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": instant(timezone.now())},
            "type": "collection",
            "timestamp": instant(timezone.now()),
            "entry": self.entries,
        }

    # --- Patient and Conditions ---

    def add_patient(self):
        patient = self.patient
        resource = {
            "resourceType": "Patient",
            "id": str(patient.uid),
            "name": [{"use": "usual", "text": patient.name}],
        }
        if patient.date_of_birth:
            resource["birthDate"] = patient.date_of_birth.isoformat()
        if patient.clinic_number:
            resource["identifier"] = [
                {
                    "use": "usual",
                    "type": concept(
                        "Clinic or hospital number",
                        coding(V2_IDENTIFIER_TYPE, "MR", "Medical record number"),
                    ),
                    "system": CLINIC_NUMBER,
                    "value": patient.clinic_number,
                }
            ]
        self.patient_resource = self.add(resource)
        labels = dict(Condition.choices)
        for code in patient.conditions:
            if code not in labels:
                continue
            label = str(labels[code])
            self.add(
                {
                    "resourceType": "Condition",
                    "id": derived_id(patient.uid, f"condition:{code}"),
                    "code": concept(label, coding(CONDITION_SYSTEM, code, label)),
                    "subject": self.subject,
                    "note": [{"text": "Given in the diary as what the immunoglobulin treats."}],
                }
            )

    @property
    def subject(self) -> dict:
        return ref(self.patient_resource, self.patient.name)

    # --- who logged it ---

    def add_provenance(self, record, targets: list[dict], user, recorded: dt.datetime):
        """Who logged ``record`` (one Provenance per record; none when the account is gone)."""
        if user is None or not targets:
            return
        role, is_self = self.members.get(user.pk, (None, False))
        who = self.subject if is_self else {"display": str(user)}
        agent = {
            "type": concept("Enterer", coding(PARTICIPANT_TYPE, "enterer", "Enterer")),
            "who": who,
        }
        if role:
            label = str(Membership.Role(role).label)
            agent["role"] = [concept(label, coding(ROLE_SYSTEM, role, label))]
        self.add(
            {
                "resourceType": "Provenance",
                "id": derived_id(record.uid, "provenance"),
                "target": [ref(target) for target in targets],
                "recorded": instant(recorded),
                "activity": concept("create", coding(DATA_OPERATION, "CREATE", "create")),
                "agent": [agent],
            }
        )

    # --- infusions ---

    def medication_for_lot(self, infusion: Infusion, lot) -> dict:
        product = infusion.product
        resource = {
            "resourceType": "Medication",
            "id": str(lot.uid),
            "code": self.product_concept(product),
            "form": {"text": FORMS.get(product.route, "Solution for infusion")},
            "ingredient": [
                {
                    "itemCodeableConcept": {"text": "Human normal immunoglobulin (IgG)"},
                    "isActive": True,
                    "strength": {
                        "numerator": quantity(product.mg_per_ml, "mg", "mg"),
                        "denominator": quantity(1, "mL", "mL"),
                    },
                }
            ],
            "batch": {"lotNumber": lot.lot_number},
        }
        if lot.expiry:
            resource["batch"]["expirationDate"] = lot.expiry.isoformat()
        if lot.vial_size_g:
            resource["amount"] = {
                "numerator": quantity(lot.vial_size_g, "g", "g"),
                "denominator": {"value": 1, "unit": "vial"},
            }
        return self.add(resource)

    @staticmethod
    def product_concept(product) -> dict:
        text = str(product)
        if product.with_hyaluronidase:
            text += " with hyaluronidase"
        return concept(text, coding(PRODUCT_SYSTEM, str(product.uid), text))

    def add_infusion(self, infusion: Infusion):
        lots = list(infusion.lots.all())
        medications = [self.medication_for_lot(infusion, lot) for lot in lots]
        self.lot_medications[infusion.pk] = medications
        tz = infusion.tz
        resource: dict = {
            "resourceType": "MedicationAdministration",
            "id": str(infusion.uid),
            "status": "completed",
            "subject": self.subject,
        }
        if medications:
            resource["medicationReference"] = ref(medications[0], resource_display(medications[0]))
        else:
            resource["medicationCodeableConcept"] = self.product_concept(infusion.product)
        if infusion.start_time is not None:
            period = {"start": infusion.starts_at.isoformat(timespec="seconds")}
            if infusion.end_time is not None:
                period["end"] = infusion.ends_at.isoformat(timespec="seconds")
            resource["effectivePeriod"] = period
        else:
            resource["effectiveDateTime"] = infusion.date.isoformat()
        if infusion.nurse:
            resource["performer"] = [
                {"function": _performer(), "actor": {"display": infusion.nurse}}
            ]
        elif infusion.site == Site.HOME:
            resource["performer"] = [{"function": _performer(), "actor": self.subject}]
        resource["dosage"] = self.dosage(infusion, lots)
        supporting = [ref(m, resource_display(m)) for m in medications[1:]]
        if infusion.weight_kg:
            weight = self.add(
                self.observation(
                    derived_id(infusion.uid, "weight"),
                    category("vital-signs", "Vital Signs"),
                    concept(WEIGHT_LOINC[1], coding(LOINC, *WEIGHT_LOINC)),
                    {
                        "effectiveDateTime": resource.get("effectivePeriod", {}).get(
                            "start", infusion.date.isoformat()
                        )
                    },
                    valueQuantity=quantity(infusion.weight_kg, "kg", "kg"),
                    note="The weight the dose was worked out from.",
                )
            )
            supporting.append(ref(weight))
        if supporting:
            resource["supportingInformation"] = supporting
        notes = []
        if len(lots) > 1:
            notes.append(
                "Lots given this day: "
                + "; ".join(_lot_text(lot) for lot in lots)
                + ". The medication is the first lot's; every lot is in supportingInformation "
                "or is the medication."
            )
        notes.append(f"Place: {Site(infusion.site).label}.")
        if infusion.hydration:
            notes.append(f"Hydration: {infusion.hydration}")
        if infusion.notes:
            notes.append(infusion.notes)
        resource["note"] = [{"text": text} for text in notes]
        administration = self.add(resource)
        self.administrations[infusion.pk] = administration
        targets = [administration]
        for premedication in infusion.premedications.all():
            targets.append(self.add_premedication(infusion, premedication, administration, tz))
        for reaction in infusion.reactions.all():
            targets.extend(self.add_reaction(infusion, reaction))
        self.add_provenance(infusion, targets, infusion.logged_by, infusion.created_at)

    def dosage(self, infusion: Infusion, lots) -> dict:
        route_code, route_display, route_text = ROUTES[infusion.product.route]
        dosage: dict = {
            "route": concept(route_text, coding(V3_ROUTE, route_code, route_display)),
            "dose": quantity(infusion.dose_g, "g", "g"),
        }
        steps = list(infusion.rate_steps.all())
        if steps:
            fastest = _fastest(infusion, steps)
            dosage["rateQuantity"] = quantity(fastest.rate, fastest.unit, UCUM_RATE[fastest.unit])
            dosage["extension"] = [
                {
                    "url": EXT_RATE_STEP,
                    "extension": [
                        {"url": "minutesFromStart", "valueInteger": step.minutes_from_start},
                        {
                            "url": "rate",
                            "valueQuantity": quantity(step.rate, step.unit, UCUM_RATE[step.unit]),
                        },
                    ],
                }
                for step in steps
            ]
        text = [f"{number(infusion.dose_g)} g"]
        if infusion.dose_g_per_kg is not None:
            text.append(
                f"({number(infusion.dose_g_per_kg)} g/kg for {number(infusion.weight_kg)} kg)"
            )
        if infusion.volume_ml:
            text.append(f"in {number(infusion.volume_ml)} mL")
        if steps:
            text.append(
                "; rate steps: "
                + ", ".join(
                    f"{number(s.rate)} {s.unit} from {s.minutes_from_start} min" for s in steps
                )
            )
        dosage["text"] = " ".join(text).replace(" ;", ";")
        return dosage

    def add_premedication(self, infusion, premedication, administration, tz) -> dict:
        resource = {
            "resourceType": "MedicationAdministration",
            "id": str(premedication.uid),
            "partOf": [ref(administration)],
            "status": "completed",
            "medicationCodeableConcept": {"text": premedication.name},
            "subject": self.subject,
        }
        if premedication.taken_at is not None:
            taken = dt.datetime.combine(infusion.date, premedication.taken_at, tzinfo=tz)
            resource["effectiveDateTime"] = taken.isoformat(timespec="seconds")
        else:
            resource["effectiveDateTime"] = infusion.date.isoformat()
        if premedication.dose:
            resource["dosage"] = {"text": premedication.dose}
        resource["note"] = [{"text": "Premedication before the immunoglobulin infusion."}]
        return self.add(resource)

    def add_reaction(self, infusion: Infusion, reaction: InfusionReaction) -> list[dict]:
        administration = self.administrations[infusion.pk]
        at = reaction.as_reading(infusion).start
        when = (
            at.isoformat(timespec="seconds")
            if infusion.start_time is not None
            else infusion.date.isoformat()
        )
        label = str(symptom_catalog.label(reaction.symptom))
        observation = self.add(
            self.observation(
                derived_id(reaction.uid, "severity"),
                category("survey", "Survey"),
                self.severity_code(reaction.symptom, label),
                {"effectiveDateTime": when},
                valueInteger=reaction.severity,
                partOf=[ref(administration)],
                note="Felt during the infusion.",
            )
        )
        done = str(ReactionAction(reaction.action).label)
        if reaction.medication:
            done += f"; medication given: {reaction.medication}"
        flags = [
            event
            for event in self.red_flags
            if event.infusion_id == infusion.pk
            and reaction.symptom in {s.get("code") for s in event.signs}
            and not any(e.symptom == reaction.symptom for e in event.entries.all())
        ]
        event = self.adverse_event(
            str(reaction.uid),
            reaction.symptom,
            label,
            when,
            reaction.severity,
            infusion,
            flags,
            done,
            recorded=infusion.created_at,
        )
        return [observation, event]

    # --- observations ---

    def observation(self, resource_id, categories, code, effective, note=None, **value) -> dict:
        resource = {
            "resourceType": "Observation",
            "id": resource_id,
            "status": "final",
            "category": categories,
            "code": code,
            "subject": self.subject,
            **effective,
            **value,
        }
        if note:
            resource["note"] = [{"text": note}]
        return resource

    @staticmethod
    def severity_code(symptom: str, label: str) -> dict:
        return concept(
            f"{label}: severity (0-10)", coding(SEVERITY_SYSTEM, symptom, f"{label} severity")
        )

    def add_measures(self):
        questionnaire = None
        for measure in self.measures:
            if measure.kind == Measure.Kind.MGADL and questionnaire is None:
                questionnaire = self.add(mgadl_questionnaire())
            targets = self.add_measure(measure)
            self.add_provenance(measure, targets, measure.logged_by, measure.created_at)

    def add_measure(self, measure: Measure) -> list[dict]:
        effective = {"effectiveDateTime": moment(measure.measured_at, measure.tz)}
        uid = str(measure.uid)
        kind = measure.kind
        note = measure.notes or None
        title = measure.title
        local = concept(title, coding(MEASURE_SYSTEM, kind, title))
        survey = category("survey", "Survey")
        if kind == Measure.Kind.WEIGHT:
            return [
                self.add(
                    self.observation(
                        uid,
                        category("vital-signs", "Vital Signs"),
                        concept(WEIGHT_LOINC[1], coding(LOINC, *WEIGHT_LOINC)),
                        effective,
                        note,
                        valueQuantity=quantity(measure.value, "kg", "kg"),
                    )
                )
            ]
        if kind == Measure.Kind.PLATELETS:
            return [
                self.add(
                    self.observation(
                        uid,
                        category("laboratory", "Laboratory"),
                        concept(PLATELETS_LOINC[1], coding(LOINC, *PLATELETS_LOINC)),
                        effective,
                        note,
                        valueQuantity=quantity(measure.value, "10^9/L", "10*9/L"),
                    )
                )
            ]
        if kind == Measure.Kind.GRIP:
            unit = measure.unit or "kg"
            components = []
            for side, value in (("left", measure.value), ("right", measure.value_right)):
                if value is None:
                    continue
                text = f"Grip strength, {side} hand"
                components.append(
                    {
                        "code": concept(text, coding(MEASURE_SYSTEM, f"grip-{side}", text)),
                        "valueQuantity": quantity(value, unit, unit),
                    }
                )
            return [
                self.add(
                    self.observation(
                        uid, category("exam", "Exam"), local, effective, note, component=components
                    )
                )
            ]
        if kind == Measure.Kind.INCAT:
            components = []
            answers = measure.answers or {}
            for limb, text in (
                ("arms", "INCAT arm grade (0-5)"),
                ("legs", "INCAT leg grade (0-5)"),
            ):
                if limb in answers:
                    components.append(
                        {
                            "code": concept(text, coding(MEASURE_SYSTEM, f"incat-{limb}", text)),
                            "valueInteger": int(answers[limb]),
                        }
                    )
            extra = {"component": components} if components else {}
            code = concept(
                "INCAT disability score (0-10)",
                coding(MEASURE_SYSTEM, kind, "INCAT disability score"),
            )
            return [
                self.add(
                    self.observation(
                        uid, survey, code, effective, note, valueInteger=measure.total, **extra
                    )
                )
            ]
        if kind == Measure.Kind.GBS_DISABILITY:
            grade = int(measure.value)
            words = dict(scales.GBS_DISABILITY_CHOICES).get(grade)
            code = concept(
                "GBS disability scale (Hughes, 0-6)",
                coding(MEASURE_SYSTEM, kind, "GBS disability scale"),
            )
            note = "; ".join(filter(None, [str(words) if words else None, note])) or None
            return [
                self.add(self.observation(uid, survey, code, effective, note, valueInteger=grade))
            ]
        if kind == Measure.Kind.MGADL:
            return self.add_mgadl(measure, effective, note)
        # A custom measure: its own name and unit, as typed.
        custom = concept(measure.name, coding(MEASURE_SYSTEM, "custom", "Custom measure"))
        value = {"value": number(measure.value)}
        if measure.unit:
            value["unit"] = measure.unit
        return [
            self.add(self.observation(uid, survey, custom, effective, note, valueQuantity=value))
        ]

    def add_mgadl(self, measure: Measure, effective: dict, note) -> list[dict]:
        answers = measure.answers or {}
        items = []
        for item in scales.MGADL_ITEMS:
            if item.code not in answers:
                continue
            score = int(answers[item.code])
            wording = dict(item.options).get(score)
            items.append(
                {
                    "linkId": item.code,
                    "text": str(item.question),
                    "answer": [{"valueCoding": _mgadl_answer(item.code, score, wording)}],
                }
            )
        items.append(
            {
                "linkId": MGADL_TOTAL_LINK,
                "text": "Total (0-24)",
                "answer": [{"valueInteger": measure.total}],
            }
        )
        response = self.add(
            {
                "resourceType": "QuestionnaireResponse",
                "id": str(measure.uid),
                "questionnaire": f"{MGADL_QUESTIONNAIRE_URL}|{MGADL_QUESTIONNAIRE_VERSION}",
                "status": "completed",
                "subject": self.subject,
                "authored": effective["effectiveDateTime"],
                "source": self.subject,
                "item": items,
            }
        )
        total = self.add(
            self.observation(
                derived_id(measure.uid, "total"),
                category("survey", "Survey"),
                concept("MG-ADL total (0-24)", coding(MEASURE_SYSTEM, "mgadl", "MG-ADL total")),
                effective,
                note,
                valueInteger=measure.total,
                derivedFrom=[ref(response)],
            )
        )
        return [response, total]

    # --- side effects ---

    def add_side_effect(self, entry: SymptomEntry):
        label = str(entry.label)
        readings = list(entry.readings.all())
        first = self.add(
            self.observation(
                derived_id(entry.uid, "severity"),
                category("survey", "Survey"),
                self.severity_code(entry.symptom, label),
                {"effectiveDateTime": moment(entry.onset, entry.tz)},
                entry.notes or None,
                valueInteger=entry.severity,
            )
        )
        peak = max([entry.severity, *(r.severity for r in readings)])
        infusion = self.infusions_by_pk.get(entry.infusion_id)
        flags = [e for e in self.red_flags if any(x.pk == entry.pk for x in e.entries.all())]
        text = label + (f" ({entry.detail.replace('_', ' ')})" if entry.detail else "")
        targets = [first]
        if peak > 0:
            event = self.adverse_event(
                str(entry.uid),
                entry.symptom,
                text,
                moment(entry.onset, entry.tz),
                peak,
                infusion,
                flags,
                entry.helped,
                recorded=entry.created_at,
                # A side effect is over when it has an end; a reaction's end is not recorded.
                outcome="resolved" if entry.ended_at is not None else "ongoing",
            )
            targets.append(event)
        self.add_provenance(entry, targets, entry.logged_by, entry.created_at)
        for reading in readings:
            observation = self.add(
                self.observation(
                    str(reading.uid),
                    category("survey", "Survey"),
                    self.severity_code(entry.symptom, label),
                    {"effectiveDateTime": moment(reading.at, entry.tz)},
                    "A later reading of the same episode.",
                    valueInteger=reading.severity,
                )
            )
            self.add_provenance(reading, [observation], reading.logged_by, reading.created_at)

    @property
    def infusions_by_pk(self) -> dict[int, Infusion]:
        if not hasattr(self, "_infusions_by_pk"):
            self._infusions_by_pk = {i.pk: i for i in self.infusions}
        return self._infusions_by_pk

    def adverse_event(
        self,
        resource_id: str,
        symptom: str,
        text: str,
        when: str,
        severity: int,
        infusion: Infusion | None,
        flags: list[RedFlagEvent],
        what_was_done: str,
        *,
        recorded: dt.datetime,
        outcome: str | None = None,
    ) -> dict:
        label = str(symptom_catalog.label(symptom)) if symptom_catalog.is_known(symptom) else text
        resource: dict = {
            "resourceType": "AdverseEvent",
            "id": resource_id,
            "actuality": "actual",
            "event": concept(text, coding(SYMPTOM_SYSTEM, symptom, label)),
            "subject": self.subject,
            "date": when,
            "detected": when,
            "recordedDate": instant(recorded),
        }
        band = severity_band(severity)
        if band:
            resource["severity"] = band
        if flags:
            resource["seriousness"] = concept(
                "Serious", coding(AE_SERIOUSNESS, "serious", "Serious")
            )
        if outcome == "resolved":
            resource["outcome"] = concept("Resolved", coding(AE_OUTCOME, "resolved", "Resolved"))
        elif outcome == "ongoing":
            resource["outcome"] = concept("Ongoing", coding(AE_OUTCOME, "ongoing", "Ongoing"))
        if infusion is not None and infusion.pk in self.administrations:
            administration = self.administrations[infusion.pk]
            resource["suspectEntity"] = [{"instance": ref(administration)}] + [
                {"instance": ref(medication, resource_display(medication))}
                for medication in self.lot_medications.get(infusion.pk, [])
            ]
        extensions = [_red_flag_extension(event) for event in flags]
        if what_was_done:
            extensions.append({"url": EXT_WHAT_WAS_DONE, "valueString": what_was_done})
        if extensions:
            resource["extension"] = extensions
        return self.add(resource)


def resource_display(medication: dict) -> str:
    lot = medication.get("batch", {}).get("lotNumber")
    return f"{medication['code']['text']}, lot {lot}" if lot else medication["code"]["text"]


def _performer() -> dict:
    return concept("Performer", coding(PERFORM_FUNCTION, "performer", "Performer"))


def _lot_text(lot) -> str:
    text = lot.lot_number
    if lot.expiry:
        text += f" (expires {lot.expiry.isoformat()})"
    if lot.vial_size_g:
        text += f", {lot.vial_count} × {number(lot.vial_size_g)} g"
    elif lot.vial_count:
        text += f", {lot.vial_count} vial{'s' if lot.vial_count != 1 else ''}"
    return text


def _fastest(infusion: Infusion, steps):
    """The fastest step, compared in mL/kg/h (a step that cannot be converted, mL/h without a
    weight, compares by its own number among its own unit); its rate is kept as logged."""

    def key(step):
        try:
            per_kg_h = to_ml_per_kg_h(
                step.rate,
                step.unit,
                concentration_percent=infusion.product.concentration_percent,
                weight_kg=infusion.weight_kg,
            )
            return (1, per_kg_h)
        except ValueError:
            return (0, step.rate)

    return max(steps, key=key)


def _mgadl_answer(item_code: str, score: int, wording) -> dict:
    return {
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": score}],
        "system": MGADL_ANSWER_SYSTEM,
        "code": f"{item_code}-{score}",
        "display": str(wording) if wording is not None else str(score),
    }


def mgadl_questionnaire() -> dict:
    """MG-ADL as a Questionnaire: 8 items scored 0-3 with the published wording, and the total."""
    items = [
        {
            "linkId": item.code,
            "code": [coding(MGADL_ITEM_SYSTEM, item.code, str(item.question))],
            "text": str(item.question),
            "type": "choice",
            "required": True,
            "answerOption": [
                {"valueCoding": _mgadl_answer(item.code, score, wording)}
                for score, wording in item.options
            ],
        }
        for item in scales.MGADL_ITEMS
    ]
    items.append(
        {
            "linkId": MGADL_TOTAL_LINK,
            "text": "Total (0-24)",
            "type": "integer",
            "readOnly": True,
        }
    )
    return {
        "resourceType": "Questionnaire",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, MGADL_QUESTIONNAIRE_URL)),
        "url": MGADL_QUESTIONNAIRE_URL,
        "version": MGADL_QUESTIONNAIRE_VERSION,
        "name": "MGADL",
        "title": "MG-ADL (Myasthenia Gravis Activities of Daily Living profile)",
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            f"{scales.MGADL_INSTRUCTIONS} Total 0-24, higher = more symptoms. "
            f"{scales.MGADL_CITATION}"
        ),
        "item": items,
    }


def _red_flag_extension(event: RedFlagEvent) -> dict:
    rule = event.red_flag_rule
    title = str(rule.title) if rule else event.rule
    signs = ", ".join(
        f"{sign.get('label', sign.get('code'))} {sign.get('severity')}/10" for sign in event.signs
    )
    parts = [
        {"url": "rule", "valueCoding": coding(RED_FLAG_SYSTEM, event.rule, title)},
        {"url": "signs", "valueString": signs or title},
        {"url": "warnedAt", "valueDateTime": instant(event.created_at)},
    ]
    if event.handled_at is not None:
        how = str(RedFlagEvent.Handled(event.handled_how).label) if event.handled_how else ""
        parts.append({"url": "handledAt", "valueDateTime": instant(event.handled_at)})
        if how:
            parts.append({"url": "handled", "valueString": how})
    return {"url": EXT_RED_FLAG, "extension": parts}
