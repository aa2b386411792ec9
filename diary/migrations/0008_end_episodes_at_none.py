"""Episodes still open whose latest severity is 0 end there (clinical.md: 0 means "not
present"), as ``diary.entries.end_if_none`` now ends them when such a severity is logged."""

from django.db import migrations
from django.db.models import F


def end_at_none(apps, schema_editor):
    SymptomEntry = apps.get_model("diary", "SymptomEntry")
    SymptomReading = apps.get_model("diary", "SymptomReading")
    Patient = apps.get_model("patients", "Patient")
    changed = set()
    for entry in SymptomEntry.objects.filter(ended_at__isnull=True).only(
        "pk", "onset", "severity", "patient_id"
    ):
        latest = SymptomReading.objects.filter(entry_id=entry.pk).order_by("-at", "-pk").first()
        if latest is None:
            end = entry.onset if entry.severity == 0 else None
        else:
            end = latest.at if latest.severity == 0 and latest.at >= entry.onset else None
        if end is not None:
            SymptomEntry.objects.filter(pk=entry.pk).update(ended_at=end)
            changed.add(entry.patient_id)
    # Pages cached under a diary's data version (patients.caching) are built again.
    Patient.objects.filter(pk__in=changed).update(data_version=F("data_version") + 1)


class Migration(migrations.Migration):
    dependencies = [("diary", "0007_reading_and_measure_indexes")]

    operations = [migrations.RunPython(end_at_none, migrations.RunPython.noop)]
