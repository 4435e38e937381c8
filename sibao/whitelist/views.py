"""Whitelist pages: thin — parse, call a service or selector, render.

Every row comes through the scoping mechanism (`visible_to`, `get_visible_or_404`). A write checks first
that the user may make it at all (the same check the service makes), so a refusal is a 403 or 404 whatever
was posted; then the service decides, and its refusal is shown on the form or as a message.
"""

import datetime as dt
import mimetypes
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sibao.accounts.roles import Action, role_allows
from sibao.core.choices import Sector
from sibao.core.clock import today
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.forms import service_error_text, show_service_error
from sibao.core.templatetags.sibao_ui import ACTION_LABELS
from sibao.core.views import ScopedListView
from sibao.enterprises.models import Enterprise
from sibao.regions.models import Level, Region, ancestor_codes
from sibao.regions.scoping import (
    get_visible_or_404,
    holds_action_somewhere,
    may_act_at,
    user_grants,
    visible_regions,
)
from sibao.whitelist import breaker, rules, selectors, services
from sibao.whitelist.filters import (
    BreakerCaseFilter,
    CriteriaSetFilter,
    EntryFilter,
    JointDecisionFilter,
    PublicEntryFilter,
    coverage_region,
    coverage_sector,
)
from sibao.whitelist.forms import (
    AdmitForm,
    CriteriaSetForm,
    CriterionForm,
    DocumentsForm,
    ProposeForm,
    PublishForm,
    RectifiedForm,
    RenewForm,
    ReviewClearForm,
    ReviewForm,
    SpotCheckForm,
    WithdrawForm,
)
from sibao.whitelist.models import (
    PENDING_APPLICATION,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    BreakerCase,
    BreakerStatus,
    CriteriaSet,
    CriteriaStatus,
    CriterionKind,
    DecisionSide,
    DocumentType,
    Entry,
    EntryStatus,
    JointDecision,
    JointDecisionStatus,
    SpotCheck,
    StatusChange,
)

PUBLIC_PAGE_SIZE = 100
PUBLIC_REMOVED_SHOWN = 100
SIDES = [(side, breaker.SIDE_ACTION[side]) for side in DecisionSide]

# --- shared helpers ----------------------------------------------------------------------------------------


def _refuse(request, error: ServiceError, reload: str | None = None):
    """A service's "you may not" is the page's 403, its "not found" the page's 404. A write that lost a race
    (CONFLICT) is told on the page `reload` as it is now (the response returned); other refusals are the
    caller's to show on its form (None returned)."""
    if error.code == ErrorCode.FORBIDDEN:
        raise PermissionDenied(error.message)
    if error.code == ErrorCode.NOT_FOUND:
        raise Http404
    if reload and error.code == ErrorCode.CONFLICT:
        messages.error(request, service_error_text(error))
        return redirect(reload)
    return None


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _require_version(value) -> int:
    """The version a form was read at; without it a write could not tell a stale page from a fresh one."""
    version = _int_or_none(value)
    if version is None:
        raise ServiceError(
            ErrorCode.INVALID,
            _("The page did not say which version you read; reload it and try again."),
            {"version": [_("missing")]},
        )
    return version


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _renamed(error: ServiceError, rename) -> ServiceError:
    """The error with its field names mapped onto a form's (criterion_12 -> decision_12)."""
    fields = {rename(name): messages_ for name, messages_ in error.fields.items()}
    return ServiceError(error.code, error.message, fields)


def _may(user, action: str, enterprise) -> bool:
    return may_act_at(user, action, enterprise.region_id, enterprise.sector)


def _sides_for(user, enterprise) -> list[str]:
    """The sides of a joint decision the user may decide for on this enterprise."""
    return [side for side, action in SIDES if _may(user, action, enterprise)]


def module_context(user) -> dict:
    """What the whitelist's tabs offer this user (from the grants already read; no query of its own)."""
    return {
        "can_review_somewhere": holds_action_somewhere(user, Action.REVIEW),
        "can_spot_check_somewhere": holds_action_somewhere(user, Action.SPOT_CHECK),
        "is_official": user.is_superuser or bool(user_grants(user)),
        "own_enterprise_id": user.enterprise_id,
    }


class ModuleMixin:
    tab = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(module_context(self.request.user), tab=self.tab)
        filterset = context.get("filter")
        if filterset is not None:
            filterset.form.fields.pop("enterprise", None)  # an API filter; the pages link by enterprise instead
        return context


def _render(request, template: str, context: dict, *, tab: str = ""):
    return render(request, template, {**module_context(request.user), "tab": tab, **context})


def _labelled(history) -> list[StatusChange]:
    """Status changes with their move and statuses in words (an entry's and an application's differ)."""
    history = list(history)
    for change in history:
        statuses = dict(ApplicationStatus.choices if change.application_id else EntryStatus.choices)
        key = f"whitelist.application_{change.action}" if change.application_id else f"whitelist.{change.action}"
        change.label = ACTION_LABELS.get(key, change.action)
        change.from_label = statuses.get(change.from_status, change.from_status)
        change.to_label = statuses.get(change.to_status, change.to_status)
    return history


