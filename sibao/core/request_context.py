"""The request being served, for code far from the view (audit's client IP, request id)."""

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    ip: str | None
    request_id: str


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("sibao_request", default=None)


def client_ip(request) -> str | None:
    """The client's address; X-Forwarded-For is trusted only when the deployment says so.

    The trusted proxy appends the address it saw, so the last entry is the one to believe: earlier
    entries come from the client and may be forged.
    """
    from django.conf import settings

    if getattr(settings, "SIBAO_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")


def begin(request) -> contextvars.Token:
    return _current.set(RequestInfo(ip=client_ip(request), request_id=uuid.uuid4().hex[:16]))


def end(token: contextvars.Token) -> None:
    _current.reset(token)


def current() -> RequestInfo | None:
    return _current.get()
