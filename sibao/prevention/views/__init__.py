"""Pages of the prevention app, one module per area (ADR 0007); sibao/prevention/urls.py includes each."""
