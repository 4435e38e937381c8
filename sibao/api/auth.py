"""Token authentication: `Authorization: Bearer <token>` (or DRF's `Token <token>`)."""

from rest_framework.authentication import TokenAuthentication, get_authorization_header


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if parts and parts[0].lower() == b"token":
            parts[0] = b"Bearer"
            request.META["HTTP_AUTHORIZATION"] = b" ".join(parts).decode("latin-1")
        return super().authenticate(request)
