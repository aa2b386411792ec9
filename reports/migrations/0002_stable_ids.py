"""Stable ids: every record of reports made (``ReportRecord``) gets a ``uid``, a random UUID that never changes.

Exports and FHIR resource ids use it, never the integer key. Done in three steps so existing
rows each get their own UUID, on SQLite and PostgreSQL alike: add the column empty, fill a
fresh ``uuid4`` per row (in batches), then make it required and unique.
"""

import uuid

from django.db import migrations, models

BATCH = 1000

MODELS = ("ReportRecord",)


def fill_uids(apps, schema_editor):
    """A distinct UUID for each existing row that has none."""
    db = schema_editor.connection.alias
    for name in MODELS:
        model = apps.get_model("reports", name)
        rows = model._base_manager.using(db)
        pks = list(rows.filter(uid__isnull=True).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            rows.bulk_update(
                [model(pk=pk, uid=uuid.uuid4()) for pk in pks[start : start + BATCH]], ["uid"]
            )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_report_preferences_records_pdf_jobs")]

    operations = [
        migrations.AddField(
            model_name="reportrecord",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reportrecord",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
