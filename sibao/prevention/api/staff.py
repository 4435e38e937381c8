"""API: staff rosters (masked ID numbers; `reveal` for those allowed), roster import, bulk test results and
bulk health-credential checks. Rows come with `Action.HEALTH`; writes go through the services."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sibao.accounts.roles import Action
from sibao.core import tabular
from sibao.core.api import (
    MULTIPART_OVERHEAD,
    ImportResultSerializer,
    ScopedServiceViewSet,
    declared_length,
    edited_version,
    plain_fields,
)
from sibao.core.errors import ErrorCode, ServiceError
from sibao.enterprises.models import Enterprise
from sibao.prevention.forms import StaffFilter
from sibao.prevention.models import StaffMember
from sibao.prevention.services import credentials, tests
from sibao.prevention.services import staff as services
from sibao.regions.scoping import get_visible_or_404


class StaffSerializer(serializers.ModelSerializer):
    """A member of staff as the API shows them: the ID number masked, never in full."""

    id_number = serializers.CharField(source="id_masked", read_only=True, help_text="Masked: 410***********123X.")

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "enterprise",
            "name",
            "id_number",
            "phone",
            "post_type",
            "loop_kind",
            "loop_unit",
            "workplace",
            "lodging",
            "start_date",
            "left_on",
            "last_sampled_at",
            "last_result",
            "last_institution",
            "code_outcome",
            "code_checked_at",
            "code_source",
            "itinerary_risk",
            "itinerary_checked_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StaffWriteSerializer(serializers.Serializer):
    """Documents the accepted fields; values are validated by the service (as the import file's cells)."""

    enterprise = serializers.IntegerField(help_text="On creation only.")
    name = serializers.CharField()
    id_number = serializers.CharField(help_text="18 characters; a lower-case x is accepted.")
    phone = serializers.CharField(required=False, allow_blank=True)
    post_type = serializers.CharField(required=False, help_text="general or mobile (or their labels).")
    loop_kind = serializers.CharField(required=False, allow_blank=True, help_text="bubble or two_point.")
    loop_unit = serializers.CharField(required=False, allow_blank=True)
    workplace = serializers.CharField(required=False, allow_blank=True)
    lodging = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.CharField(help_text="YYYY-MM-DD")
    version = serializers.IntegerField(required=False, help_text="The version you edited; a newer one is a conflict.")


class RevealSerializer(serializers.Serializer):
    id_number = serializers.CharField()


class LeaveRequest(serializers.Serializer):
    left_on = serializers.DateField(required=False, help_text="Default: today.")


class StaffImportRequest(serializers.Serializer):
    enterprise = serializers.IntegerField()
    file = serializers.FileField()


class StaffImportResult(ImportResultSerializer):
    pass


class StaffViewSet(ScopedServiceViewSet):
    """Staff on the rosters the caller keeps (filter by `enterprise`, `post_type`, `present`, `q`).
    Create, update (PATCH), `leave`, `reveal` the full ID number (audited) and `import` a roster file."""

    model = StaffMember
    serializer_class = StaffSerializer
    filterset_class = StaffFilter

    def scope_action(self) -> str:
        return Action.HEALTH

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise")

    @extend_schema(request=StaffWriteSerializer, responses={201: StaffSerializer})
    def create(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        enterprise = _kept_enterprise(request, data.pop("enterprise", None))
        member = services.staff_create(actor=request.user, enterprise=enterprise, data=data)
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StaffWriteSerializer, responses=StaffSerializer)
    def update(self, request, *args, **kwargs):
        member = self.get_object()
        data = plain_fields(request.data)
        data.pop("enterprise", None)
        version = edited_version(data.pop("version", None))
        member = services.staff_update(actor=request.user, staff=member, data=data, expected_version=version)
        return Response(self.get_serializer(member).data)

    @extend_schema(request=None, responses=RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, *args, **kwargs):
        """The full ID number, for prevention officials where the enterprise is; every reveal is audited."""
        number = services.staff_reveal_id(actor=request.user, staff=self.get_object())
        response = Response({"id_number": number})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=LeaveRequest, responses=StaffSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, *args, **kwargs):
        serializer = LeaveRequest(data=plain_fields(request.data))
        if not serializer.is_valid():
            raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), serializer.errors)
        member = services.staff_leave(
            actor=request.user, staff=self.get_object(), on=serializer.validated_data.get("left_on")
        )
        return Response(self.get_serializer(member).data)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"enterprise": {"type": "integer"}, "file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: StaffImportResult},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser], url_path="import")
    def import_file(self, request, *args, **kwargs):
        """Import an enterprise's roster from csv/xlsx: every row stored or reported."""
        tabular.refuse_if_too_large(declared_length(request) - MULTIPART_OVERHEAD)
        enterprise = _kept_enterprise(request, request.data.get("enterprise"))
        upload = _required_file(request)
        batch = services.staff_import(actor=request.user, enterprise=enterprise, upload=upload)
        return Response(_batch_data(batch), status=status.HTTP_201_CREATED)


