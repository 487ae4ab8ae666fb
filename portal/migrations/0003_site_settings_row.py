"""The one site settings record exists from the start, so no page view ever creates it."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("portal", "SiteSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_auditentry")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
