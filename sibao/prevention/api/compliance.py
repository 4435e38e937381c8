"""API: test compliance per enterprise and rolled up, and each enterprise's closed-loop plan with its gaps."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sibao.accounts.roles import Action
from sibao.core.api import ScopedViewSetMixin
from sibao.core.errors import ErrorCode, ServiceError
from sibao.enterprises.models import Enterprise
from sibao.prevention import selectors
from sibao.prevention.models import ClosedLoopPlan, ComplianceDay
from sibao.prevention.services.readiness import PLAN_FIELDS, closed_loop_plan_update
from sibao.regions.models import Region
from sibao.regions.scoping import get_visible_or_404
from sibao.whitelist.filters import coverage_region, coverage_sector


class ComplianceDaySerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    counted = serializers.IntegerField(read_only=True, help_text="Staff the share is taken over (newcomers apart).")
    share = serializers.FloatField(
        read_only=True, allow_null=True, help_text="within / counted; null with nobody counted."
    )

    class Meta:
        model = ComplianceDay
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "day",
            "computed_at",
            "region_code",
            "sector",
            "staff",
            "newcomers",
            "within",
            "overdue",
            "positive",
            "counted",
            "share",
            "cycle_general_hours",
            "cycle_mobile_hours",
            "static_days",
        ]


REGION_PARAMETERS = [
    OpenApiParameter("region", str, description="Division code: enterprises registered in its subtree."),
    OpenApiParameter("sector", str, description="Limit to one sector."),
]


def _figures(figures) -> dict:
    return {
        "firms": figures.firms,
        "staff": figures.staff,
        "newcomers": figures.newcomers,
        "counted": figures.counted,
        "within": figures.within,
        "overdue": figures.overdue,
        "positive": figures.positive,
        "share": figures.share,
    }


def _rollup(rollup) -> dict:
    rows = [{"key": r.key, "name": r.label, "direct": r.direct, **_figures(r.figures)} for r in rollup.rows]
    return {
        "rows": rows,
        "total": _figures(rollup.total),
        "as_of": rollup.as_of.isoformat() if rollup.as_of else None,
        "oldest_day": rollup.oldest.isoformat() if rollup.oldest else None,
    }


def _sector(request) -> str | None:
    raw = request.query_params.get("sector")
    sector = coverage_sector(raw)
    if raw and sector is None:
        raise ServiceError(ErrorCode.INVALID, _("Unknown sector."), {"sector": [_("Unknown sector.")]})
    return sector


class ComplianceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each enterprise's latest test compliance (the caller's scope; shares are aggregates, seen with `view`),
    and `rollup`: a region's compliance by child region and by sector."""

    model = ComplianceDay
    serializer_class = ComplianceDaySerializer

    def get_queryset(self):
        region = None
        code = self.request.query_params.get("region")
        if code:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise ServiceError(ErrorCode.INVALID, _("Unknown region."), {"region": [_("Unknown region.")]})
        rows = selectors.latest_compliance(self.request.user, region=region, sector=_sector(self.request))
        return rows.select_related("enterprise").order_by("enterprise_id")

    @extend_schema(parameters=REGION_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="Division code (default: the caller's widest region)."),
            OpenApiParameter("sector", str, description="Limit the per-region rows to one sector."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def rollup(self, request, *args, **kwargs):
        region = coverage_region(request.user, request.query_params.get("region"))
        if region is None:
            raise Http404
        sector = _sector(request)
        return Response(
            {
                "region": region.code,
                "region_name": region.name,
                "sector": sector,
                "by_region": _rollup(selectors.compliance_by_region(request.user, region, sector=sector)),
                "by_sector": _rollup(selectors.compliance_by_sector(request.user, region)),
            }
        )


class GapSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ClosedLoopPlanSerializer(serializers.Serializer):
    """An enterprise's closed-loop plan (empty fields while it has none) and what it still lacks."""

    enterprise = serializers.IntegerField()
    has_plan_document = serializers.BooleanField()
    lodging = serializers.CharField(allow_blank=True)
    lodging_beds = serializers.IntegerField(allow_null=True)
    receiving_point = serializers.CharField(allow_blank=True)
    observation_places = serializers.IntegerField(allow_null=True)
    lead_name = serializers.CharField(allow_blank=True)
    lead_phone = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(help_text="Send it back with a change; 0 while there is no plan.")
    updated_at = serializers.DateTimeField(allow_null=True)
    gaps = GapSerializer(many=True)


class ClosedLoopPlanWriteSerializer(serializers.Serializer):
    """Documents the accepted fields; the service validates them. Multipart to send the document."""

    plan_document = serializers.FileField(required=False, help_text="PDF, DOC, DOCX, JPG or PNG.")
    lodging = serializers.CharField(required=False, allow_blank=True)
    lodging_beds = serializers.IntegerField(required=False, allow_null=True)
    receiving_point = serializers.CharField(required=False, allow_blank=True)
    observation_places = serializers.IntegerField(required=False, allow_null=True)
    lead_name = serializers.CharField(required=False, allow_blank=True)
    lead_phone = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, help_text="The version you edited; a newer one is a conflict.")


def _plan_data(enterprise: Enterprise) -> dict:
    plan = ClosedLoopPlan.objects.filter(enterprise=enterprise).first()
    gaps = selectors.readiness_by_enterprise([enterprise.pk]).get(enterprise.pk, [])
    return {
        "enterprise": enterprise.pk,
        "has_plan_document": bool(plan and plan.plan_document),
        **{
            name: getattr(plan, name) if plan else (None if name in ("lodging_beds", "observation_places") else "")
            for name in PLAN_FIELDS
        },
        "version": plan.version if plan else 0,
        "updated_at": plan.updated_at if plan else None,
        "gaps": [{"code": gap.code, "message": gap.message} for gap in gaps],
    }


ENTERPRISE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The enterprise's id.")


class ClosedLoopPlanViewSet(viewsets.ViewSet):
    """An enterprise's closed-loop plan, addressed by the enterprise's id, with its readiness gaps.

    Read with `view` on the enterprise; changed (PATCH, JSON or multipart with `plan_document`) by its
    liaison or an official who may change it.
    """

    model = Enterprise  # the id in the path is the enterprise's
    serializer_class = ClosedLoopPlanSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(parameters=[ENTERPRISE_ID], responses=ClosedLoopPlanSerializer)
    def retrieve(self, request, pk=None, **kwargs):
        enterprise = get_visible_or_404(Enterprise, request.user, Action.VIEW, pk=pk)
        return Response(ClosedLoopPlanSerializer(_plan_data(enterprise)).data)

    @extend_schema(
        parameters=[ENTERPRISE_ID], request=ClosedLoopPlanWriteSerializer, responses=ClosedLoopPlanSerializer
    )
    def partial_update(self, request, pk=None, **kwargs):
        enterprise = get_visible_or_404(Enterprise, request.user, Action.CHANGE, pk=pk)
        data = request.data
        if not hasattr(data, "get"):
            raise ServiceError(ErrorCode.INVALID, _("The request body must be an object of field values."))
        values = {name: data.get(name) for name in (*PLAN_FIELDS, "version") if name in data}
        closed_loop_plan_update(
            actor=request.user, enterprise=enterprise, data=values, document=request.FILES.get("plan_document")
        )
        return Response(ClosedLoopPlanSerializer(_plan_data(enterprise)).data)


ROUTES = [
    ("prevention/compliance", ComplianceViewSet, "prevention-compliance"),
    ("prevention/closed-loop-plans", ClosedLoopPlanViewSet, "prevention-closed-loop-plan"),
]
