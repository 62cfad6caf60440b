#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
    except ImproperlyConfigured as error:
        # The settings name the variable to set (DJANGO_DEBUG, DJANGO_SECRET_KEY, a bad
        # DATABASE_URL...): one line says it better than a traceback through the settings.
        if "--traceback" in sys.argv:
            raise
        sys.exit(f"Cannot run manage.py: {error}")
    except BrokenPipeError:
        # The reader of standard output stopped (`export_developments | head`): stop
        # quietly too. Python flushes standard output once more on the way out and would
        # report the closed pipe then, so what is left goes to /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
