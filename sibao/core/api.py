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


class ScopedServiceViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Create and update go through the app's services: subclasses override `create` / `update` and call
    them. The model is never saved from a serializer here, so a subclass that forgets gets an error."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        raise NotImplementedError("create through the app's service")

    def perform_update(self, serializer):
        raise NotImplementedError("update through the app's service")
