"""Stable ids: every record of the diary (entries, readings, red-flag events, notes, measures) gets a ``uid``, a random UUID that never changes.

Exports and FHIR resource ids use it, never the integer key. Done in three steps so existing
rows each get their own UUID, on SQLite and PostgreSQL alike: add the column empty, fill a
fresh ``uuid4`` per row (in batches), then make it required and unique.

Their change records get the object's ``uid`` too (``ChangeRecord.object_uid``).
"""

import uuid

from django.db import migrations, models

BATCH = 1000

MODELS = ("SymptomEntry", "SymptomReading", "RedFlagEvent", "Note", "Measure")


def fill_uids(apps, schema_editor):
    """A distinct UUID for each existing row that has none."""
    db = schema_editor.connection.alias
    for name in MODELS:
        model = apps.get_model("diary", name)
        rows = model._base_manager.using(db)
        pks = list(rows.filter(uid__isnull=True).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            rows.bulk_update(
                [model(pk=pk, uid=uuid.uuid4()) for pk in pks[start : start + BATCH]], ["uid"]
            )


def fill_change_record_uids(apps, schema_editor):
    """Change records of this app's objects point at them by ``uid`` too, where the object
    still exists (its row may have gone, e.g. a child row an edit removed)."""
    db = schema_editor.connection.alias
    change_record = apps.get_model("patients", "ChangeRecord")
    for name in MODELS:
        model = apps.get_model("diary", name)
        records = change_record._base_manager.using(db).filter(
            model=model._meta.label_lower, object_uid__isnull=True
        )
        pending = list(records.order_by("pk").values_list("pk", "object_id"))
        for start in range(0, len(pending), BATCH):
            chunk = pending[start : start + BATCH]
            uids = dict(
                model._base_manager.using(db)
                .filter(pk__in={object_id for _pk, object_id in chunk})
                .values_list("pk", "uid")
            )
            found = [
                change_record(pk=pk, object_uid=uids[object_id])
                for pk, object_id in chunk
                if object_id in uids
            ]
            change_record._base_manager.using(db).bulk_update(found, ["object_uid"])


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0004_measure_incat"),
        ("patients", "0006_stable_ids"),
    ]

    operations = [
        migrations.AddField(
            model_name="symptomentry",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="symptomreading",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="redflagevent",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="note",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="measure",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.RunPython(fill_change_record_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="symptomentry",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="symptomreading",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="redflagevent",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="note",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="measure",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
