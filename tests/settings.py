"""The project's settings, as the test suite runs them.

Tests run with DEBUG off, as production does, so they need a secret key; this is
the only difference. Everything else (DATABASE_URL included) comes from
config.settings and the environment.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")

from config.settings import *  # noqa: F403