# --- the whitelist ------------------------------------------------------------------------------------------


class EntryListView(ModuleMixin, ScopedListView):
    model = Entry
    filterset_class = EntryFilter
    template_name = "whitelist/list.html"
    tab = "list"

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "enterprise__region", "criteria_set")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        soon = today() + dt.timedelta(days=30)
        listed = Q(status__in=selectors.LISTED)
        context["counts"] = Entry.objects.visible_to(self.request.user).aggregate(
            active=Count("pk", filter=Q(status=EntryStatus.ACTIVE)),
            suspended=Count("pk", filter=Q(status=EntryStatus.SUSPENDED)),
            needs_review=Count("pk", filter=listed & Q(needs_review=True)),
            expiring=Count("pk", filter=listed & Q(valid_to__lte=soon)),
        )
        return context


@login_required
@require_GET
def entry_detail(request, pk: int):
    """An entry's address (in notifications) leads to its enterprise's whitelist page."""
    entry = get_visible_or_404(Entry, request.user, pk=pk)
    return redirect("whitelist:enterprise", pk=entry.enterprise_id)


def _enterprise_or_404(user, pk, action: str = Action.VIEW) -> Enterprise:
    return get_visible_or_404(Enterprise.objects.select_related("region", "park"), user, action, pk=pk)


@login_required
@require_GET
def enterprise_page(request, pk: int):
    return _render_enterprise(request, _enterprise_or_404(request.user, pk))


def _render_enterprise(request, enterprise: Enterprise, forms: dict | None = None):
    """The enterprise's standing on the whitelist, its history, the breaker and the actions the user may take."""
    user = request.user
    entry = (
        Entry.objects.visible_to(user)
        .select_related("criteria_set", "criteria_set__region", "application")
        .filter(enterprise=enterprise)
        .first()
    )
    listed = entry is not None and entry.status in selectors.LISTED
    can_review = _may(user, Action.REVIEW, enterprise)
    can_spot_check = _may(user, Action.SPOT_CHECK, enterprise)
    sides = _sides_for(user, enterprise)
    can_act_for = Enterprise.objects.visible_to(user, Action.CHANGE).filter(pk=enterprise.pk).exists()
    pending = selectors.pending_application(enterprise)
    park_entry = selectors.covered_by_park(enterprise)
    criteria_set = selectors.criteria_in_force(enterprise.region_id, enterprise.sector)

    cases, decisions, chain = [], [], []
    if entry is not None:
        cases = list(BreakerCase.objects.visible_to(user).filter(entry=entry).select_related("spot_check"))
        decisions = list(
            JointDecision.objects.visible_to(user)
            .filter(entry=entry)
            .select_related("proposed_by", "dispatch_approved_by", "prevention_approved_by", "rejected_by")
        )
        for decision in decisions:
            decision.my_sides = _open_sides(decision, sides)
        if entry.status == EntryStatus.ACTIVE:
            chain = selectors.chain_proposals(entry)
    visible_partners = set(
        Enterprise.objects.visible_to(user).filter(pk__in=[p.partner.pk for p in chain]).values_list("pk", flat=True)
    )
    history = _labelled(selectors.enterprise_history(enterprise, user)[:100])
    forms = forms or {}
    context = {
        "enterprise": enterprise,
        "entry": entry,
        "listed": listed,
        "park_entry": park_entry,
        "criteria_set": criteria_set,
        "pending": pending,
        "applications": Application.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("criteria_set")
        .order_by("-submitted_at", "-id")[:20],
        "history": history,
        "spot_checks": SpotCheck.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("checked_by", "organization")[:20],
        "cases": cases,
        "decisions": decisions,
        "chain": chain,
        "visible_partners": visible_partners,
        "can_review": can_review,
        "can_spot_check": can_spot_check,
        "can_propose": can_review or can_spot_check,
        "can_apply": can_act_for and not listed and park_entry is None and pending is None and criteria_set,
        "can_admit": can_review and not listed and park_entry is None and pending is None and criteria_set,
        "sides": sides,
        "renew_form": forms.get("renew") or RenewForm(initial={"version": entry.version if entry else None}),
        "clear_form": forms.get("clear") or ReviewClearForm(initial={"version": entry.version if entry else None}),
        "propose_form": forms.get("propose") or ProposeForm(),
        "spot_form": forms.get("spot") or SpotCheckForm(),
        "admit_form": forms.get("admit") or AdmitForm(),
        "rectify_form": RectifiedForm(),
        "open_form": next(iter(forms), ""),
    }
    tab = "own" if user.enterprise_id == enterprise.pk else "list"
    return _render(request, "whitelist/enterprise.html", context, tab=tab)


def _open_sides(decision: JointDecision, sides: list[str]) -> list[str]:
    """The sides the user may still approve or reject on a pending decision."""
    if decision.status != JointDecisionStatus.PROPOSED:
        return []
    done = {
        DecisionSide.DISPATCH: decision.dispatch_approved_by_id is not None,
        DecisionSide.PREVENTION: decision.prevention_approved_by_id is not None,
    }
    return [side for side in sides if not done[side]]


