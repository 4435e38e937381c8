"""Who sees what: the one scoping mechanism (DESIGN §4).

A model that belongs to a place declares a `ScopeSpec` and uses `ScopedManager`; every page and
API route reaches its rows through `Model.objects.visible_to(user, action)` or
`get_visible_or_404`. A user's grants are (role, region subtree, optional sector); an enterprise
liaison reaches only rows of its own enterprise. Not found and not allowed look the same.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.http import Http404

from sibao.accounts.roles import LIAISON_ACTIONS, Action, role_allows

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class ScopeSpec:
    """Paths from a model to what scopes it: its region code, its sector, its enterprise id."""

    region: str | None = None
    sector: str | None = None
    enterprise: str | None = None


def user_grants(user) -> list:
    """The user's grants, read once per user object."""
    cached = getattr(user, "_sibao_grants", None)
    if cached is None:
        cached = list(user.grants.all()) if user.is_authenticated else []
        user._sibao_grants = cached
    return cached


def scope_q(user, spec: ScopeSpec, action: str = Action.VIEW) -> Q:
    """The filter selecting exactly the rows `user` may `action`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    condition = NOTHING
    if spec.region:
        for grant in user_grants(user):
            if not role_allows(grant.role, action):
                continue
            part = Q(**{f"{spec.region}__startswith": grant.region_prefix})
            if grant.sector and spec.sector:
                part &= Q(**{spec.sector: grant.sector})
            condition |= part
    if spec.enterprise and user.enterprise_id and action in LIAISON_ACTIONS:
        condition |= Q(**{spec.enterprise: user.enterprise_id})
    return condition


def may_act_at(user, action: str, region_code: str, sector: str | None = None) -> bool:
    """Whether some grant lets `user` do `action` for a thing at this region (and sector)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(
        role_allows(g.role, action) and region_code.startswith(g.region_prefix) and (not g.sector or g.sector == sector)
        for g in user_grants(user)
    )


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = Action.VIEW) -> "ScopedQuerySet":
        return self.filter(scope_q(user, self.model.scope, action))


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


def get_visible_or_404(queryset_or_model, user, action: str = Action.VIEW, **lookup):
    """The one door to a protected object: 404 whether it is missing or not the user's to see."""
    queryset = getattr(queryset_or_model, "objects", queryset_or_model)
    try:
        return queryset.visible_to(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_regions(user, action: str | None = None):
    """Regions the user may see (every subtree it has a grant for), or may `action` in."""
    from sibao.regions.models import Region

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    condition = NOTHING
    for grant in user_grants(user):
        if action is None or role_allows(grant.role, action):
            condition |= Q(code__startswith=grant.region_prefix)
    return Region.objects.filter(condition)


def holds_action_somewhere(user, action: str) -> bool:
    """Whether the user holds any grant allowing `action` (to show or hide a button)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or any(role_allows(g.role, action) for g in user_grants(user))
