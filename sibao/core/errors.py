"""The one error type services raise; the API and the pages render it in their one shape each."""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    NOT_AUTHENTICATED = "not_authenticated"
    LOCKED_OUT = "locked_out"
    THROTTLED = "throttled"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_FILE = "unsupported_file"
    FILE_TOO_LARGE = "file_too_large"
    SERVER_ERROR = "server_error"


HTTP_STATUS = {
    ErrorCode.INVALID: 400,
    ErrorCode.UNSUPPORTED_FILE: 400,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.LOCKED_OUT: 429,
    ErrorCode.THROTTLED: 429,
    ErrorCode.SERVER_ERROR: 500,
}


class ServiceError(Exception):
    """A refused action: a code, a message for people and, per field, what is wrong."""

    def __init__(self, code: ErrorCode, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_dict(self) -> dict:
        return {"error": {"code": str(self.code), "message": self.message, "fields": self.fields}}

    @classmethod
    def from_django_validation(cls, exc) -> "ServiceError":
        """Turn a Django ValidationError (from full_clean or a form) into the one error shape."""
        from django.utils.translation import gettext as _

        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return cls(ErrorCode.INVALID, _("Some values are not valid."), fields)
