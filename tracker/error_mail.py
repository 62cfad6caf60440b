"""What an error report may show of the settings: no password, not even in a URL.

Django's error mail (DJANGO_ADMINS) lists every setting, hiding those whose name
suggests a secret (PASSWORD, SECRET_KEY, ...). The URLs the settings are read from
(DATABASE_URL, REDIS_URL, the cache's LOCATION) carry their password inside the
value, under a name that suggests nothing; here that part is hidden too.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host: the password, up to the last "@" before the host.
URL_PASSWORD = re.compile(r"(?P<start>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^\s/]+@", re.IGNORECASE)


class PasswordHidingFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)  # calls this again for nested values
        if type(value) is str:  # not a lazy object that only looks like one
            return URL_PASSWORD.sub(rf"\g<start>{self.cleansed_substitute}@", value)
        return value
