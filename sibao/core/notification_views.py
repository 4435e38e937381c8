"""A user's notifications: the list, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sibao.core.models import Notification
from sibao.core.notifications import notifications_mark_read


@login_required
def notification_list(request):
    notes = Notification.objects.visible_to(request.user)
    page = Paginator(notes, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page_obj": page, "object_list": page.object_list})


@login_required
@require_POST
def notification_read(request):
    """Mark one (`id`) or all of the user's notifications read, then follow its link or go back."""
    note_id = request.POST.get("id")
    ids = [int(note_id)] if note_id and note_id.isdigit() else None
    notifications_mark_read(user=request.user, ids=ids)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "notifications:list"
    return redirect(target)


app_name = "notifications"
urlpatterns = [
    path("", notification_list, name="list"),
    path("read/", notification_read, name="read"),
]
