"""Pages under /prevention/: each area's module lists its own routes (ADR 0007)."""

from sibao.prevention.views import alerts, compliance, mode, staff

app_name = "prevention"
urlpatterns = [*compliance.urlpatterns, *staff.urlpatterns, *alerts.urlpatterns, *mode.urlpatterns]
