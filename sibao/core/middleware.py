"""Middleware that makes the current request's facts available to services."""

from sibao.core import request_context


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_context.begin(request)
        try:
            return self.get_response(request)
        finally:
            request_context.end(token)
