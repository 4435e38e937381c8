"""Closed-loop production (闭环生产): the one rule of who is in it, and the region modes pages show.

A firm is in closed-loop mode while it is whitelisted (`sibao.whitelist.selectors.WHITELISTED`: its own entry
or its park's entry active) and its region is in emergency mode. Nothing is copied onto the enterprise: a firm
admitted during an emergency is in closed loop at once, and switching the region back ends it for every firm.
Pages ask through the `closed_loop` filter and the `closed_loop_ids` tag (templatetags/prevention.py).
"""

from collections.abc import Iterable

from django.db.models import Q

from sibao.enterprises.models import Enterprise
from sibao.regions.models import Mode, Region, ancestor_codes
from sibao.regions.scoping import user_grants
from sibao.whitelist.selectors import WHITELISTED

# For a queryset of enterprises: those in closed-loop mode now.
CLOSED_LOOP = WHITELISTED & Q(region__mode=Mode.EMERGENCY)


def whitelisted_in(prefix: str):
    """The whitelisted enterprises registered in the region subtree with this prefix."""
    return Enterprise.objects.filter(region__code__startswith=prefix).filter(WHITELISTED)


def in_closed_loop(enterprise) -> bool:
    """Whether the enterprise produces in closed loop now (no query while its region is in normal mode)."""
    if enterprise.region.mode != Mode.EMERGENCY:  # the common case, answered from the loaded region
        return False
    return Enterprise.objects.filter(pk=enterprise.pk).filter(CLOSED_LOOP).exists()


def closed_loop_ids(enterprises: Iterable) -> set[int]:
    """The ids of those of `enterprises` (a page of rows, regions loaded) in closed loop: at most one query."""
    emergency = [e.pk for e in enterprises if e.region.mode == Mode.EMERGENCY]
    if not emergency:
        return set()
    return set(Enterprise.objects.filter(pk__in=emergency).filter(CLOSED_LOOP).values_list("pk", flat=True))


# --- region modes, as the pages show them -------------------------------------------------------------------


def home_regions(user) -> list[str]:
    """The codes of the regions a user answers for: its grants' regions, or its enterprise's region."""
    if user.is_superuser:
        return [Region.objects.filter(parent__isnull=True).values_list("code", flat=True).first() or ""]
    codes = {grant.region_id for grant in user_grants(user)}
    if user.enterprise_id:
        codes.add(user.enterprise.region_id)
    return sorted(codes)


def emergency_regions(user) -> list[Region]:
    """The regions in emergency mode above, at or inside the user's regions: the top of each switched subtree."""
    if not getattr(user, "is_authenticated", False):
        return []
    codes = [code for code in home_regions(user) if code]
    if not codes:
        return []
    near = Q(code__in={c for code in codes for c in ancestor_codes(code)})
    for prefix in Region.objects.filter(code__in=codes).values_list("prefix", flat=True):
        near |= Q(code__startswith=prefix)
    found = list(Region.objects.filter(near, mode=Mode.EMERGENCY).order_by("code"))
    inside = {region.code for region in found}
    return [region for region in found if region.parent_id not in inside]
