"""API: mode (stub until built)."""

# (prefix under api/v1/, viewset, basename), registered by sibao/api/urls.py.
ROUTES = []
