from django.conf import settings
from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.urls import include, path

# Sign-in, sign-out and changing one's password; resetting a forgotten password
# mails a link, so its pages exist only when mail can be sent (DJANGO_EMAIL_URL).
accounts = [
    pattern
    for pattern in auth_urls.urlpatterns
    if settings.TRACKER_SENDS_MAIL
    or not str(getattr(pattern, "name", "")).startswith("password_reset")
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    path("", include("tracker.urls")),
]
