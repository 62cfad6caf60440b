"""Who may read the API: whoever may read the reports (tracker/views.py `report`)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from tracker.roles import can_read_reports


class ReadsReports(BasePermission):
    """Anyone when TRACKER_PUBLIC_REPORTS is on; otherwise a user (signed in, or by
    token) who may read the reports. Reading only: nobody writes through the API."""

    message = "The API is for analysts, editors and administrators."

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        if settings.TRACKER_PUBLIC_REPORTS:
            return True
        return bool(request.user and request.user.is_authenticated) and can_read_reports(
            request.user
        )
