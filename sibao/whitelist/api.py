"""Whitelist API: scoped reads, and writes that call the services (errors in the one shape, sibao.api.errors)."""

import mimetypes

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sibao.accounts.roles import Action
from sibao.core.api import ScopedServiceViewSet, ScopedViewSetMixin, edited_version, plain_fields
from sibao.core.errors import ErrorCode, ServiceError
from sibao.enterprises.models import Enterprise
from sibao.regions.scoping import get_visible_or_404
from sibao.whitelist import breaker, rules, selectors, services
from sibao.whitelist.filters import (
    ApplicationFilter,
    BreakerCaseFilter,
    CriteriaSetFilter,
    EntryFilter,
    JointDecisionFilter,
    SpotCheckFilter,
    coverage_region,
    coverage_sector,
)
from sibao.whitelist.models import (
    Application,
    ApplicationDocument,
    BreakerCase,
    CriteriaSet,
    Criterion,
    CriterionKind,
    DocumentType,
    Entry,
    JointAction,
    JointDecision,
    SpotCheck,
)

# --- request helpers -----------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {field: [message]})


def _date(value, field: str, *, required: bool = True):
    """An ISO date (YYYY-MM-DD)."""
    import datetime as dt

    if value in (None, ""):
        if required:
            raise _invalid(field, _("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid(field, _("Give a date as YYYY-MM-DD.")) from None


def _boolean(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise _invalid(field, _("must be true or false"))


def _required_id(data: dict, field: str):
    value = data.get(field)
    if value in (None, ""):
        raise _invalid(field, _("This field is required."))
    return value


def _documents(request) -> list[tuple[str, object]]:
    """Uploaded files, each sent under the name of its document type (prevention_plan, staff_list ...)."""
    unknown = sorted(set(request.FILES) - set(DocumentType.values))
    if unknown:
        raise _invalid(
            "documents",
            _("Send each file under its document type (%(types)s), not %(names)s.")
            % {"types": ", ".join(DocumentType.values), "names": ", ".join(unknown)},
        )
    return [(kind, upload) for kind in DocumentType.values for upload in request.FILES.getlist(kind)]


def _decisions(value) -> dict:
    """Decisions by criterion id, from {"12": "approve"}, {"12": ["reject", "why"]}, {"12": {"decision", "reason"}}
    or [{"criterion": 12, "decision": ..., "reason": ...}]."""
    if isinstance(value, list):
        items = {}
        for item in value:
            if not isinstance(item, dict) or "criterion" not in item:
                raise _invalid(
                    "decisions", _("Each decision needs a criterion, a decision and, if not approved, a reason.")
                )
            items[str(item["criterion"])] = item
        value = items
    if not isinstance(value, dict):
        raise _invalid("decisions", _("Send the decisions as an object keyed by criterion id."))
    decisions = {}
    for key, given in value.items():
        if isinstance(given, dict):
            given = (given.get("decision") or "", given.get("reason") or "")
        elif isinstance(given, list):
            given = tuple(given)
        decisions[key] = given
    return decisions


def _file(document: ApplicationDocument) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    content_type = mimetypes.guess_type(document.original_name or document.file.name)[0]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name or document.file.name.rsplit("/", 1)[-1],
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


class ActionScopeMixin:
    """The scope action of a route: its own for the custom actions, else read from the HTTP method."""

    scope_actions: dict[str, str] = {}

    def scope_action(self) -> str:
        return self.scope_actions.get(self.action) or super().scope_action()


# --- serializers ------------------------------------------------------------------------------------------------


class EntrySerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    sector = serializers.CharField(source="enterprise.sector", read_only=True)
    region = serializers.CharField(source="enterprise.region_id", read_only=True)
    region_name = serializers.CharField(source="enterprise.region.name", read_only=True)
    criteria_version = serializers.IntegerField(source="criteria_set.version", read_only=True, allow_null=True)

    class Meta:
        model = Entry
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "sector",
            "region",
            "region_name",
            "status",
            "valid_from",
            "valid_to",
            "criteria_set",
            "criteria_version",
            "application",
            "needs_review",
            "review_reason",
            "removal_reason",
            "production_stopped",
            "production_stopped_on",
            "version",
        ]
        read_only_fields = fields


class CriterionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="automatic (checked from registry data) or judged")
    rule = serializers.SerializerMethodField(help_text="An automatic criterion's rule in words.")

    class Meta:
        model = Criterion
        fields = ["id", "order", "title", "description", "kind", "fact", "operator", "value", "document_type", "rule"]
        read_only_fields = fields

    def get_rule(self, criterion) -> str:
        if criterion.kind != CriterionKind.AUTOMATIC:
            return ""
        return rules.describe(criterion, region_names=self.context.get("region_names"))


class CriteriaSetSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = CriteriaSet
        fields = [
            "id",
            "region",
            "region_name",
            "sector",
            "version",
            "title",
            "status",
            "effective_from",
            "published_at",
            "note",
            "criteria",
        ]
        read_only_fields = fields


class CriterionResultSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="result.criterion_id")
    title = serializers.CharField(source="result.criterion.title")
    kind = serializers.CharField(source="result.criterion.kind")
    document_type = serializers.CharField(source="result.criterion.document_type")
    outcome = serializers.CharField(source="result.outcome")
    explanation = serializers.CharField()
    decided_at = serializers.DateTimeField(source="result.decided_at", allow_null=True)


class DocumentSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text="Where the file is streamed to those who may see it.")

    class Meta:
        model = ApplicationDocument
        fields = ["id", "document_type", "original_name", "size", "sha256", "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, document) -> str:
        return reverse(
            "whitelist-application-document", kwargs={"pk": document.application_id, "document_pk": document.pk}
        )


class _Explained:
    """A stored result as `results_explained` gives it (for lists, where the stored explanation is shown)."""

    def __init__(self, result):
        self.result = result
        self.explanation = result.explanation


class ApplicationSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    criteria_version = serializers.IntegerField(source="criteria_set.version", read_only=True)
    results = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "criteria_set",
            "criteria_version",
            "status",
            "priority",
            "submitted_at",
            "decided_at",
            "note",
            "proposed_by_chain",
            "version",
            "results",
            "documents",
        ]
        read_only_fields = fields

    @extend_schema_field(CriterionResultSerializer(many=True))
    def get_results(self, application) -> list[dict]:
        if self.context.get("explain"):
            explained = selectors.results_explained(application)
        else:
            explained = [_Explained(r) for r in application.results.all()]
        return CriterionResultSerializer(explained, many=True).data


class SpotCheckSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True, allow_null=True)

    class Meta:
        model = SpotCheck
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "checked_on",
            "passed",
            "outbreak_spread",
            "findings",
            "organization_name",
            "at",
        ]
        read_only_fields = fields


class BreakerCaseSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="entry.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="entry.enterprise.name", read_only=True)

    class Meta:
        model = BreakerCase
        fields = [
            "id",
            "entry",
            "enterprise",
            "enterprise_name",
            "spot_check",
            "step",
            "level",
            "rectify_by",
            "status",
            "escalated_from",
            "opened_at",
            "closed_at",
            "note",
        ]
        read_only_fields = fields


class JointDecisionSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="entry.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="entry.enterprise.name", read_only=True)
    dispatch_approved = serializers.SerializerMethodField()
    prevention_approved = serializers.SerializerMethodField()

    class Meta:
        model = JointDecision
        fields = [
            "id",
            "entry",
            "enterprise",
            "enterprise_name",
            "action",
            "reason",
            "effective_date",
            "breaker_case",
            "status",
            "proposed_at",
            "dispatch_approved",
            "dispatch_approved_at",
            "prevention_approved",
            "prevention_approved_at",
            "rejected_at",
            "rejection_reason",
            "version",
        ]
        read_only_fields = fields

    def get_dispatch_approved(self, decision) -> bool:
        return decision.dispatch_approved_by_id is not None

    def get_prevention_approved(self, decision) -> bool:
        return decision.prevention_approved_by_id is not None


# --- request bodies (documentation: the services validate the values) ---------------------------------------


