"""Snapshots in the admin: editors take them by title; nobody changes one."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from tracker import snapshots
from tracker.models import Snapshot


class TakeSnapshotForm(forms.ModelForm):
    class Meta:
        model = Snapshot
        fields = ("title",)
        help_texts = {
            "title": "e.g. '2026 Q4 review'. The dashboard's figures and every counted "
            "evidence link are frozen as they stand now, under the current methodology."
        }


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("title", "taken_at", "taken_by", "methodology", "page")
    search_fields = ("title",)
    date_hierarchy = "taken_at"
    readonly_fields = ("title", "slug", "taken_at", "taken_by", "methodology", "page", "counts")
    fields = readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TakeSnapshotForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("title",) if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Take the snapshot (figures and links are read here, not from the form)."""
        taken = snapshots.take(form.cleaned_data["title"], request.user)
        obj.pk, obj.slug = taken.pk, taken.slug  # for the admin's message and redirect

    def has_change_permission(self, request, obj=None):
        return False  # frozen: the change page shows it, read-only

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # withdrawing one is an administrator's call

    @admin.display(description="Page")
    def page(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    @admin.display(description="What it holds")
    def counts(self, obj):
        return f"{len(obj.figures)} recommendations, {len(obj.links)} evidence links"
