"""Pages: the one-click mode switch (平急转换) — regions and their modes, the preview, the switch, its history.

Anyone signed in sees the mode of their own regions; those who may switch (`Action.SWITCH_MODE`: the
epidemic-prevention HQ and the dispatch office) choose a region and a mode, read the preview, and confirm it
with a reason. A refused switch says why and changes nothing (services/mode.py decides).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sibao.accounts.roles import Action
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.forms import service_error_text, show_service_error
from sibao.core.views import ScopedListView
from sibao.prevention.closed_loop import home_regions
from sibao.prevention.models import ModeSwitch
from sibao.prevention.services.mode import mode_switch_apply, mode_switch_preview
from sibao.regions.models import Mode, Region
from sibao.regions.scoping import holds_action_somewhere, may_act_at, visible_regions

NOT_READY_PAGE = 50


class SwitchForm(forms.Form):
    """The confirmation of a previewed switch: the region and mode chosen, and why."""

    region = forms.CharField(widget=forms.HiddenInput)
    to_mode = forms.ChoiceField(choices=Mode.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept in the history and sent to those notified."),
    )


def _context(user) -> dict:
    return {"can_switch_somewhere": holds_action_somewhere(user, Action.SWITCH_MODE)}


# --- regions and their modes ---------------------------------------------------------------------------------


def _top_regions(user) -> list[Region]:
    """The user's own regions, without those lying inside another of them."""
    regions = list(Region.objects.filter(code__in=home_regions(user)).order_by("code"))
    return [r for r in regions if not any(o is not r and r.code.startswith(o.prefix) for o in regions)]


def _mode_rows(user) -> list[dict]:
    """Each top region, then its children: mode, since when, emergency regions inside, whether the user may switch."""
    tops = _top_regions(user)
    children = list(Region.objects.filter(parent__in=tops).order_by("code"))
    emergency = list(
        Region.objects.filter(code__startswith=top.prefix, mode=Mode.EMERGENCY).values_list("code", flat=True)
        for top in tops
    )
    in_emergency = [code for codes in emergency for code in codes]
    rows = []
    for top in tops:
        for region, depth in [(top, 0)] + [(c, 1) for c in children if c.parent_id == top.code]:
            rows.append(
                {
                    "region": region,
                    "depth": depth,
                    "emergency_inside": sum(c.startswith(region.prefix) and c != region.code for c in in_emergency),
                    "can_switch": may_act_at(user, Action.SWITCH_MODE, region.code),
                }
            )
    return rows


@login_required
@require_GET
def mode_page(request):
    user = request.user
    rows = _mode_rows(user)
    switchable = [row["region"] for row in rows if row["can_switch"]]
    recent = ModeSwitch.objects.visible_to(user).select_related("region", "actor")[:5]
    return render(
        request,
        "prevention/mode.html",
        {**_context(user), "rows": rows, "switchable": switchable, "modes": Mode.choices, "recent": recent},
    )


# --- preview and switch --------------------------------------------------------------------------------------


def _region_or_404(user, code) -> Region:
    region = visible_regions(user).filter(code=str(code or "")).first()
    if region is None:
        raise Http404
    return region


def _refused(request, error: ServiceError):
    """Not allowed: the 403 page, with the reason as a message. Nothing to switch: back to the modes, told why."""
    messages.error(request, service_error_text(error))
    if error.code == ErrorCode.FORBIDDEN:
        raise PermissionDenied(error.message)
    return redirect("prevention:mode")


def _render_preview(request, region: Region, to_mode: str, form: SwitchForm | None = None, status: int = 200):
    try:
        preview = mode_switch_preview(actor=request.user, region=region, to_mode=to_mode)
    except ServiceError as error:
        return _refused(request, error)
    page = Paginator(preview.not_ready, NOT_READY_PAGE).get_page(request.GET.get("page"))
    form = form or SwitchForm(initial={"region": region.code, "to_mode": to_mode})
    context = {
        **_context(request.user),
        "preview": preview,
        "to_label": Mode(to_mode).label,
        "page_obj": page,
        "paginator": page.paginator,
        "form": form,
    }
    return render(request, "prevention/mode_preview.html", context, status=status)


@login_required
@require_GET
def mode_preview(request):
    region = _region_or_404(request.user, request.GET.get("region"))
    return _render_preview(request, region, request.GET.get("to") or "")


@login_required
@require_POST
def mode_switch(request):
    region = _region_or_404(request.user, request.POST.get("region"))
    form = SwitchForm(request.POST)
    to_mode = request.POST.get("to_mode") or ""
    try:
        switch = mode_switch_apply(
            actor=request.user, region=region, to_mode=to_mode, reason=request.POST.get("reason", "")
        )
    except ServiceError as error:
        if error.code != ErrorCode.INVALID or to_mode not in Mode.values:
            return _refused(request, error)
        show_service_error(form, error)
        return _render_preview(request, region, to_mode, form, status=400)
    messages.success(
        request,
        _("%(region)s is in %(mode)s mode now.") % {"region": region.name, "mode": switch.get_to_mode_display()},
    )
    return redirect("prevention:mode_history")


# --- history ---------------------------------------------------------------------------------------------------


class ModeHistoryView(ScopedListView):
    model = ModeSwitch
    template_name = "prevention/mode_history.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "actor")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_context(self.request.user)}


urlpatterns = [
    path("mode/", mode_page, name="mode"),
    path("mode/preview/", mode_preview, name="mode_preview"),
    path("mode/switch/", mode_switch, name="mode_switch"),
    path("mode/history/", ModeHistoryView.as_view(), name="mode_history"),
]
