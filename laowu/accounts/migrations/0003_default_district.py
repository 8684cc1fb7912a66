from django.db import migrations


def create_default_district(apps, schema_editor):
    District = apps.get_model("accounts", "District")
    District.objects.get_or_create(code="320507", defaults={"name": "相城区"})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(create_default_district, migrations.RunPython.noop)]
