"""The project's settings, as the test suite runs them.

Tests run with DEBUG off, as production does, so they need a secret key; they
serve plain HTTP (Django's test client and live server), so HTTPS is off; and
static files come from the apps' folders instead of collectstatic's manifest.
Everything else (DATABASE_URL included) comes from config.settings.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("DJANGO_HTTPS", "0")

from config.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True

# A fast hasher: tests create many users; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each thread a test starts (a live server's, an import's) closes its database
# connection when done, so the test databases can be dropped at the end of a run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
