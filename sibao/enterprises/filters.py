"""The one filter set for the enterprise list, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sibao.core.choices import Sector
from sibao.enterprises.models import Enterprise, EnterpriseKind, LinkDirection, SupplyLink


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=EnterpriseKind.choices)
    region = django_filters.CharFilter(label=_("Division code"), method="in_region")
    city_operation_support = django_filters.BooleanFilter(label=_("City-operation support"))
    key_project = django_filters.BooleanFilter(label=_("Key project"))
    min_output = django_filters.NumberFilter(label=_("Output at least"), field_name="output_value", lookup_expr="gte")

    class Meta:
        model = Enterprise
        fields = ["q", "sector", "kind", "region", "city_operation_support", "key_project", "min_output"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__istartswith=value.upper()))

    def in_region(self, queryset, name, value):
        """A division code selects its whole subtree."""
        from sibao.regions.models import Region

        region = Region.objects.filter(code=value.strip()).first()
        return queryset.filter(region__code__startswith=region.prefix) if region else queryset.none()


class SupplyLinkFilter(django_filters.FilterSet):
    """Filters on the links the caller may see; an enterprise id is a plain number, never checked against
    enterprises outside the caller's view (so a filter cannot tell whether an unseen enterprise exists)."""

    enterprise = django_filters.NumberFilter(field_name="enterprise_id")
    direction = django_filters.ChoiceFilter(choices=LinkDirection.choices)
    is_key = django_filters.BooleanFilter()

    class Meta:
        model = SupplyLink
        fields = ["enterprise", "direction", "is_key"]
