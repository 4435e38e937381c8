"""Pages: compliance (stub until built)."""

urlpatterns = []
