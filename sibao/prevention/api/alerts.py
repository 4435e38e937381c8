"""API: electronic-sentinel alerts (health data: `health` on the enterprise), acknowledged and resolved with notes."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sibao.accounts.roles import Action
from sibao.core.api import ScopedViewSetMixin
from sibao.prevention import selectors
from sibao.prevention.models import Alert, AlertCause, AlertStatus
from sibao.prevention.services.alerts import alert_acknowledge, alert_resolve


class AlertSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True, allow_null=True, default=None)
    acknowledged_by = serializers.StringRelatedField()
    resolved_by = serializers.StringRelatedField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "staff",
            "staff_name",
            "cause",
            "subject",
            "detail",
            "status",
            "raised_at",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledge_note",
            "resolved_by",
            "resolved_at",
            "resolve_note",
        ]


class AlertNoteRequest(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="Required to resolve: how it was dealt with."
    )


class AlertViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Alerts the caller may see, newest first, filtered by `status`, `cause` and `enterprise`;
    `acknowledge` and `resolve` them (each with a note; resolving needs one)."""

    model = Alert
    serializer_class = AlertSerializer

    def scope_action(self) -> str:
        return Action.HEALTH

    def get_queryset(self):
        query = self.request.query_params
        rows = selectors.alerts_for(self.request.user, status=query.get("status"), cause=query.get("cause"))
        enterprise = query.get("enterprise")
        return rows.filter(enterprise_id=enterprise) if enterprise and enterprise.isdigit() else rows

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=AlertStatus.values),
            OpenApiParameter("cause", str, enum=AlertCause.values),
            OpenApiParameter("enterprise", int, description="An enterprise's id."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AlertNoteRequest, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs):
        alert = alert_acknowledge(actor=request.user, alert=self.get_object(), note=_note(request))
        return Response(self.get_serializer(alert).data)

    @extend_schema(request=AlertNoteRequest, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, *args, **kwargs):
        alert = alert_resolve(actor=request.user, alert=self.get_object(), note=_note(request))
        return Response(self.get_serializer(alert).data)


def _note(request) -> str:
    data = request.data
    note = data.get("note", "") if hasattr(data, "get") else ""
    return note if isinstance(note, str) else ""


ROUTES = [("prevention/alerts", AlertViewSet, "prevention-alert")]
