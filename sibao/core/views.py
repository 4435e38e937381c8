"""Base views: every page reaches its rows through the scoping mechanism, so none can forget it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.views import generic

from sibao.accounts.roles import Action
from sibao.regions.scoping import get_visible_or_404


class ScopedMixin(LoginRequiredMixin):
    """`get_queryset` is always `Model.objects.visible_to(user, action)`."""

    model = None
    action = Action.VIEW

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user, self.action)


class ScopedListView(ScopedMixin, generic.ListView):
    paginate_by = 50
    filterset_class = None

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset_class:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
            return self.filterset.qs
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = getattr(self, "filterset", None)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context


class ScopedDetailView(ScopedMixin, generic.DetailView):
    def get_object(self, queryset=None):
        return get_visible_or_404(self.get_queryset(), self.request.user, self.action, pk=self.kwargs["pk"])


def file_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)  # RFC 6266: non-ASCII names encoded
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
