"""The filter sets of the whitelist lists, each shared by its page and its API route.

An enterprise id is a plain number, never checked against enterprises outside the caller's view, and a
division code selects its subtree among the rows the caller may see: a filter never widens what one sees.
"""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sibao.core.choices import Sector
from sibao.core.clock import today
from sibao.regions.models import Region
from sibao.whitelist.models import (
    Application,
    ApplicationStatus,
    BreakerCase,
    BreakerLevel,
    BreakerStatus,
    CriteriaSet,
    CriteriaStatus,
    Entry,
    EntryStatus,
    JointAction,
    JointDecision,
    JointDecisionStatus,
    SpotCheck,
)

EXPIRING_DAYS = 30


def in_subtree(queryset, path: str, value: str):
    """Rows whose region (at `path`) lies in the subtree of the division code `value`; none for an unknown code."""
    region = Region.objects.filter(code=(value or "").strip()).first()
    return queryset.filter(**{f"{path}__startswith": region.prefix}) if region else queryset.none()


class EntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EntryStatus.choices)
    sector = django_filters.ChoiceFilter(label=_("Sector"), field_name="enterprise__sector", choices=Sector.choices)
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    needs_review = django_filters.BooleanFilter(label=_("Flagged for re-review"))
    expiring = django_filters.BooleanFilter(label=_("Expiring within 30 days"), method="expiring_soon")
    enterprise = django_filters.NumberFilter(field_name="enterprise_id")

    class Meta:
        model = Entry
        fields = ["q", "status", "sector", "region", "needs_review", "expiring", "enterprise"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(enterprise__name__icontains=value) | Q(enterprise__credit_code__istartswith=value.upper())
        )

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "enterprise__region__code", value)

    def expiring_soon(self, queryset, name, value):
        """Listed entries whose term ends within 30 days (or, with "no", those that do not)."""
        if value is None:
            return queryset
        soon = Q(
            status__in=(EntryStatus.ACTIVE, EntryStatus.SUSPENDED), valid_to__lte=today() + dt.timedelta(EXPIRING_DAYS)
        )
        return queryset.filter(soon) if value else queryset.exclude(soon)


class PublicEntryFilter(django_filters.FilterSet):
    """The public page's filter: a jurisdiction, a sector, a name."""

    q = django_filters.CharFilter(label=_("Enterprise name"), method="search")
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    sector = django_filters.ChoiceFilter(label=_("Sector"), field_name="enterprise__sector", choices=Sector.choices)

    class Meta:
        model = Entry
        fields = ["q", "region", "sector"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(enterprise__name__icontains=value) if value else queryset

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "enterprise__region__code", value)


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ApplicationStatus.choices)
    sector = django_filters.ChoiceFilter(label=_("Sector"), field_name="enterprise__sector", choices=Sector.choices)
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    priority = django_filters.BooleanFilter(label=_("City-operation support"))
    enterprise = django_filters.NumberFilter(field_name="enterprise_id")

    class Meta:
        model = Application
        fields = ["status", "sector", "region", "priority", "enterprise"]

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "enterprise__region__code", value)


class CriteriaSetFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CriteriaStatus.choices)
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices)
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")

    class Meta:
        model = CriteriaSet
        fields = ["status", "sector", "region"]

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "region__code", value)


class SpotCheckFilter(django_filters.FilterSet):
    enterprise = django_filters.NumberFilter(field_name="enterprise_id")
    passed = django_filters.BooleanFilter(label=_("Passed"))
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    checked_after = django_filters.DateFilter(
        label=_("Checked on or after"), field_name="checked_on", lookup_expr="gte"
    )

    class Meta:
        model = SpotCheck
        fields = ["enterprise", "passed", "region", "checked_after"]

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "enterprise__region__code", value)


class BreakerCaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=BreakerStatus.choices)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=BreakerLevel.choices)
    sector = django_filters.ChoiceFilter(
        label=_("Sector"), field_name="entry__enterprise__sector", choices=Sector.choices
    )
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    enterprise = django_filters.NumberFilter(field_name="entry__enterprise_id")

    class Meta:
        model = BreakerCase
        fields = ["status", "level", "sector", "region", "enterprise"]

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "entry__enterprise__region__code", value)


class JointDecisionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=JointDecisionStatus.choices)
    action = django_filters.ChoiceFilter(label=_("Action"), choices=JointAction.choices)
    sector = django_filters.ChoiceFilter(
        label=_("Sector"), field_name="entry__enterprise__sector", choices=Sector.choices
    )
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    enterprise = django_filters.NumberFilter(field_name="entry__enterprise_id")

    class Meta:
        model = JointDecision
        fields = ["status", "action", "sector", "region", "enterprise"]

    def in_region(self, queryset, name, value):
        return in_subtree(queryset, "entry__enterprise__region__code", value)


# --- coverage's parameters ---------------------------------------------------------------------------------


def top_region(user) -> Region | None:
    """The widest region the user's grants cover (a superuser: the province), or None."""
    from sibao.regions.models import Level
    from sibao.regions.scoping import user_grants

    if user.is_superuser:
        return Region.objects.filter(level=Level.PROVINCE).order_by("code").first()
    grants = sorted(user_grants(user), key=lambda g: (len(g.region_prefix), g.region_id))
    return Region.objects.filter(code=grants[0].region_id).first() if grants else None


def coverage_region(user, value: str | None) -> Region | None:
    """The region coverage is asked for, if the user may see it (None otherwise: a 404); by default its top region."""
    from sibao.regions.scoping import visible_regions

    value = (value or "").strip()
    return visible_regions(user).filter(code=value).first() if value else top_region(user)


def coverage_sector(value: str | None) -> str | None:
    """A sector to limit coverage to, or None for all of them."""
    return value if value in Sector.values else None
