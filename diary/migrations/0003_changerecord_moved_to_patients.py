# The change history moved down to patients.ChangeRecord (one history for every app): every
# existing diary record is copied there first, in its original order, with its model named
# "diary.<model>" as patients.history names models; then the diary's table goes.

from django.db import migrations

BATCH = 1000
FIELDS = ("patient_id", "object_id", "action", "changed_by_id", "changed_at", "before", "after")


def copy_to_patients(apps, schema_editor):
    old = apps.get_model("diary", "ChangeRecord")
    new = apps.get_model("patients", "ChangeRecord")
    batch = []
    for row in old.objects.order_by("pk").iterator(chunk_size=BATCH):
        model = row.model if "." in row.model else f"diary.{row.model}"
        batch.append(new(model=model, **{f: getattr(row, f) for f in FIELDS}))
        if len(batch) >= BATCH:
            new.objects.bulk_create(batch)
            batch = []
    new.objects.bulk_create(batch)


def copy_back_to_diary(apps, schema_editor):
    old = apps.get_model("diary", "ChangeRecord")
    new = apps.get_model("patients", "ChangeRecord")
    batch = []
    rows = new.objects.filter(model__startswith="diary.").order_by("pk")
    # Only the columns copied: the state may already list columns a later migration of patients
    # added and (undone first) took away again, e.g. 0006's stable ids.
    for model, *values in rows.values_list("model", *FIELDS).iterator(chunk_size=BATCH):
        batch.append(
            old(model=model.removeprefix("diary."), **dict(zip(FIELDS, values, strict=True)))
        )
        if len(batch) >= BATCH:
            old.objects.bulk_create(batch)
            batch = []
    old.objects.bulk_create(batch)
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0002_cycles_readings_red_flag_events"),
        ("patients", "0004_changerecord"),
    ]

    operations = [
        migrations.RunPython(copy_to_patients, copy_back_to_diary),
        migrations.DeleteModel(
            name="ChangeRecord",
        ),
    ]
