"""The audit log for auditors: read-only, filtered to the auditor's jurisdiction."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views import generic

from sibao.accounts.roles import Action
from sibao.audit.filters import EventFilter
from sibao.audit.models import Event
from sibao.regions.scoping import holds_action_somewhere


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
