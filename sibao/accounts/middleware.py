"""Officials must sign in with a second factor when SIBAO_REQUIRE_2FA is on (production)."""

from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from sibao.core.errors import ErrorCode, ServiceError

# Public areas: nothing behind them belongs to a signed-in official.
EXEMPT_PREFIXES = ("/static/", "/i18n/", "/open311/", "/public/")
# The pages a signed-in official needs before the second factor: the factor itself and the way out.
# Everything else, user administration and password change included, waits for the second factor.
EXEMPT_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:two_factor", "api-token", "api-schema", "api-docs")


@cache
def _exempt_paths() -> frozenset[str]:
    paths = set()
    for name in EXEMPT_URL_NAMES:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return frozenset(paths)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            if request.path.startswith("/api/"):
                error = ServiceError(
                    ErrorCode.FORBIDDEN, _("Two-factor sign-in is required: confirm the code from your app first.")
                )
                return JsonResponse(error.as_dict(), status=error.http_status)
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _must_verify(request) -> bool:
        user = getattr(request, "user", None)
        if not settings.SIBAO_REQUIRE_2FA or user is None or not user.is_authenticated:
            return False
        if request.path.startswith(EXEMPT_PREFIXES) or request.path in _exempt_paths():
            return False
        return user.is_official and not user.is_verified()
