"""Root URL configuration."""

from django.urls import include, path
from django.views.i18n import set_language

from sibao import views as site_views
from sibao.whitelist.urls import public_urlpatterns as whitelist_public

urlpatterns = [
    path("", site_views.home, name="home"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("sibao.accounts.urls")),
    path("enterprises/", include("sibao.enterprises.urls")),
    path("whitelist/", include("sibao.whitelist.urls")),
    path("prevention/", include("sibao.prevention.urls")),
    path("public/whitelist/", include(whitelist_public)),
    path("imports/", include("sibao.core.urls")),
    path("audit/", include("sibao.audit.urls")),
    path("notifications/", include("sibao.core.notification_views")),
    path("api/v1/", include("sibao.api.urls")),
]

handler500 = "sibao.views.server_error"
