"""Base API viewsets: rows come only through the scoping mechanism; writes go through services."""

from rest_framework import mixins, viewsets

from sibao.accounts.roles import Action
from sibao.regions.scoping import get_visible_or_404

_ACTION_FOR_METHOD = {"GET": Action.VIEW, "HEAD": Action.VIEW, "OPTIONS": Action.VIEW}


class ScopedViewSetMixin:
    """`get_queryset` is `visible_to(user, action)`, with the action read from the HTTP method."""

    model = None

    def scope_action(self) -> str:
        return _ACTION_FOR_METHOD.get(self.request.method, Action.CHANGE)

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user, self.scope_action())

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        obj = get_visible_or_404(queryset, self.request.user, self.scope_action(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedServiceViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Create and update call the app's services; subclasses implement `perform_*` with them."""

    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
