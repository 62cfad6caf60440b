"""Nobody writes through the API: every method but GET, HEAD and OPTIONS on every API
URL answers 405 (or 403) for every reader, and nothing changes.

The URLs come from the resolver (every pattern under the `api` namespace), filled
with a real row's lookup value, so a URL added later is swept by the same test.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from tests.conftest import signed_in
from tests.factories import make_member
from tracker import snapshots
from tracker.models import DataVersion, Development
from tracker.roles import ANALYSTS, EDITORS

pytestmark = pytest.mark.django_db

WRITING_METHODS = ("post", "put", "patch", "delete")
PLACEHOLDER = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def api_patterns():
    """(route, callback) of every URL pattern in the `api` namespace."""

    def walk(patterns, prefix, inside):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    inside or pattern.namespace == "api",
                )
            elif inside:
                yield prefix + str(pattern.pattern), pattern.callback

    yield from walk(get_resolver().url_patterns, "", False)


def concrete(route: str, callback) -> str:
    """The route as a path, its lookup filled from the first row its view lists."""
    viewset = getattr(callback, "cls", None)
    row = viewset.queryset.first() if getattr(viewset, "queryset", None) is not None else None

    def fill(match):
        name = match.group(1) or match.group(2)
        return str(getattr(row, name if name != "pk" else "pk"))

    path = PLACEHOLDER.sub(fill, route)
    return "/" + path.replace("^", "").replace("$", "")


def state():
    """Everything a write would change: row counts, the data version, the developments."""
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model is not Session and model._meta.app_label != "axes"
    }
    return counts, DataVersion.objects.current(), list(Development.objects.values())


@pytest.fixture
def readers(seed, django_user_model):
    snapshots.take("Swept")

    def by_token(user):
        return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    root = make_member("root", is_staff=True, is_superuser=True)
    analyst = make_member("analyst-2", ANALYSTS, is_staff=True)
    return {
        "anonymous": Client(),
        "signed in, no role": signed_in(make_member("nobody")),
        "analyst": signed_in(analyst),
        "editor": signed_in(make_member("editor-2", EDITORS, is_staff=True)),
        "administrator": signed_in(root),
        "analyst's token": by_token(analyst),
        "administrator's token": by_token(root),
        # Django's test client skips CSRF checks; this one makes them as browsers do.
        "administrator, CSRF checked": _csrf_checked(root),
    }


def _csrf_checked(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_the_sweep_finds_every_api_url(seed):
    routes = {route for route, _ in api_patterns()}
    for name in ("frameworks", "recommendations", "developments", "evidence"):
        assert any(route.startswith(f"api/v1/^{name}/$") for route in routes), routes
    assert {"api/schema/", "api/docs/"} <= routes
    assert len(routes) >= 19  # the root, 8 lists, 8 details, the schema, the docs


@pytest.mark.parametrize("public", [False, True], ids=["reports private", "reports public"])
def test_every_writing_method_on_every_api_url_is_refused_for_every_reader(
    readers, settings, public
):
    settings.TRACKER_PUBLIC_REPORTS = public
    urls = [concrete(route, callback) for route, callback in api_patterns()]
    root = readers["administrator"]
    for url in urls:
        assert root.get(url).status_code == 200, url  # a real URL, readable
    before = state()
    for who, client in readers.items():
        for url in urls:
            for method in WRITING_METHODS:
                response = getattr(client, method)(
                    url, data={"title": "Written"}, content_type="application/json"
                )
                assert response.status_code in (403, 405), (who, method, url)
    assert state() == before
