"""Requests counted per user and, unsigned, per address, in Django's cache.

The rates are read at each request from settings (TRACKER_API_USER_RATE and
TRACKER_API_ANON_RATE), not once at import as REST framework's throttles do. As
for report figures (tracker/caching.py), the cache only guards: when Redis does
not answer, requests go through, with a warning in the log, rather than fail.
"""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from tracker.caching import CACHE_ERRORS

log = logging.getLogger(__name__)


class CacheGuarded:
    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except CACHE_ERRORS as exc:
            log.warning("Cache unavailable, API request not counted: %s", exc)
            return True


class UserThrottle(CacheGuarded, UserRateThrottle):
    """Signed-in readers and tokens: TRACKER_API_USER_RATE per user."""

    rate_setting = "TRACKER_API_USER_RATE"


class AnonymousThrottle(CacheGuarded, AnonRateThrottle):
    """Unsigned readers (TRACKER_PUBLIC_REPORTS): TRACKER_API_ANON_RATE per address."""

    rate_setting = "TRACKER_API_ANON_RATE"
