"""The committee role (机关工委) sees the public versions and their photos in the admin.

Read-only there: proposals are decided in the workspace's queue (alliances.publishing)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_publicversion", "view_publicphoto"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="机关工委").first()
    if group is None:
        return
    group.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="alliances", codename__in=PERMISSIONS
        )
    )


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="机关工委").first()
    if group is not None:
        group.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="alliances", codename__in=PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("alliances", "0008_public_versions")]

    operations = [migrations.RunPython(grant, revoke)]
