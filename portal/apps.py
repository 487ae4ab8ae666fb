from django.apps import AppConfig

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
