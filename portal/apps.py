from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


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
