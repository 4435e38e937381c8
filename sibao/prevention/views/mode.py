"""Pages: mode (stub until built)."""

urlpatterns = []
