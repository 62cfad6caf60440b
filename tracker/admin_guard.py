"""The admin's one rule for writes: no write without a write permission.

Django's own admin views check their permissions, but a view a library adds
(django-simple-history's revert page saved a development for anyone who could
view it) or one written later may not. So every request to an admin URL with a
method that can write (anything but GET, HEAD and OPTIONS) is checked here,
before its view runs, whatever the view is:

- a model's pages (the add, change, delete, history and revert pages, the list's
  actions, any URL its ModelAdmin adds): the user needs a permission to add,
  change or delete that model, as its ModelAdmin judges it;
- the admin's own pages: only signing in and out and changing one's own password
  take a write; everything else (the index, the autocomplete) is refused;
- PUT, PATCH and DELETE are refused everywhere: the admin writes by form (POST)
  only, and its views would answer anything else as a read.

A refusal is Django's 403 page, and nothing is written.
"""

from __future__ import annotations

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The admin pages that write only the user's own session or password.
OWN_ACCOUNT = frozenset({"login", "logout", "password_change"})


def model_admin_of(view) -> ModelAdmin | None:
    """The ModelAdmin a resolved admin view belongs to, through its wrappers."""
    seen = 0
    while view is not None and seen < 20:
        found = getattr(view, "model_admin", None) or getattr(view, "__self__", None)
        if isinstance(found, ModelAdmin):
            return found
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return None


def may_write(request, model_admin: ModelAdmin) -> bool:
    """Whether the user may write to the model at all (add, change or delete)."""
    return (
        model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    )


class AdminWriteGuardMiddleware:
    """Refuses, before the view runs, a write to an admin URL by someone who may not write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        match = request.resolver_match
        if request.method in READ_METHODS or match is None or "admin" not in match.namespaces:
            return None
        if request.method != "POST":
            raise PermissionDenied("The admin takes changes by form only.")
        model_admin = model_admin_of(view)
        if model_admin is None:
            if match.url_name in OWN_ACCOUNT:
                return None
            raise PermissionDenied("This admin page takes no changes.")
        if not may_write(request, model_admin):
            raise PermissionDenied("You may read these records but not change them.")
        return None