class VersionRequest(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you read; a newer one is a conflict (409).")


class ReviewRequest(VersionRequest):
    decisions = serializers.JSONField(
        help_text='By criterion id: "approve", ["reject", "why"] or {"decision": "revise", "reason": "why"}.'
    )


class WithdrawRequest(VersionRequest):
    reason = serializers.CharField(required=False, allow_blank=True)


def _documents_body(*extra: tuple[str, dict], required: tuple[str, ...] = ()) -> dict:
    properties = {
        kind: {"type": "array", "items": {"type": "string", "format": "binary"}} for kind in DocumentType.values
    }
    properties.update(dict(extra))
    return {"multipart/form-data": {"type": "object", "properties": properties, "required": list(required)}}


APPLY_BODY = _documents_body(
    ("enterprise", {"type": "integer"}), ("note", {"type": "string"}), required=("enterprise",)
)
RESUBMIT_BODY = _documents_body(("note", {"type": "string"}), ("version", {"type": "integer"}), required=("version",))


class CriteriaSetRequest(serializers.Serializer):
    region = serializers.CharField(help_text="Division code of the jurisdiction.")
    sector = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True)
    based_on = serializers.IntegerField(required=False, help_text="Copy the criteria of this earlier version.")


class CriterionRequest(serializers.Serializer):
    kind = serializers.CharField(help_text="automatic (checked from registry data) or judged (by a reviewer)")
    title = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    fact = serializers.CharField(required=False, help_text="Automatic: " + ", ".join(rules.FACTS))
    operator = serializers.CharField(required=False, help_text="Automatic: " + ", ".join(rules.OPERATORS))
    value = serializers.JSONField(required=False)
    document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False)


class PublishRequest(serializers.Serializer):
    effective_from = serializers.DateField()


class SpotCheckRequest(serializers.Serializer):
    enterprise = serializers.IntegerField()
    checked_on = serializers.DateField()
    passed = serializers.BooleanField()
    outbreak_spread = serializers.BooleanField(required=False)
    findings = serializers.CharField()


class ProposeRequest(serializers.Serializer):
    entry = serializers.IntegerField()
    action = serializers.ChoiceField(choices=JointAction.choices)
    reason = serializers.CharField()
    effective_date = serializers.DateField()
    breaker_case = serializers.IntegerField(required=False)


class SideRequest(VersionRequest):
    side = serializers.ChoiceField(choices=["dispatch", "prevention"])


class RejectRequest(SideRequest):
    reason = serializers.CharField()


class RenewRequest(VersionRequest):
    valid_to = serializers.DateField()


class ClearReviewRequest(VersionRequest):
    note = serializers.CharField()


class NoteRequest(serializers.Serializer):
    note = serializers.CharField()


SpotCheckOutcomeSerializer = inline_serializer(
    "SpotCheckOutcome",
    {
        "spot_check": SpotCheckSerializer(),
        "case": BreakerCaseSerializer(allow_null=True),
        "decision": JointDecisionSerializer(allow_null=True),
    },
)


# --- viewsets -----------------------------------------------------------------------------------------------------


