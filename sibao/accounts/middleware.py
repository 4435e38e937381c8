"""Officials must sign in with a second factor when SIBAO_REQUIRE_2FA is on (production)."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/", "/open311/", "/public/")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _must_verify(request) -> bool:
        user = getattr(request, "user", None)
        if not settings.SIBAO_REQUIRE_2FA or user is None or not user.is_authenticated:
            return False
        if request.path.startswith(EXEMPT_PREFIXES):
            return False
        return user.is_official and not user.is_verified()
