"""The audit log for auditors: read-only, filtered to the auditor's jurisdiction."""

import django_filters
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views import generic

from sibao.accounts.roles import Action
from sibao.audit.models import Event
from sibao.regions.scoping import holds_action_somewhere


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
        if not holds_action_somewhere(user, Action.AUDIT):
            raise Http404
        queryset = Event.objects.visible_to(user, Action.AUDIT).select_related("actor")
        self.filterset = EventFilter(self.request.GET or None, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        return context
