from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig
from django.db.models.signals import post_init
from django_cleanup import apps as cleanup_apps
from django_cleanup import cache as cleanup_cache


class PortalConfig(AppConfig):
    default = True  # this module has a second config, for staticfiles
    name = "portal"
    verbose_name = "站点设置"

    def ready(self):
        from . import pagecache
        from .models import FriendlyLink, SiteSettings

        pagecache.watch(SiteSettings, FriendlyLink)


class StaticFilesConfig(DjangoStaticFilesConfig):
    """collectstatic without CKEditor's translations into sixty languages other than ours,
    nor its test and sample pages.

    The translations are 3,100 of the 4,900 static files, and WhiteNoise keeps an entry for
    every file in every worker's memory (about 6 MB). The editor loads zh-cn (or en); they
    stay. Its HTML pages would run script on our origin from /static/, and the editor loads
    none of them: manual tests of the export-to-PDF plugin, the dialogs of the spell checker
    (wsc) and the preview plugin's page (neither on our toolbars), and the file browser's
    gallery of django-ckeditor's uploader, which this site does not install."""

    ignore_patterns = [
        *DjangoStaticFilesConfig.ignore_patterns,
        "ckeditor/ckeditor/*lang/[a-df-y]*",
        "ckeditor/ckeditor/*lang/e[!n]*",
        "ckeditor/ckeditor/*lang/en-*",
        "ckeditor/*/tests/*",
        "ckeditor/*/samples/*",
        "ckeditor/galleriffic/*",
        "ckeditor/*.htm*",
    ]


class CleanupConfig(cleanup_apps.CleanupConfig):
    """django-cleanup without its note of every file name, made as each record is loaded.

    That note (a post_init receiver) is what a save compares with to find a replaced file.
    Readers' pages load a hundred articles and save none: on the home page the notes cost a
    tenth of the page (issue 17, 2026-12-07). Without them django-cleanup's own fallback
    reads the record's stored file names from the database when it is saved, one query a
    save, and deletes a replaced file as before (tests/security/test_files_follow_records.py).
    The receivers are found by the dispatch_uid django-cleanup 9 gives them;
    tests/portal/test_apps.py fails if a record's loading runs them again."""

    default = False  # PortalConfig is this module's default

    def ready(self):
        super().ready()
        for model in cleanup_cache.cleanup_models():
            name = cleanup_cache.get_model_name(model)
            post_init.disconnect(sender=model, dispatch_uid=f"post_init_django_cleanup_{name}")
