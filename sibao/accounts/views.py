"""Sign-in, sign-out, password change and two-factor set-up."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from sibao.accounts import services
from sibao.accounts.forms import GrantForm, PasswordResetForm, UserCreateForm
from sibao.accounts.models import Grant, Organization, User
from sibao.accounts.roles import Action
from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.forms import service_error_text, show_service_error
from sibao.core.views import ScopedListView
from sibao.regions.scoping import get_visible_or_404, holds_action_somewhere, visible_regions


class LoginView(auth_views.LoginView):
    """Username and password. The second factor, where required, is asked for on the next page.

    (django-otp's OTPAuthenticationForm would demand a token from every user, even one without a device.)
    """

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        with transaction.atomic():  # the new password and its audit event, together or not at all
            response = super().form_valid(form)
            services.password_changed(actor=self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


def locked_out(request, original_response=None, credentials=None):
    """Shown by django-axes after too many failed sign-ins."""
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    message = _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        error = ServiceError(ErrorCode.LOCKED_OUT, message)
        return JsonResponse(error.as_dict(), status=error.http_status)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return str(reverse_lazy("home"))


@login_required
def two_factor(request):
    """Set up an authenticator app (TOTP), or confirm the code of one already set up."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    device = confirmed or services.totp_device_pending(user=request.user)
    error = ""
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            if not device.confirmed:
                services.totp_device_confirm(actor=request.user, device=device)
            otp_login(request, device)
            return redirect(_safe_next(request))
        error = _("The code is not correct. Check the time on your phone and try again.")
    context = {"device": device, "error": error, "next": _safe_next(request), "setting_up": not device.confirmed}
    if not device.confirmed:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
        context["secret"] = device.bin_key.hex()
    return render(request, "accounts/two_factor.html", context)


# --- user administration ---------------------------------------------------------------------------


class UserListView(ScopedListView):
    model = User
    action = Action.MANAGE_USERS
    template_name = "accounts/user_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not holds_action_somewhere(request.user, Action.MANAGE_USERS):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = (
            super().get_queryset().select_related("organization", "enterprise").prefetch_related("grants__region")
        )
        query = self.request.GET.get("q", "").strip()
        if query:
            queryset = queryset.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
        return queryset.order_by("username")


def _manageable_regions(user):
    return visible_regions(user, Action.MANAGE_USERS).order_by("code")


def _manageable_organizations(user):
    return Organization.objects.filter(region__in=_manageable_regions(user)).order_by("region_id", "name")


@login_required
def user_create(request):
    if not holds_action_somewhere(request.user, Action.MANAGE_USERS):
        raise Http404
    form = UserCreateForm(request.POST or None, organizations=_manageable_organizations(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
                phone=data["phone"],
                organization=data["organization"],
                enterprise_code=data["enterprise_code"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request, pk: int):
    target = get_visible_or_404(User, request.user, Action.MANAGE_USERS, pk=pk)
    grant_form = GrantForm(regions=_manageable_regions(request.user))
    password_form = PasswordResetForm()
    if request.method == "POST":
        operation = request.POST.get("op")
        try:
            if operation == "grant_add":
                grant_form = GrantForm(request.POST, regions=_manageable_regions(request.user))
                if grant_form.is_valid():
                    services.grant_add(actor=request.user, user=target, **grant_form.cleaned_data)
                    messages.success(request, _("Role granted."))
                    return redirect("accounts:user_detail", pk=target.pk)
            elif operation == "grant_remove":
                grant_id = request.POST.get("grant", "")
                grant = get_object_or_404(Grant, pk=int(grant_id) if grant_id.isdigit() else None, user=target)
                services.grant_remove(actor=request.user, grant=grant)
                messages.success(request, _("Role removed."))
                return redirect("accounts:user_detail", pk=target.pk)
            elif operation in ("activate", "deactivate"):
                services.user_set_active(actor=request.user, user=target, active=operation == "activate")
                return redirect("accounts:user_detail", pk=target.pk)
            elif operation == "password":
                password_form = PasswordResetForm(request.POST)
                if password_form.is_valid():
                    services.user_set_password(actor=request.user, user=target, **password_form.cleaned_data)
                    messages.success(request, _("Password set. Tell the user to change it at first sign-in."))
                    return redirect("accounts:user_detail", pk=target.pk)
            else:
                raise Http404
        except ServiceError as error:
            messages.error(request, service_error_text(error))
    context = {
        "target": target,
        "grants": target.grants.select_related("region"),
        "grant_form": grant_form,
        "password_form": password_form,
        "history": Event.objects.for_object(target)[:50],
    }
    return render(request, "accounts/user_detail.html", context)
