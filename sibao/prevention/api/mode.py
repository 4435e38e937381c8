"""API: the mode switch (平急转换) — its history, a preview, and the switch itself (services/mode.py decides)."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sibao.core.api import ScopedViewSetMixin
from sibao.core.errors import ErrorCode, ServiceError
from sibao.prevention.models import ModeSwitch
from sibao.prevention.services.mode import ModePreview, mode_switch_apply, mode_switch_preview
from sibao.regions.models import Mode
from sibao.regions.scoping import visible_regions


class ModeSwitchSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = ModeSwitch
        fields = [
            "id",
            "region",
            "region_name",
            "to_mode",
            "actor",
            "at",
            "reason",
            "regions",
            "firms",
            "staff",
            "tests_per_day",
            "not_ready",
        ]
        read_only_fields = fields


class SwitchRequest(serializers.Serializer):
    region = serializers.CharField(help_text="Division code of the region whose subtree is switched.")
    to_mode = serializers.ChoiceField(choices=Mode.choices)
    reason = serializers.CharField()


PreviewSerializer = inline_serializer(
    "ModeSwitchPreview",
    {
        "region": serializers.CharField(),
        "region_name": serializers.CharField(),
        "to_mode": serializers.CharField(),
        "regions": serializers.IntegerField(help_text="regions in the subtree"),
        "changing": serializers.IntegerField(help_text="regions whose mode would change"),
        "firms": serializers.IntegerField(help_text="whitelisted firms affected"),
        "staff": serializers.IntegerField(),
        "general": serializers.IntegerField(),
        "mobile": serializers.IntegerField(),
        "tests_per_day": serializers.IntegerField(),
        "areas": inline_serializer(
            "ModeSwitchArea",
            {
                "region": serializers.CharField(),
                "region_name": serializers.CharField(),
                "firms": serializers.IntegerField(),
                "general": serializers.IntegerField(),
                "mobile": serializers.IntegerField(),
                "tests_per_day": serializers.IntegerField(),
            },
            many=True,
        ),
        "not_ready": inline_serializer(
            "ModeSwitchNotReady",
            {
                "enterprise": serializers.IntegerField(),
                "name": serializers.CharField(),
                "region": serializers.CharField(),
                "gaps": inline_serializer(
                    "ModeSwitchGap",
                    {"code": serializers.CharField(), "message": serializers.CharField()},
                    many=True,
                ),
            },
            many=True,
        ),
    },
)


def _preview_data(preview: ModePreview) -> dict:
    return {
        "region": preview.region.code,
        "region_name": preview.region.name,
        "to_mode": preview.to_mode,
        "regions": preview.regions,
        "changing": preview.changing,
        "firms": preview.firms,
        "staff": preview.staff,
        "general": preview.general,
        "mobile": preview.mobile,
        "tests_per_day": preview.tests_per_day,
        "areas": [
            {
                "region": a.code,
                "region_name": a.name,
                "firms": a.firms,
                "general": a.general,
                "mobile": a.mobile,
                "tests_per_day": a.tests_per_day,
            }
            for a in preview.areas
        ],
        "not_ready": [
            {
                "enterprise": f.enterprise_id,
                "name": f.name,
                "region": f.region_id,
                "gaps": [{"code": g.code, "message": g.message} for g in f.gaps],
            }
            for f in preview.not_ready
        ],
    }


def _required(data, field: str) -> str:
    value = data.get(field)
    if value in (None, ""):
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {field: [_("This field is required.")]})
    return str(value)


def _region(user, code: str):
    """A region the caller may see; any other is not found."""
    region = visible_regions(user).filter(code=code).first()
    if region is None:
        raise Http404
    return region


class ModeSwitchViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The history of mode switches the caller may see; POST switches a region subtree (prevention HQ and
    dispatch office only) with a reason; `preview` shows what a switch would affect, changing nothing."""

    model = ModeSwitch
    serializer_class = ModeSwitchSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("region", "actor")

    @extend_schema(request=SwitchRequest, responses={201: ModeSwitchSerializer})
    def create(self, request, *args, **kwargs):
        data = request.data if hasattr(request.data, "get") else {}
        switch = mode_switch_apply(
            actor=request.user,
            region=_region(request.user, _required(data, "region")),
            to_mode=_required(data, "to_mode"),
            reason=str(data.get("reason") or ""),
        )
        return Response(self.get_serializer(switch).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, required=True, description="Division code of the region to switch."),
            OpenApiParameter("to_mode", str, required=True, enum=Mode.values, description="The mode to switch to."),
        ],
        responses={200: PreviewSerializer},
    )
    @action(detail=False, methods=["get"])
    def preview(self, request, *args, **kwargs):
        params = request.query_params
        preview = mode_switch_preview(
            actor=request.user,
            region=_region(request.user, _required(params, "region")),
            to_mode=_required(params, "to_mode"),
        )
        return Response(_preview_data(preview))


# (prefix under api/v1/, viewset, basename), registered by sibao/api/urls.py.
ROUTES = [("prevention/mode-switches", ModeSwitchViewSet, "prevention-mode-switch")]
