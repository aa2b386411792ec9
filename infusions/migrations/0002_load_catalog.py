from django.db import migrations


def load(apps, schema_editor):
    from infusions.catalog import load_catalog

    load_catalog(apps.get_model("infusions", "Product"))


class Migration(migrations.Migration):
    dependencies = [("infusions", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
