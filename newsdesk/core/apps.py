from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "newsdesk.core"
    label = "core"
    verbose_name = "Newsdesk core"

    def ready(self):
        from newsdesk.core import restrictions, security, sites  # noqa: F401 (security's checks)
        from newsdesk.core.sites import ensure_site

        post_migrate.connect(ensure_site, sender=self, dispatch_uid="newsdesk.ensure_site")
        restrictions.connect()
        sites.connect()
