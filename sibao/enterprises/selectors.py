"""Reads of the registry, always for a requesting user."""

from django.db.models import Count, Sum

from sibao.audit.models import Event
from sibao.enterprises.models import Enterprise


def registry_summary(*, user) -> dict:
    """Counts and output of the enterprises the user may see, by sector."""
    visible = Enterprise.objects.visible_to(user)
    by_sector = list(
        visible.values("sector").annotate(count=Count("id"), output=Sum("output_value")).order_by("sector")
    )
    return {"total": sum(r["count"] for r in by_sector), "by_sector": by_sector}


def enterprise_history(*, enterprise: Enterprise):
    """The audit events of one enterprise, newest first (the caller has already been allowed to see it)."""
    return Event.objects.for_object(enterprise).select_related("actor")


def enterprise_list_for(*, user):
    return Enterprise.objects.visible_to(user).select_related("region")