def _kept_enterprise(request, pk) -> Enterprise:
    if pk in (None, ""):
        raise ServiceError(
            ErrorCode.INVALID, _("Some values are not valid."), {"enterprise": [_("This field is required.")]}
        )
    return get_visible_or_404(Enterprise, request.user, Action.HEALTH, pk=pk)


def _required_file(request):
    upload = request.FILES.get("file")
    if upload is None:
        raise ServiceError(ErrorCode.INVALID, _("No file was sent."), {"file": [_("This field is required.")]})
    return upload


def _batch_data(batch) -> dict:
    return {name: getattr(batch, name) for name in TestIngestResult().fields}


class TestResultRow(serializers.Serializer):
    id_number = serializers.CharField()
    sampled_at = serializers.CharField(help_text="Local time (2022-05-01 08:30) or ISO 8601 with an offset.")
    institution = serializers.CharField()
    result = serializers.CharField(help_text="negative or positive (阴性/阳性 accepted).")


class TestIngestResult(ImportResultSerializer):
    held = serializers.IntegerField(help_text="Results of people on no roster you keep, kept apart.")


class TestResultViewSet(viewsets.ViewSet):
    """Bulk ingest of nucleic-acid test results: a JSON list of rows, or a csv/xlsx `file`.

    Counts: `created` stored, `unchanged` duplicates, `held` kept apart, `rejected` with `errors`."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=TestResultRow(many=True), responses={201: TestIngestResult})
    def create(self, request, *args, **kwargs):
        if request.content_type.startswith("multipart/"):
            tabular.refuse_if_too_large(declared_length(request) - MULTIPART_OVERHEAD)
            batch = tests.test_results_ingest(actor=request.user, upload=_required_file(request))
        else:
            batch = tests.test_results_ingest(actor=request.user, rows=request.data)
        return Response(_batch_data(batch), status=status.HTTP_201_CREATED)


class CredentialCheckRow(serializers.Serializer):
    id_number = serializers.CharField()
    outcome = serializers.CharField(help_text="green, yellow, red, expired, not_found or failed.")
    itinerary_risk = serializers.BooleanField(required=False, allow_null=True)
    source = serializers.CharField()
    checked_at = serializers.CharField(help_text="Local time (2022-05-01 08:30) or ISO 8601 with an offset.")


class CredentialIngestResult(serializers.Serializer):
    rows = serializers.IntegerField()
    recorded = serializers.IntegerField()
    unknown = serializers.IntegerField(help_text="ID numbers on no roster you keep.")
    rejected = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class CredentialCheckViewSet(viewsets.ViewSet):
    """Bulk health-credential checks (两码一证) by ID number; unknown ID numbers are reported."""

    @extend_schema(
        request=CredentialCheckRow(many=True),
        responses={201: CredentialIngestResult, 400: OpenApiResponse(description="Not a list of checks.")},
    )
    def create(self, request, *args, **kwargs):
        counts = credentials.credential_checks_ingest(actor=request.user, rows=request.data)
        return Response(counts, status=status.HTTP_201_CREATED)


# (prefix under api/v1/, viewset, basename), registered by sibao/api/urls.py.
ROUTES = [
    ("prevention/staff", StaffViewSet, "prevention-staff"),
    ("prevention/test-results", TestResultViewSet, "prevention-test-result"),
    ("prevention/credential-checks", CredentialCheckViewSet, "prevention-credential-check"),
]
