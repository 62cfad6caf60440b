from django.conf import settings
from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.urls import include, path

from tracker.views import favicon

# Sign-in, sign-out and changing one's password; resetting a forgotten password
# mails a link, so its pages exist only when mail can be sent (DJANGO_EMAIL_URL).
accounts = [
    pattern
    for pattern in auth_urls.urlpatterns
    if settings.TRACKER_SENDS_MAIL
    or not str(getattr(pattern, "name", "")).startswith("password_reset")
]

urlpatterns = [
    path("favicon.ico", favicon),  # for pages that name no icon: the admin's
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    # The read API (tracker/api/): /api/v1/, /api/schema/, /api/docs/.
    path("api/", include("tracker.api.urls")),
    path("", include("tracker.urls")),
]

# A page that is not there: what a reader can do, and why when the tracker knows
# (a page past the end of a table says how many pages there are).
handler404 = "tracker.views.not_found"
