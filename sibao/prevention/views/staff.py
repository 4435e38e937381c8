"""Pages: an enterprise's staff roster, a member of staff (status, tests, credential checks, revealing the ID
number), roster import, and the test-result ingest. Thin: parse, call a service, render.

Rows come through the scoping mechanism with `Action.HEALTH` (an enterprise's liaison, or officials
holding HEALTH where it is); not found and not allowed are both 404.
"""

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sibao.accounts.roles import Action
from sibao.core import tabular
from sibao.core.clock import now
from sibao.core.errors import ServiceError
from sibao.core.forms import ImportForm, service_error_text, show_service_error
from sibao.core.views import XLSX, ScopedListView, file_response
from sibao.enterprises.models import Enterprise
from sibao.prevention.cycles import cycles_at
from sibao.prevention.forms import CredentialForm, RosterFilter, StaffForm
from sibao.prevention.models import HeldResult, StaffMember, TestResult
from sibao.prevention.rules import STANDING_LABELS, credential_colour, staff_standing
from sibao.prevention.services import credentials, tests
from sibao.prevention.services import staff as services
from sibao.regions.parameters import parameter_value
from sibao.regions.scoping import get_visible_or_404, holds_action_somewhere, may_act_at

VALID_HOURS_KEY = "prevention.credential_valid_hours"
COLOUR_LABELS = {"green": gettext_lazy("Green"), "yellow": gettext_lazy("Yellow"), "red": gettext_lazy("Red")}
COLOUR_BADGES = {"green": "ok", "yellow": "warn", "red": "bad"}


# --- status --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Status:
    """Where a member of staff stands (test cycle) and the colour of their health credentials."""

    standing: str
    standing_label: str
    colour: str
    colour_label: str
    badge: str
    reasons: list[str]


class StatusRules:
    """The enterprise's cycles and credential validity, read once for a page of its staff."""

    def __init__(self, enterprise: Enterprise):
        self.cycles = cycles_at(enterprise.region_id)
        self.valid_hours = int(parameter_value(enterprise.region_id, VALID_HOURS_KEY).value)
        self.at = timezone.localtime(now())

    def of(self, staff: StaffMember) -> Status:
        standing = staff_standing(
            post_type=staff.post_type,
            start_date=staff.start_date,
            last_sampled_at=staff.last_sampled_at,
            last_result=staff.last_result,
            cycles=self.cycles,
            at=self.at,
        )
        colour, reasons = credential_colour(
            code_outcome=staff.code_outcome,
            code_checked_at=staff.code_checked_at,
            itinerary_risk=staff.itinerary_risk,
            standing=standing,
            at=self.at,
            valid_hours=self.valid_hours,
        )
        return Status(
            standing, str(STANDING_LABELS[standing]), colour, str(COLOUR_LABELS[colour]), COLOUR_BADGES[colour], reasons
        )


def _kept_enterprise(request, pk: int) -> Enterprise:
    return get_visible_or_404(Enterprise.objects.select_related("region"), request.user, Action.HEALTH, pk=pk)


def _kept_staff(request, pk: int) -> StaffMember:
    queryset = StaffMember.objects.select_related("enterprise", "enterprise__region")
    return get_visible_or_404(queryset, request.user, Action.HEALTH, pk=pk)


