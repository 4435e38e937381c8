"""The one error shape of the API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sibao.core.errors import ErrorCode, ServiceError

_DRF_CODES = {
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.NOT_AUTHENTICATED,
    exceptions.PermissionDenied: ErrorCode.FORBIDDEN,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.Throttled: ErrorCode.THROTTLED,
    exceptions.ValidationError: ErrorCode.INVALID,
    exceptions.ParseError: ErrorCode.INVALID,
    exceptions.UnsupportedMediaType: ErrorCode.INVALID,
}


# The challenge of a 401: the API's token scheme.
CHALLENGE = 'Bearer realm="api"'


def _fields(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    if isinstance(detail, list):
        return {"__all__": [str(m) for m in detail]}
    return {}


def error_response(error: ServiceError) -> Response:
    response = Response(error.as_dict(), status=error.http_status)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = CHALLENGE
    return response


def exception_handler(exc, context):
    """Render every refusal in the one shape; unexpected errors still raise (and are logged)."""
    if isinstance(exc, ServiceError):
        return error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for kind, c in _DRF_CODES.items() if isinstance(exc, kind)), ErrorCode.INVALID)
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _("Some values are not valid."), _fields(exc.detail)
    else:
        message, fields = str(exc.detail) if hasattr(exc, "detail") else str(exc), {}
    response.data = {"error": {"code": str(code), "message": message, "fields": fields}}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authentication class (the session) has no challenge to offer;
        # missing or bad credentials are a 401 with the token challenge, whatever the class order.
        response.status_code = status.HTTP_401_UNAUTHORIZED
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = CHALLENGE
    return response
