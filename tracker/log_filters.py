"""Filters for the log the production settings write to standard error."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Keep a request refused with 4xx (a 403 for a reader's write, a 404) to one line.

    Django logs every PermissionDenied with its traceback; a sweep of refused
    writes would bury the tracebacks of real server errors, which keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = record.exc_text = None
        return True
