"""Autocomplete widgets that leave out posted ids which cannot be rows and name their
boxes for screen readers, and the admin mixin that puts them on autocomplete fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)

from tracker.admin_site import BaseModelAdminMixin, could_be_id

if TYPE_CHECKING:
    _AutocompleteWidget = AutocompleteMixin
else:
    _AutocompleteWidget = object


class SafeAutocomplete(_AutocompleteWidget):
    """Django's autocomplete widgets look up the posted ids to redraw a refused
    form; an id that cannot be a row (':' or 2**64) would make that an error page.
    Leave such ids out: the field's own error already says the choice is invalid."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if could_be_id(v)], attr)

    @property
    def media(self):
        # Named after autocomplete.js, so that the merged media load it after that file,
        # which draws the boxes this names.
        after = forms.Media(js=["admin/js/autocomplete.js", "tracker/autocomplete-names.js"])
        return super().media + after


class SafeAutocompleteSelect(SafeAutocomplete, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(SafeAutocomplete, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteFields(BaseModelAdminMixin):
    """For ModelAdmins and inlines: autocomplete fields use the safe widget."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
