"""Pages: electronic-sentinel alerts (电子哨), listed and handled (acknowledge, resolve with notes).

Alerts are health data: only those with `Action.HEALTH` on the enterprise see them (prevention HQ, the
local unit and the enterprise's own liaisons), and the same people handle them.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from sibao.accounts.roles import Action
from sibao.core.errors import ServiceError
from sibao.core.forms import show_service_error
from sibao.core.views import ScopedListView
from sibao.prevention import selectors
from sibao.prevention.models import Alert, AlertCause, AlertStatus
from sibao.prevention.services.alerts import alert_acknowledge, alert_resolve
from sibao.prevention.transitions import alert_target
from sibao.regions.scoping import get_visible_or_404


class AlertListView(ScopedListView):
    """Alerts the user may see, newest first, by status and cause."""

    model = Alert
    action = Action.HEALTH
    template_name = "prevention/alert_list.html"

    def get_queryset(self):
        query = self.request.GET
        return selectors.alerts_for(self.request.user, status=query.get("status"), cause=query.get("cause"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            statuses=AlertStatus.choices,
            causes=AlertCause.choices,
            status=self.request.GET.get("status", ""),
            cause=self.request.GET.get("cause", ""),
        )
        return context


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


_HANDLERS = {"acknowledge": alert_acknowledge, "resolve": alert_resolve}
_DONE = {
    "acknowledge": gettext_lazy("The alert is acknowledged."),
    "resolve": gettext_lazy("The alert is resolved."),
}


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request, pk: int):
    """An alert and its history (raised, acknowledged, resolved, each with who, when and the note); handling it."""
    alert = get_visible_or_404(Alert.objects.select_related("enterprise", "staff"), request.user, Action.HEALTH, pk=pk)
    forms_by_move = {move: NoteForm(prefix=move) for move in _HANDLERS if alert_target(alert.status, move)}
    move = request.POST.get("move") if request.method == "POST" else None
    if move in forms_by_move:
        form = forms_by_move[move] = NoteForm(request.POST, prefix=move)
        try:
            _HANDLERS[move](actor=request.user, alert=alert, note=request.POST.get(f"{move}-note", ""))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, str(_DONE[move]))
            return redirect("prevention:alert_detail", pk=alert.pk)
    elif request.method == "POST":
        messages.error(request, _("This alert cannot be moved that way now."))
    return render(request, "prevention/alert_detail.html", {"alert": alert, "move_forms": forms_by_move})


urlpatterns = [
    path("alerts/", AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", alert_detail, name="alert_detail"),
]
