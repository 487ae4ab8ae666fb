from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig

# Everything a reader can see on a page; any change to these makes cached pages stale.
PUBLIC_MODELS = [
    "articles.Article",
    "articles.Category",
    "articles.Attachment",
    "portal.SiteSettings",
    "portal.FriendlyLink",
    "alliances.Building",
    "alliances.Branch",
    "alliances.Alliance",
    "alliances.AllianceRule",
    "alliances.Membership",
    "alliances.RotationSlot",
    "alliances.JointMeeting",
    "alliances.Activity",
    "alliances.Attendance",
    "alliances.Photo",
    "alliances.Facility",
]


class PortalConfig(AppConfig):
    default = True  # this module has a second config, for staticfiles
    name = "portal"
    verbose_name = "站点设置"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save

        from .pagecache import on_content_saved_or_deleted as changed

        for label in PUBLIC_MODELS:
            model = apps.get_model(label)
            post_save.connect(changed, sender=model, dispatch_uid=f"pagecache-save-{label}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"pagecache-delete-{label}")


class StaticFilesConfig(DjangoStaticFilesConfig):
    """collectstatic without CKEditor's translations into sixty languages other than ours.

    They are 3,100 of the 4,900 static files, and WhiteNoise keeps an entry for every file in
    every worker's memory (about 6 MB). The editor loads zh-cn (or en); they stay."""

    ignore_patterns = [
        *DjangoStaticFilesConfig.ignore_patterns,
        "ckeditor/ckeditor/*lang/[a-df-y]*",
        "ckeditor/ckeditor/*lang/e[!n]*",
        "ckeditor/ckeditor/*lang/en-*",
    ]
