"""The two publishing roles as groups: 编辑 writes and submits, 审核 publishes and withdraws.

Users still need "职员状态" (is_staff) to log in to the admin; the group gives the rights.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = [
    "articles.add_article",
    "articles.change_article",
    "articles.view_article",
    "articles.add_attachment",
    "articles.change_attachment",
    "articles.delete_attachment",
    "articles.view_attachment",
    "articles.view_category",
]
REVIEWER = EDITOR + [
    "articles.publish_article",
    "articles.delete_article",
    "articles.add_category",
    "articles.change_category",
    "articles.view_category",
    "portal.view_sitesettings",
    "portal.change_sitesettings",
    "portal.add_friendlylink",
    "portal.change_friendlylink",
    "portal.delete_friendlylink",
    "portal.view_friendlylink",
    "portal.view_auditentry",
]
ROLES = {"编辑": EDITOR, "审核": REVIEWER}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_search_index"),
        ("portal", "0002_auditentry"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
