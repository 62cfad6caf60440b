"""Faults: an unhandled error is logged with its traceback (and mailed when asked),
and hostile query strings (NUL characters, dates past the calendar) are a 400, an
empty list or the admin's "bad filter" page on every list and report, never a 500."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import path, reverse

from tests.test_permissions import REPORTS, report_url
from tests.test_production import PRODUCTION, ROOT

# --- Unhandled errors --------------------------------------------------------------


def fail(request):
    raise RuntimeError("a fault for the log")


# This module is also the URLconf of the tests marked with it.
urlpatterns = [path("fail/", fail)]


@pytest.fixture
def stderr_log(monkeypatch):
    """What the LOGGING setting's standard-error handler writes, as text."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "stderr")
    written = io.StringIO()
    monkeypatch.setattr(handler, "stream", written)
    return written


@pytest.mark.urls("tests.test_faults")
@pytest.mark.django_db
def test_an_unhandled_error_is_logged_with_its_traceback(stderr_log):
    response = Client(raise_request_exception=False).get("/fail/")
    assert response.status_code == 500
    log = stderr_log.getvalue()
    assert "ERROR django.request: Internal Server Error: /fail/" in log
    assert "Traceback (most recent call last):" in log
    assert "RuntimeError: a fault for the log" in log


@pytest.mark.django_db
def test_a_refused_request_is_logged_in_one_line_without_a_traceback(stderr_log, analyst_client):
    url = reverse("admin:tracker_development_changelist")
    assert analyst_client.post(url, {"action": "delete_selected"}).status_code == 403
    log = stderr_log.getvalue()
    assert f"WARNING django.request: Forbidden (Permission denied): {url}" in log
    assert "Traceback" not in log
    assert len(log.strip().splitlines()) == 1


@pytest.mark.urls("tests.test_faults")
@pytest.mark.django_db
def test_an_unhandled_error_is_mailed_to_the_admins_without_passwords(settings):
    settings.ADMINS = [("Ana", "ana@example.org")]
    settings.DATABASE_URL = "postgres://tracker:s3cret-pw@db.example.org:5432/tracker"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://:r3dis-pw@cache:6379/0"}
    }
    Client(raise_request_exception=False).get("/fail/")
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]
    body = mail.outbox[0].body
    assert "RuntimeError at /fail/\na fault for the log" in body
    assert "Traceback (most recent call last):" in body
    assert "postgres://tracker:********************@db.example.org:5432/tracker" in body
    assert "redis://:********************@cache:6379/0" in body
    assert "s3cret-pw" not in body and "r3dis-pw" not in body


@pytest.mark.urls("tests.test_faults")
@pytest.mark.django_db
def test_no_mail_without_admins(settings):
    settings.ADMINS = []
    Client(raise_request_exception=False).get("/fail/")
    assert mail.outbox == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_writes_an_unhandled_error_with_its_traceback_to_stderr():
    """Production as the README runs it; the fault is a database that is down."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        "TRACKER_PUBLIC_REPORTS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/reports/matrix/",
        headers={"Host": "tracker.example.org", "X-Forwarded-Proto": "https"},
    )
    try:
        for _ in range(100):  # until gunicorn listens
            try:
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError as answered:
                status = answered.code
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert status == 500
    assert "ERROR django.request: Internal Server Error: /reports/matrix/" in stderr
    assert "Traceback (most recent call last):" in stderr
    assert "OperationalError" in stderr


# --- Hostile query strings ---------------------------------------------------------

NUL = "%00"
HUGE = "9" * 20  # past every integer a date or a C long can hold


def admin_lists():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def bad_filter_or_empty(response) -> bool:
    """A 400, the admin's "bad filter" redirect, or a page (the filter ignored or
    matching nothing): anything but a server error."""
    if response.status_code == 302:
        return response["Location"].endswith("?e=1")
    return response.status_code in (200, 400)


@pytest.mark.parametrize(
    ("model", "model_admin"),
    admin_lists(),
    ids=[model._meta.label for model, _ in admin_lists()],
)
def test_every_admin_list_refuses_hostile_filters(admin_client, seed, model, model_admin):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    page = admin_client.get(url)
    assert page.status_code == 200
    # Every parameter the list's own filters use, its search, ordering and paging.
    names = {"q", "o", "p"} | {
        name for spec in page.context["cl"].filter_specs for name in spec.expected_parameters()
    }
    queries = [f"{name}={value}" for name in sorted(names) for value in (NUL, HUGE)]
    if field := model_admin.date_hierarchy:
        queries += [
            f"{field}__gte={NUL}",
            f"{field}__year={HUGE}",
            f"{field}__year=2023&{field}__month={HUGE}",
            f"{field}__year=2023&{field}__month=1&{field}__day={HUGE}",
            f"{field}__year=9999",  # the year's range would end in year 10000
            f"{field}__year=9999&{field}__month=12&{field}__day=31",
        ]
    for query in queries:
        response = admin_client.get(f"{url}?{query}")
        assert bad_filter_or_empty(response), (query, response.status_code)
        if NUL in query:
            assert response.status_code == 400, query


def test_a_date_hierarchy_year_of_twenty_digits_is_a_bad_filter(admin_client, seed):
    url = reverse("admin:tracker_development_changelist")
    response = admin_client.get(f"{url}?date__year={HUGE}")
    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"


AUTOCOMPLETES = sorted(
    (model._meta.app_label, model._meta.model_name, field)
    for model, model_admin in admin.site._registry.items()
    for field in model_admin.autocomplete_fields
)


@pytest.mark.parametrize(("app_label", "model_name", "field"), AUTOCOMPLETES)
def test_the_autocomplete_refuses_hostile_terms(admin_client, seed, app_label, model_name, field):
    query = f"app_label={app_label}&model_name={model_name}&field_name={field}"
    assert admin_client.get(f"/admin/autocomplete/?term=x&{query}").status_code == 200
    assert admin_client.get(f"/admin/autocomplete/?term={NUL}&{query}").status_code == 400
    response = admin_client.get(f"/admin/autocomplete/?term={HUGE}&{query}")
    assert response.status_code == 200
    assert response.json()["results"] == []


# Query names every report reads besides its forms' fields.
REPORT_PARAMETERS = {"as_of", "page", "per_page", "sort", "group", "_export"}


@pytest.mark.parametrize("url", REPORTS)
def test_report_pages_refuse_hostile_queries(analyst_client, seed, url):
    url = report_url(url)
    page = analyst_client.get(url)
    fields = set() if page.streaming else set(re.findall(r'name="([^"]+)"', page.content.decode()))
    joiner = "&" if "?" in url else "?"
    for name in sorted((fields | REPORT_PARAMETERS) - {"csrfmiddlewaretoken"}):
        for value in (NUL, HUGE, "9999-12-31", f"-{HUGE}"):
            response = analyst_client.get(f"{url}{joiner}{name}={value}")
            # 404: a page number past the end, as for any other such number.
            assert response.status_code in (200, 400, 404), (name, value, response.status_code)
            if value == NUL:
                assert response.status_code == 400, name


@pytest.mark.django_db
def test_a_nul_in_a_form_or_an_address_is_a_400_but_not_in_an_uploaded_file(client):
    login = reverse("login")
    assert client.post(login, {"username": "a\x00b", "password": "x"}).status_code == 400
    assert client.get("/actors/J%00P/").status_code == 400
    upload = io.BytesIO(b"\x00binary\x00")
    upload.name = "data.xlsx"
    response = client.post(login, {"username": "a", "password": "x", "file": upload})
    assert response.status_code == 200  # the sign-in form again, not a refusal
