"""Pages: the prevention overview of a jurisdiction, and one enterprise's compliance, overdue list and readiness.

Compliance shares are aggregates: whoever may see the enterprise sees them. Names on the overdue list and
alerts are health data: only with `Action.HEALTH` (prevention HQ, local unit, the firm's own liaisons).
"""

import mimetypes
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sibao.accounts.roles import Action
from sibao.core.choices import Sector
from sibao.core.errors import ServiceError
from sibao.core.forms import show_service_error
from sibao.enterprises.models import Enterprise
from sibao.prevention import selectors
from sibao.prevention.models import ClosedLoopPlan
from sibao.prevention.rules import STANDING_LABELS
from sibao.prevention.services.readiness import PLAN_FIELDS, closed_loop_plan_update
from sibao.regions.models import Level, ancestor_codes
from sibao.regions.scoping import get_visible_or_404, user_grants, visible_regions
from sibao.whitelist.filters import coverage_region, coverage_sector

OVERDUE_PER_PAGE = 50
HISTORY_DAYS = 30
LATEST_ALERTS = 10


def percent(share) -> Decimal | None:
    """A share (0..1) as a percentage with one decimal, for display."""
    return None if share is None else (Decimal(share) * 100).quantize(Decimal("0.1"))


class Shown:
    """Compliance figures (a roll-up row or a day's row) with the share as a percentage."""

    def __init__(self, figures, *, label: str = "", key: str = "", direct: bool = False):
        self.figures = figures
        self.label = label
        self.key = key
        self.direct = direct
        self.percent = percent(figures.share)
        self.bar = min(self.percent or Decimal(0), Decimal(100))


def _rollup(rollup) -> dict:
    rows = [Shown(row.figures, label=row.label, key=row.key, direct=row.direct) for row in rollup.rows]
    return {"rows": rows, "total": Shown(rollup.total), "as_of": rollup.as_of, "oldest": rollup.oldest}


def _may(user, action: str, enterprise: Enterprise) -> bool:
    return Enterprise.objects.visible_to(user, action).filter(pk=enterprise.pk).exists()


# --- the overview ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    """Compliance of the user's jurisdiction (or a region below it) by child region and sector, and alerts."""
    user = request.user
    if user.enterprise_id and not user.is_superuser and not user_grants(user):
        return redirect("prevention:enterprise", pk=user.enterprise_id)
    region = coverage_region(user, request.GET.get("region"))
    if region is None:
        raise Http404
    sector = coverage_sector(request.GET.get("sector"))
    alerts = selectors.alerts_for(user, region=region)
    context = {
        "region": region,
        "sector": sector,
        "sector_label": Sector(sector).label if sector else "",
        "by_region": _rollup(selectors.compliance_by_region(user, region, sector=sector)),
        "by_sector": _rollup(selectors.compliance_by_sector(user, region)),
        "unresolved": alerts.exclude(status="resolved").count(),
        "alerts": alerts[:LATEST_ALERTS],
        "trail": list(visible_regions(user).filter(code__in=ancestor_codes(region.code)[1:]).order_by("code")),
        "regions": visible_regions(user).exclude(level=Level.STREET).order_by("code"),
        "sectors": Sector.choices,
    }
    return render(request, "prevention/home.html", context)


# --- one enterprise ---------------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    """The closed-loop plan as the page shows it; the service validates what is posted."""

    plan_document = forms.FileField(
        label=gettext_lazy("Emergency plan (一企一策)"),
        required=False,
        help_text=gettext_lazy("PDF, DOC, DOCX, JPG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.doc,.docx,.jpg,.jpeg,.png"}),
    )
    lodging = forms.CharField(label=gettext_lazy("Lodging"), required=False, max_length=200)
    lodging_beds = forms.IntegerField(label=gettext_lazy("Beds"), required=False, min_value=0)
    receiving_point = forms.CharField(label=gettext_lazy("Fixed receiving point"), required=False, max_length=200)
    observation_places = forms.IntegerField(
        label=gettext_lazy("Temporary observation places"), required=False, min_value=0
    )
    lead_name = forms.CharField(label=gettext_lazy("Prevention lead"), required=False, max_length=64)
    lead_phone = forms.CharField(label=gettext_lazy("Prevention lead's phone"), required=False, max_length=20)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_plan(cls, plan: ClosedLoopPlan | None) -> "PlanForm":
        initial = {name: getattr(plan, name) for name in PLAN_FIELDS} if plan else {}
        return cls(initial={**initial, "version": plan.version if plan else 0})


def _enterprise_context(request, enterprise: Enterprise, plan_form: PlanForm | None = None) -> dict:
    user = request.user
    health = _may(user, Action.HEALTH, enterprise)
    history = [Shown(day) for day in selectors.compliance_history(user, enterprise, days=HISTORY_DAYS)]
    plan = ClosedLoopPlan.objects.filter(enterprise=enterprise).first()
    context = {
        "enterprise": enterprise,
        "latest": history[0] if history else None,
        "history": history,
        "may_health": health,
        "may_change": _may(user, Action.CHANGE, enterprise),
        "plan": plan,
        "plan_form": plan_form or PlanForm.for_plan(plan),
        "gaps": selectors.readiness_by_enterprise([enterprise.pk]).get(enterprise.pk, []),
        "standing_labels": STANDING_LABELS,
    }
    if health:
        page = Paginator(selectors.overdue_staff(user, enterprise), OVERDUE_PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            overdue=page,
            page_obj=page,
            paginator=page.paginator,
            alerts=list(selectors.alerts_for(user, enterprise=enterprise)[:20]),
        )
    return context


@login_required
@require_GET
def enterprise_page(request, pk: int):
    """One enterprise's prevention page: compliance now and by day, the overdue list, readiness and alerts."""
    enterprise = get_visible_or_404(Enterprise.objects.select_related("region"), request.user, pk=pk)
    return render(request, "prevention/enterprise.html", _enterprise_context(request, enterprise))


@login_required
@require_POST
def plan_edit(request, pk: int):
    """Save the closed-loop plan (multipart: the emergency plan document may come with it)."""
    enterprise = get_visible_or_404(Enterprise.objects.select_related("region"), request.user, Action.CHANGE, pk=pk)
    form = PlanForm(request.POST, request.FILES)
    data = {name: request.POST.get(name, "") for name in (*PLAN_FIELDS, "version")}
    try:
        closed_loop_plan_update(
            actor=request.user, enterprise=enterprise, data=data, document=request.FILES.get("plan_document")
        )
    except ServiceError as error:
        show_service_error(form, error)
        return render(request, "prevention/enterprise.html", _enterprise_context(request, enterprise, form))
    messages.success(request, _("The closed-loop plan has been saved."))
    return redirect(reverse("prevention:enterprise", args=[enterprise.pk]) + "#readiness")


@login_required
@require_GET
def plan_document(request, pk: int):
    """The emergency plan document, streamed to those who may see the enterprise (there is no public media URL)."""
    plan = get_visible_or_404(ClosedLoopPlan, request.user, enterprise_id=pk)
    if not plan.plan_document:
        raise Http404
    try:
        handle = plan.plan_document.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    name = plan.plan_document.name.rsplit("/", 1)[-1]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("", home, name="home"),
    path("enterprises/<int:pk>/", enterprise_page, name="enterprise"),
    path("enterprises/<int:pk>/plan/", plan_edit, name="plan_edit"),
    path("enterprises/<int:pk>/plan/document/", plan_document, name="plan_document"),
]