def _entry_for_review(user, pk: int) -> Entry:
    entry = get_visible_or_404(Entry.objects.select_related("enterprise", "enterprise__region"), user, pk=pk)
    if not _may(user, Action.REVIEW, entry.enterprise):
        raise PermissionDenied
    return entry


def _enterprise_action(request, enterprise: Enterprise, form, key: str, perform, done):
    """A form posted on the enterprise's whitelist page: `perform(cleaned_data)` calls the service; on success
    the message `done` (text, or a function of the service's result) and back to the page. A refusal is the
    page's 403/404 or, for a lost race, a reload with the message; anything else shows on the form `key`."""
    page = reverse("whitelist:enterprise", args=[enterprise.pk])
    if form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except ServiceError as error:
            if reloaded := _refuse(request, error, page):
                return reloaded
            show_service_error(form, error)
        else:
            messages.success(request, done(result) if callable(done) else done)
            return redirect(page)
    return _render_enterprise(request, enterprise, {key: form})


@login_required
@require_POST
def entry_renew(request, pk: int):
    entry = _entry_for_review(request.user, pk)
    return _enterprise_action(
        request,
        entry.enterprise,
        RenewForm(request.POST),
        "renew",
        lambda data: services.entry_renew(
            actor=request.user, entry=entry, valid_to=data["valid_to"], expected_version=data["version"]
        ),
        _("The admission has been renewed."),
    )


@login_required
@require_POST
def entry_review_clear(request, pk: int):
    entry = _entry_for_review(request.user, pk)
    return _enterprise_action(
        request,
        entry.enterprise,
        ReviewClearForm(request.POST),
        "clear",
        lambda data: services.entry_review_clear(
            actor=request.user, entry=entry, note=data["note"], expected_version=data["version"]
        ),
        _("The re-review is done; the admission stands on the facts now on file."),
    )


@login_required
@require_POST
def entry_admit(request, pk: int):
    """Dynamic adjustment "add": a reviewer admits a firm that meets the criteria in force."""
    enterprise = _enterprise_or_404(request.user, pk)
    if not _may(request.user, Action.REVIEW, enterprise):
        raise PermissionDenied
    return _enterprise_action(
        request,
        enterprise,
        AdmitForm(request.POST),
        "admit",
        lambda data: services.entry_admit_directly(
            actor=request.user, enterprise=enterprise, reason=data["reason"], effective_date=data["effective_date"]
        ),
        _("%(name)s has been admitted to the whitelist.") % {"name": enterprise.name},
    )


@login_required
@require_POST
def joint_propose(request, pk: int):
    """Propose suspending, removing, stopping or reinstating a firm: it needs both sides' approval."""
    entry = get_visible_or_404(Entry.objects.select_related("enterprise", "enterprise__region"), request.user, pk=pk)
    enterprise = entry.enterprise
    if not (_may(request.user, Action.SPOT_CHECK, enterprise) or _may(request.user, Action.REVIEW, enterprise)):
        raise PermissionDenied
    return _enterprise_action(
        request,
        enterprise,
        ProposeForm(request.POST),
        "propose",
        lambda data: breaker.joint_decision_propose(
            actor=request.user,
            entry=entry,
            action=data["action"],
            reason=data["reason"],
            effective_date=data["effective_date"],
        ),
        _("Proposed; it takes effect once both sides have approved it."),
    )


# --- applications ------------------------------------------------------------------------------------------


def _evaluated_criteria(criteria, enterprise) -> list[tuple]:
    """(criterion, rule in words, evaluation now) of each criterion; judged ones have neither."""
    facts = rules.facts_of(enterprise)
    names = _region_names_for(criteria, facts.get("region"))
    rows = []
    for criterion in criteria:
        if criterion.kind == CriterionKind.AUTOMATIC:
            rows.append(
                (
                    criterion,
                    rules.describe(criterion, region_names=names),
                    rules.evaluate(criterion, facts, region_names=names),
                )
            )
        else:
            rows.append((criterion, "", None))
    return rows


def _region_names_for(criteria, *codes) -> dict[str, str]:
    wanted = {code for code in codes if code}
    for criterion in criteria:
        if criterion.fact == "region":
            value = criterion.value
            wanted.update(str(v) for v in (value if isinstance(value, list) else [value]) if v)
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}


def _labelled_documents(criteria):
    """Each criterion with `document_label`, the words for the document it asks for (the field has no choices)."""
    labels = dict(DocumentType.choices)
    for criterion in criteria:
        criterion.document_label = labels.get(criterion.document_type, criterion.document_type)
    return criteria


def _required_types(criteria) -> list[str]:
    return sorted({c.document_type for c in criteria if c.document_type})


