"""Reads of the registry, always for a requesting user."""

from decimal import Decimal

from django.db.models import BooleanField, Case, Count, Sum, Value, When

from sibao.accounts.roles import Action
from sibao.audit.models import Event
from sibao.core.choices import Sector
from sibao.enterprises.models import Enterprise
from sibao.regions.scoping import scope_q


def registry_summary(*, user) -> dict:
    """Counts, output and headcount of the enterprises the user may see, in total and by sector.

    Each sector row carries its label and its share of the total output (percent), in the order of `Sector`.
    """
    visible = Enterprise.objects.visible_to(user)
    rows = visible.values("sector").annotate(count=Count("id"), output=Sum("output_value"), headcount=Sum("headcount"))
    labels = dict(Sector.choices)
    order = {value: index for index, value in enumerate(Sector.values)}
    by_sector = sorted(
        ({**row, "label": labels.get(row["sector"], row["sector"])} for row in rows),
        key=lambda row: (order.get(row["sector"], len(order)), row["sector"]),
    )
    total_output = sum((row["output"] or Decimal(0) for row in by_sector), Decimal(0))
    for row in by_sector:
        row["share"] = float(100 * (row["output"] or 0) / total_output) if total_output else 0.0
    return {
        "total": sum(row["count"] for row in by_sector),
        "total_output": total_output,
        "total_headcount": sum(row["headcount"] or 0 for row in by_sector),
        "by_sector": by_sector,
    }


def enterprise_history(*, enterprise: Enterprise):
    """The audit events of one enterprise, newest first (the caller has already been allowed to see it)."""
    return Event.objects.for_object(enterprise).select_related("actor")


def with_contact_permission(queryset, user):
    """Annotate `contact_visible`: whether `user` may see the contact phone in full, which is the right
    to change the enterprise (its own liaison, or an official who keeps it); others see it masked."""
    if getattr(user, "is_superuser", False):
        return queryset.annotate(contact_visible=Value(True, output_field=BooleanField()))
    condition = scope_q(user, Enterprise.scope, Action.CHANGE)
    return queryset.annotate(
        contact_visible=Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
    )
