"""Showing closed-loop production and emergency mode on any page (the rule itself is in closed_loop.py).

{% load prevention %}
{% if enterprise|closed_loop %}<span class="badge bad">…</span>{% endif %}     one firm (a detail page)
{% closed_loop_ids object_list as closed %} … {% if e.pk in closed %}           a page of firms: one query at most
{% closed_loop_ids object_list "enterprise" as closed %}                        rows holding a firm (entries)
{% include "prevention/_mode_banner.html" %}                                   the user's regions in emergency
"""

from django import template

from sibao.prevention import closed_loop

register = template.Library()

BANNER_LIMIT = 12


@register.filter(name="closed_loop")
def in_closed_loop(enterprise) -> bool:
    """Whether the enterprise produces in closed loop now."""
    return enterprise is not None and closed_loop.in_closed_loop(enterprise)


@register.simple_tag
def closed_loop_ids(rows, attribute: str = "") -> set[int]:
    """Ids of the firms of `rows` (or of each row's `attribute`) in closed loop, in one query at most."""
    firms = [getattr(row, attribute) for row in rows] if attribute else list(rows)
    return closed_loop.closed_loop_ids([f for f in firms if f is not None])


@register.simple_tag(takes_context=True)
def user_emergency_regions(context) -> dict:
    """{"regions": the first BANNER_LIMIT regions in emergency for the page's user, "more": how many others}."""
    request = context.get("request")
    regions = closed_loop.emergency_regions(request.user) if request is not None else []
    return {"regions": regions[:BANNER_LIMIT], "more": max(len(regions) - BANNER_LIMIT, 0)}
