"""The committee role (机关工委): keeps every alliance's records and decides applications."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "building", "branch", "alliance", "alliancerule", "membership", "jointmeeting", "activity",
    "attendance", "photo", "facility", "booking", "annualplan", "phasereport",
]  # fmt: skip
COMMITTEE = [
    f"alliances.{verb}_{model}" for model in MODELS for verb in ("add", "change", "delete", "view")
] + ["alliances.view_rotationslot", "alliances.decide_membership", "portal.view_auditentry"]


def create_role(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name="机关工委")
    permission_model = apps.get_model("auth", "Permission")
    for code in COMMITTEE:
        app_label, codename = code.split(".")
        group.permissions.add(
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="机关工委").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0002_booking_exclusion"),
        ("articles", "0003_roles"),
    ]

    operations = [migrations.RunPython(create_role, remove_role)]
