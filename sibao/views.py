"""The landing page after sign-in: the user's jurisdiction at a glance and where to go next."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from sibao.accounts.roles import Action
from sibao.core.errors import ErrorCode, ServiceError
from sibao.enterprises import selectors
from sibao.enterprises.models import Enterprise
from sibao.regions.scoping import holds_action_somewhere


@login_required
def home(request):
    user = request.user
    context = {
        "summary": selectors.registry_summary(user=user),
        "grants": user.grants.select_related("region").order_by("region_id", "role"),
        "own_enterprise": (
            Enterprise.objects.visible_to(user).select_related("region").filter(pk=user.enterprise_id).first()
            if user.enterprise_id
            else None
        ),
        "can_create": holds_action_somewhere(user, Action.CREATE),
        "can_import": holds_action_somewhere(user, Action.IMPORT),
        "can_audit": holds_action_somewhere(user, Action.AUDIT),
        "is_verified": user.is_verified() if hasattr(user, "is_verified") else False,
    }
    return render(request, "home.html", context)


def server_error(request):
    """A 500: the API answers in its error shape, pages with the plain 500 page."""
    if request.path.startswith("/api/"):
        error = ServiceError(ErrorCode.SERVER_ERROR, _("Something went wrong on our side; it has been logged."))
        return JsonResponse(error.as_dict(), status=500)
    return django_server_error(request)
