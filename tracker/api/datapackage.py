"""/api/v1/datapackage.zip: the open data as one Frictionless Data Package
(tracker/datapackage.py), for the reports' readers: signed in, by token, or anyone
when TRACKER_PUBLIC_REPORTS is on (permissions.py, as every API answer).

The zip is written as it is sent: each table is read a chunk at a time and
compressed as it comes, so the first bytes leave at once and memory stays flat
however large the tables. It is left out of the OpenAPI schema, which describes
JSON answers only (tests/test_api_schema.py checks every listed answer against it).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS

from tracker import datapackage
from tracker.api.views import RefusesWrites


@extend_schema(exclude=True)
class DataPackageDownload(RefusesWrites):
    """The package as a zip: a CSV per table and datapackage.json."""

    def get(self, request):
        return self._headed(
            StreamingHttpResponse(datapackage.zip_chunks(), content_type="application/zip")
        )

    def head(self, request):
        # The headers alone: a server may read a streamed body through even for HEAD.
        return self._headed(HttpResponse(content_type="application/zip"))

    def _headed(self, response):
        day = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="{datapackage.NAME}-{day}.zip"'
        if settings.TRACKER_PUBLIC_REPORTS:
            patch_cache_control(response, no_cache=True)
        else:
            # What only the signed-in may read, no cache keeps (as the reports' downloads).
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response

    def handle_exception(self, exc):
        # A person following the link signed out is sent to sign in, as on the report
        # pages; a program without a token is answered 401.
        if (
            isinstance(exc, NotAuthenticated)
            and self.request.method in SAFE_METHODS
            and "text/html" in self.request.headers.get("Accept", "")
        ):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