@login_required
def application_apply(request, pk: int):
    """The liaison's application: the criteria in force, how the firm fares on the automatic ones, the documents."""
    enterprise = _enterprise_or_404(request.user, pk, Action.CHANGE)
    criteria_set = selectors.criteria_in_force(enterprise.region_id, enterprise.sector)
    criteria = _labelled_documents(list(criteria_set.criteria.all()) if criteria_set else [])
    required = _required_types(criteria)
    if request.method == "POST":
        form = DocumentsForm(request.POST, request.FILES, required_types=required)
        try:
            application = services.application_submit(
                actor=request.user,
                enterprise=enterprise,
                documents=form.documents(request.FILES),
                note=request.POST.get("note", ""),
            )
        except ServiceError as error:
            if reloaded := _refuse(request, error, request.path):
                return reloaded
            show_service_error(form, error)
        else:
            messages.success(
                request, _("Your application has been submitted. The results of each criterion are below.")
            )
            return redirect("whitelist:application_detail", pk=application.pk)
    else:
        form = DocumentsForm(required_types=required)
    context = {
        "enterprise": enterprise,
        "criteria_set": criteria_set,
        "rows": _evaluated_criteria(criteria, enterprise),
        "form": form,
        "listed": selectors.is_whitelisted(enterprise),
        "park_entry": selectors.covered_by_park(enterprise),
        "pending": selectors.pending_application(enterprise),
    }
    return _render(request, "whitelist/apply.html", context, tab="list")


def _application_or_404(user, pk, action: str = Action.VIEW) -> Application:
    queryset = Application.objects.select_related(
        "enterprise", "enterprise__region", "criteria_set", "criteria_set__region", "submitted_by", "decided_by"
    )
    return get_visible_or_404(queryset, user, action, pk=pk)


@login_required
@require_GET
def application_detail(request, pk: int):
    return _render_application(request, _application_or_404(request.user, pk))


def _review_form(application, explained, data=None) -> ReviewForm:
    judged = [e.result for e in explained if e.result.criterion.kind == CriterionKind.JUDGED]
    return ReviewForm(data, initial={"version": application.version}, results=judged)


def _render_application(request, application: Application, *, review=None, resubmit=None, withdraw=None):
    user = request.user
    explained = selectors.results_explained(application)
    _labelled_documents([e.result.criterion for e in explained])
    pending = application.status in PENDING_APPLICATION
    can_review = (
        application.status == ApplicationStatus.SUBMITTED
        and Application.objects.visible_to(user, Action.REVIEW).filter(pk=application.pk).exists()
    )
    can_act_for = pending and Application.objects.visible_to(user, Action.CHANGE).filter(pk=application.pk).exists()
    review = review or _review_form(application, explained)
    by_criterion = {e.result.criterion_id: e for e in explained}
    review_rows = [
        (by_criterion[result.criterion_id], review[decision], review[reason])
        for result, decision, reason in review.rows
    ]
    required = _required_types([e.result.criterion for e in explained])
    history = _labelled(application.history.select_related("actor").order_by("-at", "-id"))
    context = {
        "application": application,
        "enterprise": application.enterprise,
        "explained": explained,
        "documents": application.documents.all(),
        "history": history,
        "can_review": can_review,
        "can_act_for": can_act_for,
        "can_resubmit": can_act_for and application.status == ApplicationStatus.RETURNED,
        "review_form": review,
        "review_rows": review_rows,
        "resubmit_form": resubmit
        or DocumentsForm(initial={"note": application.note}, required_types=required, all_optional=True),
        "withdraw_form": withdraw or WithdrawForm(initial={"version": application.version}),
        "open_form": "review" if review.is_bound else "resubmit" if resubmit else "",
    }
    return _render(request, "whitelist/application_detail.html", context, tab="queue" if can_review else "list")


@login_required
@require_POST
def application_review(request, pk: int):
    """A reviewer's decision on each judged criterion, with the version read (a stale one changes nothing)."""
    application = _application_or_404(request.user, pk, Action.REVIEW)
    explained = selectors.results_explained(application)
    form = _review_form(application, explained, request.POST)
    try:
        services.application_review(
            actor=request.user,
            application=application,
            decisions=form.decisions(request.POST),
            expected_version=_require_version(request.POST.get("version")),
        )
    except ServiceError as error:
        if reloaded := _refuse(request, error, reverse("whitelist:application_detail", args=[pk])):
            return reloaded
        show_service_error(form, _renamed(error, lambda name: name.replace("criterion_", "decision_", 1)))
        return _render_application(request, _application_or_404(request.user, pk), review=form)
    application.refresh_from_db(fields=["status"])
    done = {
        ApplicationStatus.APPROVED: _("Approved: %(name)s is admitted to the whitelist."),
        ApplicationStatus.REJECTED: _("Rejected: %(name)s has been told why."),
        ApplicationStatus.RETURNED: _("Sent back to %(name)s for revision."),
    }
    messages.success(request, done.get(application.status, _("Saved.")) % {"name": application.enterprise.name})
    return redirect("whitelist:application_detail", pk=application.pk)


