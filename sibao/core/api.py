"""Base API viewsets: rows come only through the scoping mechanism; writes go through services."""

from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets

from sibao.accounts.roles import Action
from sibao.core.errors import ErrorCode, ServiceError
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


# What a multipart upload adds around the file itself: a request this much larger than the import limit
# is refused before it is read.
MULTIPART_OVERHEAD = 64 * 1024


def declared_length(request) -> int:
    """The request's Content-Length (0 when missing or not a number)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def plain_fields(data) -> dict:
    """Request data as a plain dict (one value per key); anything but an object is refused."""
    if hasattr(data, "dict"):
        return data.dict()
    if not isinstance(data, dict):
        raise ServiceError(ErrorCode.INVALID, _("The request body must be an object of field values."))
    return dict(data)


def edited_version(value, *, required: bool = False) -> int | None:
    """The version the client read (None when not sent); a write that detects conflicts compares it."""
    if value is None or value == "":
        if required:
            raise ServiceError(
                ErrorCode.INVALID, _("Some values are not valid."), {"version": [_("Send the version you read.")]}
            )
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(str(value).strip())
    except ValueError:
        raise ServiceError(
            ErrorCode.INVALID, _("Some values are not valid."), {"version": [_("must be a whole number")]}
        ) from None


class ImportResultSerializer(serializers.Serializer):
    """What an import stored and reported (an ImportBatch)."""

    id = serializers.IntegerField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
