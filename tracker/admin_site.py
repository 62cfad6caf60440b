"""Django's admin site, with change lists that refuse a date past the calendar.

Django's date hierarchy turns `?date__year=…&date__month=…&date__day=…` into a
range with `datetime(year, month, day)` and catches only the ValueError of a day
that does not exist. A year of twenty digits overflows first (OverflowError), and
the range of year 9999 would end in year 10000 (ValueError, outside the catch):
both were server errors, on every list with a date hierarchy, django-axes' too.
Here they are what any other bad filter is, `IncorrectLookupParameters`, which
the admin answers with the list's "?e=1" page.

Every ModelAdmin registered, the tracker's and other apps', gets the checked
change list: `AdminConfig` below takes the place of "django.contrib.admin" in
INSTALLED_APPS, as Django's "Overriding the default admin site" describes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

if TYPE_CHECKING:
    # To the type checker an admin mixin is the class it is mixed into (a ModelAdmin,
    # or for mixins of inlines too, what both share); at run time it stays a plain
    # class, so each admin's method resolution order is what its bases say.
    ModelAdminMixin = admin.ModelAdmin
    BaseModelAdminMixin = BaseModelAdmin
else:
    ModelAdminMixin = BaseModelAdminMixin = object


class DateCheckedChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:  # a date Python's calendar cannot hold
            raise IncorrectLookupParameters(exc) from exc


LARGEST_ID = 2**63 - 1


def could_be_id(value) -> bool:
    """Whether a posted value could be a row's id (ASCII digits within 64 bits)."""
    text = str(value)
    # Short, too: Django itself int()s the text, leading zeros and all, and int()
    # refuses more than 4,300 digits (a valid id has at most twenty).
    if not (text.isascii() and text.isdigit()) or len(text) > 64:
        return False
    # Compare lengths first: int() refuses strings of more than 4,300 digits.
    digits = text.lstrip("0") or "0"
    return len(digits) <= len(str(LARGEST_ID)) and int(digits) <= LARGEST_ID


class DateCheckedChangeListMixin(ModelAdminMixin):
    """A ModelAdmin whose list answers a date past the calendar as a bad filter, and
    whose actions refuse selected ids that cannot be rows (`x`, `1x`) instead of
    handing them to the database."""

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        return DateCheckedChangeList if changelist is ChangeList else changelist

    def response_action(self, request, queryset, *args, **kwargs):
        # *args, **kwargs: Django 6 adds `action_location`; 5.2 passes nothing more.
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if not all(could_be_id(value) for value in selected):
            self.message_user(request, "Those are not items of this list.", messages.WARNING)
            return None
        return super().response_action(request, queryset, *args, **kwargs)


class WrittenByTheAppOnly(ModelAdminMixin):
    """A ModelAdmin of rows the app writes itself (corrections, background jobs):
    read in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, DateCheckedChangeListMixin):
            admin_class = type(
                admin_class.__name__,
                (DateCheckedChangeListMixin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)


class AdminConfig(DjangoAdminConfig):
    default_site = "tracker.admin_site.AdminSite"
