"""The read API under /api/v1/: the tracker's published records and figures as JSON.

Read-only, for the reports' readers (`permissions.py`); drafts never appear, as in
the reports; each answer carries an ETag and a Last-Modified taken from the data
version (tracker/caching.py), so an unchanged list answers 304 (`views.py`). The
OpenAPI schema is at /api/schema/ and its docs page at /api/docs/ (`urls.py`).
"""
