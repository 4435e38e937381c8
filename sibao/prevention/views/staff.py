"""Pages: staff (stub until built)."""

urlpatterns = []