@login_required
@require_POST
def application_resubmit(request, pk: int):
    application = _application_or_404(request.user, pk, Action.CHANGE)
    required = _required_types(c for c in application.criteria_set.criteria.all())
    form = DocumentsForm(request.POST, request.FILES, required_types=required, all_optional=True)
    try:
        services.application_resubmit(
            actor=request.user,
            application=application,
            documents=form.documents(request.FILES),
            note=request.POST.get("note"),
            expected_version=_require_version(request.POST.get("version")),
        )
    except ServiceError as error:
        if reloaded := _refuse(request, error, reverse("whitelist:application_detail", args=[pk])):
            return reloaded
        show_service_error(form, error)
        return _render_application(request, _application_or_404(request.user, pk), resubmit=form)
    messages.success(request, _("Resubmitted for review."))
    return redirect("whitelist:application_detail", pk=application.pk)


@login_required
@require_POST
def application_withdraw(request, pk: int):
    application = _application_or_404(request.user, pk, Action.CHANGE)
    form = WithdrawForm(request.POST)
    try:
        services.application_withdraw(
            actor=request.user,
            application=application,
            reason=request.POST.get("reason", ""),
            expected_version=_require_version(request.POST.get("version")),
        )
    except ServiceError as error:
        if reloaded := _refuse(request, error, reverse("whitelist:application_detail", args=[pk])):
            return reloaded
        show_service_error(form, error)
        return _render_application(request, _application_or_404(request.user, pk), withdraw=form)
    messages.success(request, _("The application has been withdrawn."))
    return redirect("whitelist:application_detail", pk=application.pk)


@login_required
@require_GET
def document_download(request, pk: int):
    """An application's document, streamed to those who may see the application (there is no public media URL)."""
    document = get_visible_or_404(ApplicationDocument, request.user, pk=pk)
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


class ReviewQueueView(ModuleMixin, ScopedListView):
    """Applications waiting for the user's review: city-operation support first, then the oldest."""

    model = Application
    action = Action.REVIEW
    template_name = "whitelist/queue.html"
    tab = "queue"

    def get_queryset(self):
        return selectors.review_queue(self.request.user).annotate(
            pending_points=Count("results", filter=Q(results__outcome="pending")),
            failed_points=Count("results", filter=Q(results__outcome__in=("failed", "unknown"))),
        )


# --- criteria ------------------------------------------------------------------------------------------------


class CriteriaListView(ModuleMixin, ScopedListView):
    model = CriteriaSet
    filterset_class = CriteriaSetFilter
    template_name = "whitelist/criteria_list.html"
    tab = "criteria"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("region").annotate(criteria_count=Count("criteria"))
        return queryset.order_by("region_id", "sector", "-version")


def _review_sectors(user) -> set[str] | None:
    """The sectors the user may publish criteria for; None: every sector."""
    if user.is_superuser:
        return None
    sectors = set()
    for grant in user_grants(user):
        if role_allows(grant.role, Action.REVIEW):
            if not grant.sector:
                return None
            sectors.add(grant.sector)
    return sectors


@login_required
def criteria_create(request):
    """A new draft version of a jurisdiction's criteria for a sector, empty or copied from an earlier one."""
    user = request.user
    if not holds_action_somewhere(user, Action.REVIEW):
        raise Http404
    regions = visible_regions(user, Action.REVIEW).exclude(level=Level.STREET).order_by("code")
    versions = (
        CriteriaSet.objects.visible_to(user, Action.REVIEW)
        .exclude(status=CriteriaStatus.DRAFT)
        .select_related("region")
        .order_by("region_id", "sector", "-version")
    )
    options = {"regions": regions, "sectors": _review_sectors(user), "versions": versions}
    if request.method == "POST":
        form = CriteriaSetForm(request.POST, **options)
        based_on = None
        if request.POST.get("based_on"):
            based_on = get_visible_or_404(CriteriaSet, user, Action.REVIEW, pk=request.POST["based_on"])
        try:
            criteria_set = services.criteria_set_create(
                actor=user,
                region_code=request.POST.get("region", ""),
                sector=request.POST.get("sector", ""),
                title=request.POST.get("title", ""),
                note=request.POST.get("note", ""),
                based_on=based_on,
            )
        except ServiceError as error:
            if reloaded := _refuse(request, error, request.path):
                return reloaded
            show_service_error(form, error)
        else:
            messages.success(request, _("Draft created. Add its criteria, then publish it."))
            return redirect("whitelist:criteria_detail", pk=criteria_set.pk)
    else:
        initial = {}
        source = versions.filter(pk=_int_or_none(request.GET.get("based_on"))).first()
        if source is not None:
            initial = {
                "region": source.region_id,
                "sector": source.sector,
                "title": source.title,
                "based_on": source.pk,
            }
        form = CriteriaSetForm(initial=initial, **options)
    return _render(request, "whitelist/criteria_form.html", {"form": form}, tab="criteria")


def _criteria_set_or_404(user, pk, action: str = Action.VIEW) -> CriteriaSet:
    queryset = CriteriaSet.objects.select_related("region", "published_by")
    return get_visible_or_404(queryset, user, action, pk=pk)


@login_required
@require_GET
def criteria_detail(request, pk: int):
    return _render_criteria(request, _criteria_set_or_404(request.user, pk))


