"""Registry API: thin serializers over the services."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from sibao.accounts.roles import Action
from sibao.core import tabular
from sibao.core.api import (
    MULTIPART_OVERHEAD,
    ImportResultSerializer,
    ScopedServiceViewSet,
    ScopedViewSetMixin,
    declared_length,
    edited_version,
    plain_fields,
)
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.masking import mask_phone
from sibao.enterprises import selectors, services
from sibao.enterprises.filters import EnterpriseFilter, SupplyLinkFilter
from sibao.enterprises.models import Enterprise, LinkDirection, SupplyLink
from sibao.regions.scoping import get_visible_or_404


class EnterpriseSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id")
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "credit_code",
            "name",
            "kind",
            "sector",
            "industry_section",
            "industry_division",
            "region",
            "region_name",
            "address",
            "output_value",
            "headcount",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "city_operation_support",
            "key_project",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at", "region_name"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "contact_visible", False):
            data["contact_phone"] = mask_phone(data["contact_phone"])
        return data


class EnterpriseWriteSerializer(serializers.Serializer):
    """Documents the accepted fields; values are validated by the service (enterprises.rules)."""

    credit_code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(required=False)
    sector = serializers.CharField()
    industry_section = serializers.CharField(required=False)
    industry_division = serializers.CharField()
    region = serializers.CharField()
    address = serializers.CharField(required=False, allow_blank=True)
    output_value = serializers.CharField()
    headcount = serializers.CharField()
    legal_representative = serializers.CharField(required=False, allow_blank=True)
    contact_name = serializers.CharField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(required=False, allow_blank=True)
    city_operation_support = serializers.BooleanField(required=False)
    key_project = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, help_text="The version you edited; a newer one is a conflict.")


class EnterpriseViewSet(ScopedServiceViewSet):
    """Enterprises and projects the caller may see. Create, update (PATCH) and import."""

    model = Enterprise
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.with_contact_permission(super().get_queryset().select_related("region"), self.request.user)

    @extend_schema(request=EnterpriseWriteSerializer, responses={201: EnterpriseSerializer})
    def create(self, request, *args, **kwargs):
        enterprise = services.enterprise_create(actor=request.user, data=plain_fields(request.data))
        enterprise.contact_visible = True  # who registered it may change it
        return Response(self.get_serializer(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnterpriseWriteSerializer, responses=EnterpriseSerializer)
    def update(self, request, *args, **kwargs):
        enterprise = self.get_object()
        data = plain_fields(request.data)
        enterprise = services.enterprise_update(
            actor=request.user,
            enterprise=enterprise,
            data=data,
            expected_version=edited_version(data.pop("version", None)),
        )
        enterprise.contact_visible = True  # who changed it may change it
        return Response(self.get_serializer(enterprise).data)

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={201: ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser], url_path="import")
    def import_file(self, request, *args, **kwargs):
        # Refuse an oversized upload from its declared length, before the body is received and parsed.
        tabular.refuse_if_too_large(declared_length(request) - MULTIPART_OVERHEAD)
        upload = request.FILES.get("file")
        if upload is None:
            raise ServiceError(ErrorCode.INVALID, _("No file was sent."), {"file": [_("This field is required.")]})
        batch = services.enterprise_import(actor=request.user, upload=upload)
        data = {f: getattr(batch, f) for f in ImportResultSerializer().fields}
        return Response(data, status=status.HTTP_201_CREATED)


# Room for the multipart boundaries and part headers around an uploaded file.
class SupplyLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplyLink
        fields = [
            "id",
            "enterprise",
            "direction",
            "partner_name",
            "partner_credit_code",
            "partner_region",
            "is_key",
            "note",
        ]


class SupplyLinkWriteSerializer(serializers.Serializer):
    """Documents the accepted fields; values are validated by the service."""

    enterprise = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=LinkDirection.choices)
    partner_name = serializers.CharField()
    partner_credit_code = serializers.CharField(required=False, allow_blank=True)
    partner_region = serializers.CharField(help_text="Division code of the partner's region.")
    is_key = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class SupplyLinkViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Supply-chain links of the enterprises the caller may see; add and remove them on enterprises one may change."""

    model = SupplyLink
    serializer_class = SupplyLinkSerializer
    filterset_class = SupplyLinkFilter
    http_method_names = ["get", "post", "delete", "head", "options"]

    @extend_schema(request=SupplyLinkWriteSerializer, responses={201: SupplyLinkSerializer})
    def create(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        if data.get("enterprise") in (None, ""):
            raise ServiceError(
                ErrorCode.INVALID, _("Some values are not valid."), {"enterprise": [_("This field is required.")]}
            )
        enterprise = get_visible_or_404(Enterprise, request.user, Action.CHANGE, pk=data["enterprise"])
        link = services.supply_link_add(actor=request.user, enterprise=enterprise, data=data)
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.supply_link_remove(actor=request.user, link=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
