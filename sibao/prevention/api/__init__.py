"""The prevention app's API viewsets, one module per area (ADR 0007)."""


def routes() -> list[tuple]:
    """(prefix, viewset, basename) of every prevention route, for the API router."""
    from sibao.prevention.api import alerts, compliance, mode, staff

    return [*staff.ROUTES, *compliance.ROUTES, *alerts.ROUTES, *mode.ROUTES]
