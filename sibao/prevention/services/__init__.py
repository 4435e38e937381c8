"""Every write of the prevention app, one module per area (ADR 0007)."""