def _render_criteria(request, criteria_set: CriteriaSet, *, criterion_form=None, publish_form=None):
    user = request.user
    criteria = _labelled_documents(list(criteria_set.criteria.all()))
    names = _region_names_for(criteria)
    rows = [(c, rules.describe(c, region_names=names) if c.kind == CriterionKind.AUTOMATIC else "") for c in criteria]
    may_review = may_act_at(user, Action.REVIEW, criteria_set.region_id, criteria_set.sector)
    in_force = selectors.criteria_in_force(criteria_set.region_id, criteria_set.sector)
    context = {
        "criteria_set": criteria_set,
        "rows": rows,
        "can_edit": may_review and criteria_set.status == CriteriaStatus.DRAFT,
        "can_copy": may_review and criteria_set.status != CriteriaStatus.DRAFT,
        "in_force": in_force is not None and in_force.pk == criteria_set.pk,
        "versions": CriteriaSet.objects.visible_to(user)
        .filter(region_id=criteria_set.region_id, sector=criteria_set.sector)
        .order_by("-version"),
        "criterion_form": criterion_form or CriterionForm(initial={"kind": CriterionKind.AUTOMATIC}),
        "publish_form": publish_form or PublishForm(),
        "facts": rules.FACTS,
    }
    return _render(request, "whitelist/criteria_detail.html", context, tab="criteria")


@login_required
@require_POST
def criterion_add(request, pk: int):
    criteria_set = _criteria_set_or_404(request.user, pk, Action.REVIEW)
    form = CriterionForm(request.POST)
    try:
        services.criterion_add(
            actor=request.user, criteria_set=criteria_set, **CriterionForm.service_arguments(request.POST)
        )
    except ServiceError as error:
        if reloaded := _refuse(request, error, reverse("whitelist:criteria_detail", args=[pk])):
            return reloaded
        show_service_error(form, error)
        return _render_criteria(request, criteria_set, criterion_form=form)
    messages.success(request, _("Criterion added."))
    return redirect("whitelist:criteria_detail", pk=criteria_set.pk)


@login_required
@require_POST
def criterion_remove(request, pk: int, criterion_pk: int):
    criteria_set = _criteria_set_or_404(request.user, pk, Action.REVIEW)
    criterion = criteria_set.criteria.filter(pk=criterion_pk).first()
    if criterion is None:
        raise Http404
    try:
        services.criterion_remove(actor=request.user, criterion=criterion)
    except ServiceError as error:
        _refuse(request, error)
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("Criterion removed."))
    return redirect("whitelist:criteria_detail", pk=criteria_set.pk)


@login_required
@require_POST
def criteria_publish(request, pk: int):
    criteria_set = _criteria_set_or_404(request.user, pk, Action.REVIEW)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.criteria_set_publish(
                actor=request.user, criteria_set=criteria_set, effective_from=form.cleaned_data["effective_from"]
            )
        except ServiceError as error:
            if reloaded := _refuse(request, error, reverse("whitelist:criteria_detail", args=[pk])):
                return reloaded
            show_service_error(form, error)
        else:
            messages.success(request, _("Published. The criteria are in force from the date you chose."))
            return redirect("whitelist:criteria_detail", pk=criteria_set.pk)
    return _render_criteria(request, criteria_set, publish_form=form)


# --- circuit breaker ----------------------------------------------------------------------------------------


@login_required
@require_POST
def spot_check_record(request, pk: int):
    enterprise = _enterprise_or_404(request.user, pk)
    if not _may(request.user, Action.SPOT_CHECK, enterprise):
        raise PermissionDenied
    return _enterprise_action(
        request,
        enterprise,
        SpotCheckForm(request.POST),
        "spot",
        lambda data: breaker.spot_check_record(
            actor=request.user,
            enterprise=enterprise,
            checked_on=data["checked_on"],
            passed=data["passed"],
            findings=data["findings"],
            outbreak_spread=data["outbreak_spread"],
        ),
        _spot_check_summary,
    )


def _spot_check_summary(outcome) -> str:
    parts = [_("Spot check recorded.")]
    if outcome.case is not None and outcome.case.spot_check_id == outcome.spot_check.pk:
        parts.append(_("Circuit breaker: %(level)s.") % {"level": outcome.case.get_level_display()})
        if outcome.case.rectify_by:
            parts.append(_("Rectify by %(date)s.") % {"date": outcome.case.rectify_by.isoformat()})
    if outcome.decision is not None:
        parts.append(
            _("Proposed for a joint decision: %(action)s.") % {"action": outcome.decision.get_action_display()}
        )
    return " ".join(parts)


@login_required
@require_POST
def breaker_rectified(request, pk: int):
    case = get_visible_or_404(
        BreakerCase.objects.select_related("entry__enterprise", "entry__enterprise__region"), request.user, pk=pk
    )
    enterprise = case.entry.enterprise
    if not _may(request.user, Action.SPOT_CHECK, enterprise):
        raise PermissionDenied
    try:
        breaker.breaker_rectified(actor=request.user, case=case, note=request.POST.get("note", ""))
    except ServiceError as error:
        _refuse(request, error)
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("The case is closed as rectified."))
    return redirect(_next_url(request, reverse("whitelist:enterprise", args=[enterprise.pk])))


