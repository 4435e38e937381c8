"""The audit log for auditors: read-only, filtered to the auditor's jurisdiction."""

import django_filters
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views import generic

from sibao.accounts.roles import Action, role_allows
from sibao.audit.models import Event
from sibao.regions.scoping import NOTHING, user_grants


def audit_scope(user) -> Q:
    """Events in the regions where the user holds a role that may read the audit log."""
    if user.is_superuser:
        return Q()
    condition = NOTHING
    for grant in user_grants(user):
        if role_allows(grant.role, Action.AUDIT):
            condition |= Q(region_code__startswith=grant.region_prefix)
    return condition


class EventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(label=_("Action"), lookup_expr="startswith")
    actor = django_filters.CharFilter(label=_("Actor"), field_name="actor_label")
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    since = django_filters.DateFilter(label=_("From"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("To"), field_name="at", lookup_expr="date__lte")

    class Meta:
        model = Event
        fields = ["action", "actor", "object_type", "object_id", "since", "until"]


class EventListView(LoginRequiredMixin, generic.ListView):
    template_name = "audit/list.html"
    paginate_by = 100

    def get_queryset(self):
        user = self.request.user
        if not (user.is_superuser or any(role_allows(g.role, Action.AUDIT) for g in user_grants(user))):
            raise Http404
        queryset = Event.objects.filter(audit_scope(user)).select_related("actor")
        self.filterset = EventFilter(self.request.GET or None, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        return context
