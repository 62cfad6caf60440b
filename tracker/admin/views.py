"""The development admin's own pages: import a file (upload, preview, confirm)
and restore deleted developments with their links."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from tracker.admin.forms import ImportUploadForm
from tracker.admin_site import ModelAdminMixin, could_be_id
from tracker.audit import RestoreError, deleted_developments, restore_development
from tracker.interchange import ImportFileError, import_developments
from tracker.models import PendingImport


class ImportAndRestoreViews(ModelAdminMixin):
    """For DevelopmentAdmin: the import page and the deleted developments page,
    their URLs, and the change list's link to the import."""

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tracker_development_import",
            ),
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name="tracker_development_deleted",
            ),
            *super().get_urls(),
        ]

    def deleted_view(self, request):
        """Deleted developments, each with a button that restores it and its links."""
        if not (self.has_add_permission(request) and self.has_view_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            try:
                history_id = request.POST.get("history_id", "")
                if not could_be_id(history_id):
                    raise RestoreError("There is no such deleted development.")
                development = restore_development(
                    int(history_id), request.user, publish=request.user.is_superuser
                )
            except RestoreError as error:
                messages.error(request, str(error) or "There is no such deleted development.")
            else:
                self.message_user(
                    request,
                    f"Restored “{development.title}” with its links"
                    + ("." if development.published else ", as a draft waiting for review."),
                )
                return redirect("admin:tracker_development_change", development.pk)
        return TemplateResponse(
            request,
            "admin/tracker/development/deleted.html",
            {
                **self.admin_site.each_context(request),
                "title": "Deleted developments",
                "opts": self.model._meta,
                "records": deleted_developments()[:200],
            },
        )

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a file, see what it would do, then confirm: one import, previewed."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Import developments",
            "opts": self.model._meta,
        }
        PendingImport.objects.expired().delete()
        if request.method == "POST" and "confirm" in request.POST:
            pending_id = request.POST.get("pending", "")
            pending = (
                PendingImport.objects.filter(pk=pending_id, created_by=request.user).first()
                if could_be_id(pending_id)
                else None
            )
            if pending is None:
                messages.error(
                    request,
                    "This upload is no longer waiting: it was imported, or it expired after a "
                    "day. Upload the file again.",
                )
                return redirect("admin:tracker_development_import")
            report = import_developments(
                pending.open(),
                pending.file_format,
                created_by=request.user,
                expect_fingerprint=pending.fingerprint,
                reason=f"Imported in the admin from {pending.name}",
                publish=request.user.is_superuser,
            )
            if report.ok:
                pending.delete()
                self.message_user(request, f"Imported {pending.name}: {report.summary()}")
                return redirect("admin:tracker_development_changelist")
            # The data changed since the preview: show the file's effect as it is now.
            pending.delete()
            messages.warning(request, "The data changed since the preview; check it again.")
            return self._preview(
                request, context, pending.name, pending.file_format, pending.open()
            )
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            # The upload as Django keeps it (a temporary file when large), not in memory.
            return self._preview(
                request, context, upload.name, form.cleaned_data["file_format"], upload
            )
        return TemplateResponse(
            request, "admin/tracker/development/import.html", {**context, "form": form}
        )

    def _preview(self, request, context, name, file_format, stream):
        """Check the file (a stream read twice) and keep it for the confirmation.

        Read from its temporary file, the check holds a record at a time, and the
        file is kept compressed (PendingImport.keep): a 50 MB upload's preview, which
        took a worker to 225 MB, now stays near 100 MB."""
        form = ImportUploadForm()
        try:
            report = import_developments(
                stream,
                file_format,
                dry_run=True,
                created_by=request.user,
                publish=request.user.is_superuser,
            )
        except ImportFileError as error:
            return TemplateResponse(
                request,
                "admin/tracker/development/import.html",
                {**context, "form": form, "file_error": f"{name}: {error}"},
            )
        pending = None
        if report.ok:
            pending = PendingImport(
                name=name,
                file_format=file_format,
                fingerprint=report.fingerprint,
                created_by=request.user,
            )
            pending.keep(stream)
            pending.save()
        return TemplateResponse(
            request,
            "admin/tracker/development/import.html",
            {**context, "form": form, "report": report, "pending": pending, "name": name},
        )