def _version(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the roster ----------------------------------------------------------------------------------------


class StaffListView(ScopedListView):
    model = StaffMember
    action = Action.HEALTH
    filterset_class = RosterFilter
    template_name = "prevention/staff_list.html"

    def get(self, request, *args, **kwargs):
        self.enterprise = _kept_enterprise(request, kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(enterprise=self.enterprise).order_by("left_on", "name", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = StatusRules(self.enterprise)
        context["enterprise"] = self.enterprise
        context["rows"] = [(member, rules.of(member)) for member in context["object_list"]]
        context["import_form"] = ImportForm()
        return context


@login_required
def staff_create(request, pk: int):
    enterprise = _kept_enterprise(request, pk)
    form = StaffForm(request.POST or None)
    if request.method == "POST":
        try:
            member = services.staff_create(actor=request.user, enterprise=enterprise, data=form.posted())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("%(name)s has been added to the roster.") % {"name": member.name})
            return redirect("prevention:staff_detail", pk=member.pk)
    return render(request, "prevention/staff_form.html", {"form": form, "enterprise": enterprise, "creating": True})


@login_required
def staff_edit(request, pk: int):
    member = _kept_staff(request, pk)
    initial = {name: getattr(member, name) for name in services.STAFF_FIELDS} | {"version": member.version}
    form = StaffForm(request.POST or None, initial=initial, masked_id=member.id_masked)
    if request.method == "POST":
        try:
            services.staff_update(
                actor=request.user,
                staff=member,
                data=form.posted(),
                expected_version=_version(request.POST.get("version")),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("prevention:staff_detail", pk=member.pk)
    context = {"form": form, "enterprise": member.enterprise, "member": member}
    return render(request, "prevention/staff_form.html", context)


def _detail_context(request, member: StaffMember, credential_form: CredentialForm | None = None) -> dict:
    enterprise = member.enterprise
    return {
        "member": member,
        "enterprise": enterprise,
        "status": StatusRules(enterprise).of(member),
        "results": TestResult.objects.visible_to(request.user).filter(id_hash=member.id_hash)[:50],
        "checks": member.checks.select_related("recorded_by")[:50],
        "can_reveal": may_act_at(request.user, Action.REVEAL_ID, enterprise.region_id, enterprise.sector),
        "credential_form": credential_form or CredentialForm(initial={"checked_at": timezone.localtime(now())}),
    }


@login_required
def staff_detail(request, pk: int):
    member = _kept_staff(request, pk)
    return render(request, "prevention/staff_detail.html", _detail_context(request, member))


@login_required
@require_POST
def staff_leave(request, pk: int):
    member = _kept_staff(request, pk)
    try:
        services.staff_leave(actor=request.user, staff=member)
    except ServiceError as error:
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("%(name)s is marked as having left today.") % {"name": member.name})
    return redirect("prevention:staff_detail", pk=member.pk)


@never_cache
@login_required
@require_POST
def staff_reveal(request, pk: int):
    """The full ID number, shown once on this response (never stored in the page's URL or a message)."""
    member = _kept_staff(request, pk)
    try:
        revealed = services.staff_reveal_id(actor=request.user, staff=member)
    except ServiceError as error:
        messages.error(request, service_error_text(error))
        return redirect("prevention:staff_detail", pk=member.pk)
    return render(request, "prevention/staff_detail.html", {**_detail_context(request, member), "revealed": revealed})


@login_required
@require_POST
def staff_credential(request, pk: int):
    member = _kept_staff(request, pk)
    form = CredentialForm(request.POST)
    try:
        credentials.credential_record(
            actor=request.user,
            staff=member,
            outcome=request.POST.get("outcome"),
            itinerary_risk=request.POST.get("itinerary_risk") or None,
            source=request.POST.get("source"),
            checked_at=request.POST.get("checked_at"),
        )
    except ServiceError as error:
        show_service_error(form, error)
        context = _detail_context(request, member, credential_form=form)
        return render(request, "prevention/staff_detail.html", context, status=400)
    messages.success(request, _("The check has been recorded."))
    return redirect("prevention:staff_detail", pk=member.pk)


# --- imports ---------------------------------------------------------------------------------------------


@login_required
def staff_import(request, pk: int):
    enterprise = _kept_enterprise(request, pk)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        try:
            batch = services.staff_import(actor=request.user, enterprise=enterprise, upload=form.cleaned_data["file"])
        except ServiceError as error:
            form.add_error("file", error.message)
        else:
            return redirect(f"{reverse('imports:report', args=[batch.pk])}?enterprise={enterprise.pk}")
    context = {"form": form, "enterprise": enterprise, "columns": services.staff_columns()}
    return render(request, "prevention/staff_import.html", context)


@login_required
def staff_import_template(request, pk: int):
    enterprise = _kept_enterprise(request, pk)
    columns = services.staff_columns()
    header = [str(c.label) for c in columns]
    # The sheet is named after the firm, so a filled-in template shows whose roster it is.
    sheet = "".join(c for c in enterprise.name if c not in "[]:*?/\\")[:31] or "staff"
    return file_response(
        tabular.write_xlsx(header, [[c.example for c in columns]], sheet=sheet), _("staff-template") + ".xlsx", XLSX
    )


def _may_ingest(user) -> bool:
    return bool(getattr(user, "enterprise_id", None)) or holds_action_somewhere(user, Action.HEALTH)


@login_required
def test_ingest(request):
    if not _may_ingest(request.user):
        raise Http404
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        try:
            batch = tests.test_results_ingest(actor=request.user, upload=form.cleaned_data["file"])
        except ServiceError as error:
            form.add_error("file", error.message)
        else:
            return redirect("imports:report", pk=batch.pk)
    held = HeldResult.objects.visible_to(request.user).count()
    context = {"form": form, "columns": tests.result_columns(), "held_count": held}
    return render(request, "prevention/ingest.html", context)


class HeldResultListView(ScopedListView):
    """Results the user ingested that are on no roster they keep (yet): theirs to follow up."""

    model = HeldResult
    action = Action.HEALTH
    template_name = "prevention/ingest_held.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("batch")
        batch = _version(self.request.GET.get("batch"))
        return queryset.filter(batch_id=batch) if batch else queryset


urlpatterns = [
    path("enterprises/<int:pk>/staff/", StaffListView.as_view(), name="staff_list"),
    path("enterprises/<int:pk>/staff/new/", staff_create, name="staff_create"),
    path("enterprises/<int:pk>/staff/import/", staff_import, name="staff_import"),
    path("enterprises/<int:pk>/staff/import/template.xlsx", staff_import_template, name="staff_import_template"),
    path("staff/<int:pk>/", staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", staff_edit, name="staff_edit"),
    path("staff/<int:pk>/leave/", staff_leave, name="staff_leave"),
    path("staff/<int:pk>/reveal/", staff_reveal, name="staff_reveal"),
    path("staff/<int:pk>/credentials/", staff_credential, name="staff_credential"),
    path("tests/ingest/", test_ingest, name="test_ingest"),
    path("tests/held/", HeldResultListView.as_view(), name="held_results"),
]
