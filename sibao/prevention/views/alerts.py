"""Pages: alerts (stub until built)."""

urlpatterns = []