class DefaultStatusMixin:
    """A list that shows one status unless the visitor chose another (or "All")."""

    default_status = ""

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user, self.action)
        data = self.request.GET.copy()
        data.setdefault("status", self.default_status)
        self.filterset = self.filterset_class(data, queryset=self.scoped_rows(queryset), request=self.request)
        return self.filterset.qs

    def scoped_rows(self, queryset):
        return queryset


class BreakerCaseListView(DefaultStatusMixin, ModuleMixin, ScopedListView):
    model = BreakerCase
    filterset_class = BreakerCaseFilter
    template_name = "whitelist/breaker_list.html"
    tab = "breaker"
    default_status = BreakerStatus.OPEN

    def scoped_rows(self, queryset):
        return queryset.select_related("entry__enterprise", "entry__enterprise__region", "spot_check").order_by(
            "rectify_by", "-opened_at", "-id"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for case in context["object_list"]:
            case.can_rectify = case.status == BreakerStatus.OPEN and _may(
                user, Action.SPOT_CHECK, case.entry.enterprise
            )
        context["today"] = today()
        context["rectify_form"] = RectifiedForm()
        return context


class JointDecisionListView(DefaultStatusMixin, ModuleMixin, ScopedListView):
    model = JointDecision
    filterset_class = JointDecisionFilter
    template_name = "whitelist/decision_list.html"
    tab = "decisions"
    default_status = JointDecisionStatus.PROPOSED

    def scoped_rows(self, queryset):
        return queryset.select_related(
            "entry__enterprise",
            "entry__enterprise__region",
            "proposed_by",
            "dispatch_approved_by",
            "prevention_approved_by",
            "rejected_by",
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for decision in context["object_list"]:
            decision.my_sides = _open_sides(decision, _sides_for(user, decision.entry.enterprise))
        return context


def _decision_for_deciders(user, pk: int) -> JointDecision:
    """The decision, for someone who may decide for at least one side on its enterprise (else 403; unseen: 404)."""
    decision = get_visible_or_404(
        JointDecision.objects.select_related("entry__enterprise", "entry__enterprise__region"), user, pk=pk
    )
    if not _sides_for(user, decision.entry.enterprise):
        raise PermissionDenied
    return decision


@login_required
@require_POST
def decision_approve(request, pk: int):
    decision = _decision_for_deciders(request.user, pk)
    try:
        decided = breaker.joint_decision_approve(
            actor=request.user,
            decision=decision,
            side=request.POST.get("side", ""),
            expected_version=_require_version(request.POST.get("version")),
        )
    except ServiceError as error:
        _refuse(request, error)
        messages.error(request, service_error_text(error))
    else:
        if decided.status == JointDecisionStatus.APPROVED:
            messages.success(request, _("Approved by both sides: carried out."))
        else:
            messages.success(request, _("Approved for your side; it waits for the other side."))
    return redirect(_next_url(request, reverse("whitelist:enterprise", args=[decision.entry.enterprise_id])))


@login_required
@require_POST
def decision_reject(request, pk: int):
    decision = _decision_for_deciders(request.user, pk)
    try:
        breaker.joint_decision_reject(
            actor=request.user,
            decision=decision,
            side=request.POST.get("side", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_require_version(request.POST.get("version")),
        )
    except ServiceError as error:
        _refuse(request, error)
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("Rejected: nothing changes for the enterprise."))
    return redirect(_next_url(request, reverse("whitelist:enterprise", args=[decision.entry.enterprise_id])))


# --- coverage ------------------------------------------------------------------------------------------------


def _coverage_region(request) -> Region:
    region = coverage_region(request.user, request.GET.get("region"))
    if region is None:
        raise Http404
    return region


def _percent(share) -> Decimal | None:
    return None if share is None else (Decimal(share) * 100).quantize(Decimal("0.1"))


class Shown:
    """A coverage row (or snapshot) with its shares as percentages, for display."""

    def __init__(self, row):
        self.row = row
        ratio = row.ratio
        self.percent = _percent(ratio)
        self.target_percent = _percent(row.target)
        self.bar = min(self.percent or Decimal(0), Decimal(100))
        self.gap = row.gap
        self.met = self.gap == 0
        self.sector_label = Sector(row.sector).label if row.sector in Sector.values else ""


def _shown(table):
    return {"rows": [Shown(row) for row in table.rows], "total": Shown(table.total), "table": table}


def _trail(user, region: Region) -> list[Region]:
    """The region's ancestors the user may see, top down, for the drill-down's breadcrumbs."""
    codes = ancestor_codes(region.code)[1:]
    return list(visible_regions(user).filter(code__in=codes).order_by("code"))


@login_required
@require_GET
def coverage_page(request):
    """Coverage of the chosen region per sector and per child region, its target and deadline, and the trend."""
    user = request.user
    region = _coverage_region(request)
    sector = coverage_sector(request.GET.get("sector"))
    context = {
        "region": region,
        "sector": sector,
        "sector_label": Sector(sector).label if sector else "",
        "table": _shown(selectors.coverage_table(user, region)),
        "by_region": _shown(selectors.coverage_by_region(user, region, sector=sector)),
        "history": [Shown(snapshot) for snapshot in selectors.coverage_history(user, region, sector)],
        "trail": _trail(user, region),
        "regions": visible_regions(user).exclude(level=Level.STREET).order_by("code"),
        "sectors": Sector.choices,
    }
    return _render(request, "whitelist/coverage.html", context, tab="coverage")


@login_required
@require_GET
def coverage_gap(request):
    """Closing the gap: the fewest firms to admit for a sector of the region to reach its target."""
    user = request.user
    region = _coverage_region(request)
    sector = coverage_sector(request.GET.get("sector"))
    plan = selectors.closing_the_gap(user, region, sector) if sector else None
    context = {
        "region": region,
        "sector": sector,
        "sector_label": Sector(sector).label if sector else "",
        "plan": plan,
        "row": Shown(plan.row) if plan else None,
        "picks": [(pick, _percent(pick.cumulative_ratio)) for pick in plan.picks] if plan else [],
        "trail": _trail(user, region),
        "sectors": Sector.choices,
    }
    return _render(request, "whitelist/gap.html", context, tab="coverage")


# --- the public page ---------------------------------------------------------------------------------------


PUBLIC_ENTRY_FIELDS = ("status", "valid_to", "enterprise__name", "enterprise__sector", "enterprise__region__name")


@require_GET
def public_whitelist(request):
    """Open to everybody: the criteria in force, the whitelist and the firms removed from it, with the reason.

    Only public fields are read from the database (names, sectors, regions, dates, published reasons), so
    nothing private can reach the page: no credit code, contact, document or review note.
    """
    day = today()
    listed = PublicEntryFilter(
        request.GET or None,
        queryset=Entry.objects.filter(status__in=selectors.LISTED)
        .select_related("enterprise", "enterprise__region")
        .only(*PUBLIC_ENTRY_FIELDS),
    )
    page = Paginator(listed.qs, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    removed_on = (
        StatusChange.objects.filter(entry=OuterRef("pk"), action="remove")
        .order_by("-at", "-id")
        .values("effective_date")[:1]
    )
    removed = PublicEntryFilter(
        request.GET or None,
        queryset=Entry.objects.filter(status=EntryStatus.REMOVED)
        .select_related("enterprise", "enterprise__region")
        .only(*PUBLIC_ENTRY_FIELDS, "removal_reason")
        .annotate(removed_on=Subquery(removed_on)),
    ).qs.order_by("-removed_on", "enterprise__name")[:PUBLIC_REMOVED_SHOWN]
    in_force, upcoming = _public_criteria(request.GET.get("region"), request.GET.get("sector"), day)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": listed,
        "page_obj": page,
        "paginator": page.paginator,
        "removed": removed,
        "in_force": in_force,
        "upcoming": upcoming,
        "today": day,
        "regions": Region.objects.filter(level__in=(Level.CITY, Level.COUNTY))
        .order_by("code")
        .only("code", "name", "level"),
        "query_without_page": query.urlencode(),
    }
    return render(request, "whitelist/public.html", context)


def _public_criteria(region_code: str | None, sector: str | None, day: dt.date):
    """The published criteria in force on `day` per jurisdiction and sector, and those published to come.

    With a region: the criteria of its jurisdictions (itself and above) and of those within it.
    """
    sets = CriteriaSet.objects.filter(status__in=(CriteriaStatus.PUBLISHED, CriteriaStatus.RETIRED)).select_related(
        "region"
    )
    region = Region.objects.filter(code=(region_code or "").strip()).first() if region_code else None
    if region_code and region is None:
        sets = sets.none()
    elif region is not None:
        sets = sets.filter(Q(region_id__in=ancestor_codes(region.code)) | Q(region__code__startswith=region.prefix))
    if sector in Sector.values:
        sets = sets.filter(sector=sector)
    candidates = list(
        sets.filter(effective_from__lte=day).only("pk", "region_id", "sector", "effective_from", "version")
    )
    best = {}
    for candidate in candidates:
        key = (candidate.region_id, candidate.sector)
        if key not in best or (candidate.effective_from, candidate.version) > (
            best[key].effective_from,
            best[key].version,
        ):
            best[key] = candidate
    shown = sets.filter(
        Q(pk__in=[s.pk for s in best.values()]) | Q(status=CriteriaStatus.PUBLISHED, effective_from__gt=day)
    )
    shown = list(shown.prefetch_related(Prefetch("criteria")).order_by("region_id", "sector", "-version"))
    criteria = _labelled_documents([c for s in shown for c in s.criteria.all()])
    names = _region_names_for(criteria)
    for criteria_set in shown:
        criteria_set.rows = [
            (c, rules.describe(c, region_names=names) if c.kind == CriterionKind.AUTOMATIC else "")
            for c in criteria_set.criteria.all()
        ]
    return [s for s in shown if s.effective_from <= day], [s for s in shown if s.effective_from > day]
