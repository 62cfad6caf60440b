"""Middleware of the tracker's own, and the client's address behind a proxy."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import BadRequest
from django.db import DatabaseError, connection
from django.http import HttpResponse

from tracker.caching import cache_answers

HEALTH_PATH = "/healthz"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class HealthCheckMiddleware:
    """`/healthz`: 200 when the database answers, 503 when it does not.

    The body says which of the database and the cache answer. A cache that does
    not answer keeps the 200: pages compute their figures without it, slower.

    Placed first so that a load balancer's probe, which may come by plain HTTP
    under an internal address, is neither redirected nor refused for its Host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.rstrip("/") != HEALTH_PATH:
            return self.get_response(request)
        database = database_answers()
        lines = [
            "ok" if database else "unavailable",
            f"database: {'ok' if database else 'unavailable'}",
            f"cache: {'ok' if cache_answers() else 'unavailable'}",
        ]
        return HttpResponse(
            "".join(f"{line}\n" for line in lines),
            status=200 if database else 503,
            content_type="text/plain",
        )


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


class RefuseNulMiddleware:
    """A 400 for a NUL character in the path, the query string or a posted form.

    No page has a use for one, and PostgreSQL refuses it in any query: a NUL that
    reached a filter, a search or a lookup would be a server error. Uploaded files
    are not read here; they may hold any byte.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _holds_nul(request.GET):
            raise BadRequest("The address holds a NUL character.")
        form = request.method == "POST" and request.content_type in FORM_TYPES
        if form and _holds_nul(request.POST):
            raise BadRequest("The form holds a NUL character.")
        return self.get_response(request)


def _holds_nul(query) -> bool:
    return any("\x00" in key or "\x00" in "".join(values) for key, values in query.lists())


def forwarded_client_ip(request) -> str | None:
    """The client's address as the proxy in front saw it (DJANGO_BEHIND_PROXY).

    The proxy appends the address it was connected from to X-Forwarded-For, so
    the right-most entry is the only one a client cannot write; the entries to its
    left are whatever the client sent. Without the header (a request that did not
    come through the proxy), the connection's own address.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return request.META.get("REMOTE_ADDR")
