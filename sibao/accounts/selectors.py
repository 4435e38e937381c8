"""Reads about people: who holds a right at a place."""

from django.db.models import Q

from sibao.accounts.roles import ROLE_ACTIONS


def region_prefixes(code: str) -> list[str]:
    """Every subtree prefix a grant covering `code` may have: 41, 4101, 410104, 410104001 ..."""
    return [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]


def holders_of(action: str, region_code: str, sector: str = "", *, roles=None) -> list:
    """Active users with a grant (of one of `roles`, if given) that lets them `action` at this region and sector."""
    from sibao.accounts.models import User

    allowed = [role for role, actions in ROLE_ACTIONS.items() if action in actions and (roles is None or role in roles)]
    grants = Q(grants__role__in=allowed, grants__region_prefix__in=region_prefixes(region_code)) & (
        Q(grants__sector="") | Q(grants__sector=sector)
    )
    return list(User.objects.filter(grants, is_active=True).distinct().order_by("id"))