class EntryViewSet(ActionScopeMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Whitelist entries the caller may see; renewal and the end of a re-review for reviewers."""

    model = Entry
    serializer_class = EntrySerializer
    filterset_class = EntryFilter
    scope_actions = {"renew": Action.REVIEW, "clear_review": Action.REVIEW}

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "enterprise__region", "criteria_set")

    @extend_schema(request=RenewRequest, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def renew(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        entry = services.entry_renew(
            actor=request.user,
            entry=self.get_object(),
            valid_to=_date(data.get("valid_to"), "valid_to"),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)

    @extend_schema(request=ClearReviewRequest, responses=EntrySerializer)
    @action(detail=True, methods=["post"], url_path="clear-review")
    def clear_review(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        entry = services.entry_review_clear(
            actor=request.user,
            entry=self.get_object(),
            note=data.get("note", ""),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)


class ApplicationViewSet(ActionScopeMixin, ScopedServiceViewSet):
    """Applications the caller may see, with each criterion's result and why. Submit (multipart), review,
    resubmit, withdraw; documents are downloaded from here only."""

    model = Application
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    scope_actions = {
        "review": Action.REVIEW,
        "resubmit": Action.CHANGE,
        "withdraw": Action.CHANGE,
        "document": Action.VIEW,
    }

    def get_queryset(self):
        queryset = super().get_queryset().select_related("enterprise", "criteria_set")
        return queryset.prefetch_related("results__criterion", "documents")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "explain": self.action != "list"}

    def _answer(self, application, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=application.pk)).data, status=status_code)

    @extend_schema(request=APPLY_BODY, responses={201: ApplicationSerializer})
    def create(self, request, *args, **kwargs):
        data = request.data
        enterprise = get_visible_or_404(Enterprise, request.user, Action.CHANGE, pk=_required_id(data, "enterprise"))
        application = services.application_submit(
            actor=request.user, enterprise=enterprise, documents=_documents(request), note=data.get("note", "")
        )
        return self._answer(application, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewRequest, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, *args, **kwargs):
        data = request.data
        if not hasattr(data, "get"):
            raise ServiceError(ErrorCode.INVALID, _("The request body must be an object of field values."))
        application = services.application_review(
            actor=request.user,
            application=self.get_object(),
            decisions=_decisions(data.get("decisions") or {}),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return self._answer(application)

    @extend_schema(request=RESUBMIT_BODY, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, *args, **kwargs):
        data = request.data
        application = services.application_resubmit(
            actor=request.user,
            application=self.get_object(),
            documents=_documents(request),
            note=data.get("note"),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return self._answer(application)

    @extend_schema(request=WithdrawRequest, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        application = services.application_withdraw(
            actor=request.user,
            application=self.get_object(),
            reason=data.get("reason", ""),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return self._answer(application)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_pk>[0-9]+)", url_name="document")
    def document(self, request, *args, document_pk=None, **kwargs):
        """One of the application's documents, streamed (there is no public address of the file)."""
        application = self.get_object()
        document = application.documents.filter(pk=document_pk).first()
        if document is None:
            raise Http404
        return _file(document)


class CriteriaSetViewSet(ActionScopeMixin, ScopedServiceViewSet):
    """Criteria sets the caller may see, with their criteria. Drafts are created, filled and published by
    sector departments; a published version is never changed."""

    model = CriteriaSet
    serializer_class = CriteriaSetSerializer
    filterset_class = CriteriaSetFilter
    http_method_names = ["get", "post", "delete", "head", "options"]
    scope_actions = {"publish": Action.REVIEW, "add_criterion": Action.REVIEW, "remove_criterion": Action.REVIEW}

    def get_queryset(self):
        return super().get_queryset().select_related("region").prefetch_related("criteria")

    def _answer(self, criteria_set, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=criteria_set.pk)).data, status=status_code)

    @extend_schema(request=CriteriaSetRequest, responses={201: CriteriaSetSerializer})
    def create(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        based_on = None
        if data.get("based_on") not in (None, ""):
            based_on = get_visible_or_404(CriteriaSet, request.user, Action.REVIEW, pk=data["based_on"])
        criteria_set = services.criteria_set_create(
            actor=request.user,
            region_code=str(data.get("region") or ""),
            sector=str(data.get("sector") or ""),
            title=str(data.get("title") or ""),
            note=str(data.get("note") or ""),
            based_on=based_on,
        )
        return self._answer(criteria_set, status.HTTP_201_CREATED)

    @extend_schema(request=CriterionRequest, responses={201: CriteriaSetSerializer})
    @action(detail=True, methods=["post"], url_path="criteria")
    def add_criterion(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        criteria_set = self.get_object()
        services.criterion_add(
            actor=request.user,
            criteria_set=criteria_set,
            title=str(data.get("title") or ""),
            kind=str(data.get("kind") or ""),
            fact=str(data.get("fact") or ""),
            operator=str(data.get("operator") or ""),
            value=data.get("value"),
            document_type=str(data.get("document_type") or ""),
            description=str(data.get("description") or ""),
        )
        return self._answer(criteria_set, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"criteria/(?P<criterion_pk>[0-9]+)")
    def remove_criterion(self, request, *args, criterion_pk=None, **kwargs):
        criterion = self.get_object().criteria.filter(pk=criterion_pk).first()
        if criterion is None:
            raise Http404
        services.criterion_remove(actor=request.user, criterion=criterion)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PublishRequest, responses=CriteriaSetSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        criteria_set = services.criteria_set_publish(
            actor=request.user,
            criteria_set=self.get_object(),
            effective_from=_date(data.get("effective_from"), "effective_from"),
        )
        return self._answer(criteria_set)


class SpotCheckViewSet(ScopedServiceViewSet):
    """Spot checks the caller may see; recording one may open a breaker case and propose a joint decision."""

    model = SpotCheck
    serializer_class = SpotCheckSerializer
    filterset_class = SpotCheckFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "organization")

    @extend_schema(request=SpotCheckRequest, responses={201: SpotCheckOutcomeSerializer})
    def create(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        enterprise = get_visible_or_404(Enterprise, request.user, pk=_required_id(data, "enterprise"))
        if data.get("passed") in (None, ""):
            raise _invalid("passed", _("This field is required."))
        outcome = breaker.spot_check_record(
            actor=request.user,
            enterprise=enterprise,
            checked_on=_date(data.get("checked_on"), "checked_on"),
            passed=_boolean(data.get("passed"), "passed"),
            findings=str(data.get("findings") or ""),
            outbreak_spread=_boolean(data.get("outbreak_spread", False), "outbreak_spread"),
        )
        context = self.get_serializer_context()
        body = {
            "spot_check": SpotCheckSerializer(outcome.spot_check, context=context).data,
            "case": BreakerCaseSerializer(outcome.case, context=context).data if outcome.case else None,
            "decision": JointDecisionSerializer(outcome.decision, context=context).data if outcome.decision else None,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class BreakerCaseViewSet(ActionScopeMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Circuit-breaker cases the caller may see; those who record spot checks close one as rectified."""

    model = BreakerCase
    serializer_class = BreakerCaseSerializer
    filterset_class = BreakerCaseFilter
    scope_actions = {"rectified": Action.VIEW}

    def get_queryset(self):
        return super().get_queryset().select_related("entry__enterprise")

    @extend_schema(request=NoteRequest, responses=BreakerCaseSerializer)
    @action(detail=True, methods=["post"])
    def rectified(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        case = breaker.breaker_rectified(actor=request.user, case=self.get_object(), note=str(data.get("note") or ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)


class JointDecisionViewSet(ActionScopeMixin, ScopedServiceViewSet):
    """Joint decisions (会商) the caller may see. A department proposes; the dispatch office and the
    epidemic-prevention HQ each approve or reject for their side; both approvals carry the action out."""

    model = JointDecision
    serializer_class = JointDecisionSerializer
    filterset_class = JointDecisionFilter
    http_method_names = ["get", "post", "head", "options"]
    # Who may decide for a side is the service's check (403), not a matter of changing the registry.
    scope_actions = {"approve": Action.VIEW, "reject": Action.VIEW}

    def get_queryset(self):
        return super().get_queryset().select_related("entry__enterprise")

    def _answer(self, decision, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=decision.pk)).data, status=status_code)

    @extend_schema(request=ProposeRequest, responses={201: JointDecisionSerializer})
    def create(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        entry = get_visible_or_404(Entry, request.user, pk=_required_id(data, "entry"))
        case = None
        if data.get("breaker_case") not in (None, ""):
            case = get_visible_or_404(BreakerCase, request.user, pk=data["breaker_case"])
        decision = breaker.joint_decision_propose(
            actor=request.user,
            entry=entry,
            action=str(data.get("action") or ""),
            reason=str(data.get("reason") or ""),
            effective_date=_date(data.get("effective_date"), "effective_date"),
            breaker_case=case,
        )
        return self._answer(decision, status.HTTP_201_CREATED)

    @extend_schema(request=SideRequest, responses=JointDecisionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        decision = breaker.joint_decision_approve(
            actor=request.user,
            decision=self.get_object(),
            side=str(data.get("side") or ""),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return self._answer(decision)

    @extend_schema(request=RejectRequest, responses=JointDecisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        data = plain_fields(request.data)
        decision = breaker.joint_decision_reject(
            actor=request.user,
            decision=self.get_object(),
            side=str(data.get("side") or ""),
            reason=str(data.get("reason") or ""),
            expected_version=edited_version(data.get("version"), required=True),
        )
        return self._answer(decision)


# --- coverage ------------------------------------------------------------------------------------------------


def _share(value) -> str | None:
    return None if value is None else str(value)


def _row(row) -> dict:
    return {
        "region": row.region_code,
        "region_name": row.region_name,
        "sector": row.sector,
        "direct": row.direct,
        "firms_total": row.firms_total,
        "firms_whitelisted": row.firms_whitelisted,
        "total_output": str(row.total_output),
        "whitelisted_output": str(row.whitelisted_output),
        "ratio": _share(row.ratio),
        "target": str(row.target),
        "gap": str(row.gap),
        "met": row.met,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "target_source": row.target_source,
    }


def _plan(plan) -> dict:
    return {
        "sector": plan.row.sector,
        "coverage": _row(plan.row),
        "reached": plan.reached,
        "already_met": plan.already_met,
        "ratio_after": _share(plan.ratio_after),
        "admitted_output": str(plan.admitted_output),
        "suspended_output": str(plan.suspended_output),
        "applied": plan.applied,
        "picks": [
            {
                "enterprise": pick.candidate.enterprise_id,
                "name": pick.candidate.name,
                "credit_code": pick.candidate.credit_code,
                "region": pick.candidate.region_code,
                "output": str(pick.candidate.output),
                "entry_status": pick.candidate.entry_status,
                "application": pick.candidate.application_id,
                "applied": pick.applied,
                "cumulative_output": str(pick.cumulative_output),
                "cumulative_ratio": _share(pick.cumulative_ratio),
            }
            for pick in plan.picks
        ],
    }


COVERAGE_PARAMETERS = [
    OpenApiParameter("region", str, description="Division code (default: the caller's widest region)."),
    OpenApiParameter("sector", str, description="Limit to one sector."),
]


def _coverage_params(request):
    region = coverage_region(request.user, request.query_params.get("region"))
    if region is None:
        raise Http404
    raw = request.query_params.get("sector")
    sector = coverage_sector(raw)
    if raw and sector is None:
        raise _invalid("sector", _("Unknown sector."))
    return region, sector


class CoverageViewSet(viewsets.ViewSet):
    """Whitelist coverage of a region the caller may see: per sector, per child region (drill-down), and in
    total, each against its jurisdiction's target and deadline. Counts only the firms the caller may see."""

    @extend_schema(parameters=COVERAGE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def list(self, request, *args, **kwargs):
        region, sector = _coverage_params(request)
        table = selectors.coverage_table(request.user, region)
        by_region = selectors.coverage_by_region(request.user, region, sector=sector)
        sectors = [row for row in table.rows if sector is None or row.sector == sector]
        return Response(
            {
                "region": region.code,
                "region_name": region.name,
                "sector": sector,
                "on": table.on.isoformat(),
                "sectors": [_row(row) for row in sectors],
                "total": _row(table.total),
                "regions": [_row(row) for row in by_region.rows],
                "regions_total": _row(by_region.total),
            }
        )


class ClosingTheGapViewSet(viewsets.ViewSet):
    """Per sector, the fewest firms not yet whitelisted whose admission reaches the region's target, largest
    output first, each marked when it has applied."""

    @extend_schema(parameters=COVERAGE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def list(self, request, *args, **kwargs):
        region, sector = _coverage_params(request)
        # Without a sector: every sector with firms the caller may see in the region.
        sectors = [sector] if sector else [row.sector for row in selectors.coverage_table(request.user, region).rows]
        plans = [selectors.closing_the_gap(request.user, region, s) for s in sectors]
        return Response({"region": region.code, "region_name": region.name, "plans": [_plan(p) for p in plans]})
