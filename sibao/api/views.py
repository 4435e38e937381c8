"""API views that belong to no domain app: the token endpoint and the 404 of unknown API paths."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from sibao.accounts import services as accounts_services
from sibao.core.errors import ErrorCode, ServiceError


class TokenRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The current code of the authenticator app, for officials when two-factor sign-in is required.",
    )


class TokenView(APIView):
    """Exchange a username and password for an API token (failed attempts count towards lockout)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenRequest, responses=inline_serializer("TokenResponse", {"token": serializers.CharField()})
    )
    def post(self, request):
        data = TokenRequest(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            raise ServiceError(ErrorCode.NOT_AUTHENTICATED, _("The username or password is not correct."))
        if accounts_services.two_factor_required(user) and not accounts_services.totp_verify(
            user=user, token=data.validated_data.get("otp_token", "")
        ):
            raise ServiceError(
                ErrorCode.NOT_AUTHENTICATED,
                _("This account signs in with a second factor: send the current code of your authenticator app."),
                {"otp_token": [_("missing or not correct")]},
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def not_found(request, *args, **kwargs):
    """Any other path under the API: a 404 in the one error shape, not the site's HTML page.

    As the site does, a GET for a path that exists with a trailing slash is redirected there.
    """
    path = request.path_info
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not path.endswith("/"):
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    error = ServiceError(ErrorCode.NOT_FOUND, _("There is no such address in the API."))
    return JsonResponse(error.as_dict(), status=error.http_status)
