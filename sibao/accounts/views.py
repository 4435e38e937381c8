"""Sign-in, sign-out, password change and two-factor set-up."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.forms import OTPAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from sibao.accounts import services
from sibao.core.errors import ErrorCode, ServiceError


class LoginView(auth_views.LoginView):
    """Password, plus the current TOTP code for users who have a device."""

    template_name = "accounts/login.html"
    authentication_form = OTPAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(actor=self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


def locked_out(request, credentials=None, *args, **kwargs):
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
