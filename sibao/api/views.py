"""API views that belong to no domain app: the token endpoint."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from sibao.core.errors import ErrorCode, ServiceError


class TokenRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
