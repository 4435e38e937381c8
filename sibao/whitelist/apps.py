from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhitelistConfig(AppConfig):
    name = "sibao.whitelist"
    label = "whitelist"
    verbose_name = _("Whitelist")

    def ready(self):
        from sibao.whitelist import receivers

        receivers.connect()
