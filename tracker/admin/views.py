"""The development admin's own pages: import a file (upload, preview, confirm),
export every development, and restore deleted developments with their links.

Imports and exports of more than TRACKER_BACKGROUND_ROWS records run as background
jobs (tracker/jobs.py): the request answers at once with the job's page."""

from __future__ import annotations

import csv
import io
import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from tracker import jobs
from tracker.admin.drafts import reviewers_text
from tracker.admin.forms import ImportUploadForm
from tracker.admin_site import ModelAdminMixin, could_be_id
from tracker.audit import RestoreError, deleted_developments, restore_development
from tracker.interchange import (
    COLUMNS,
    ImportFileError,
    export_developments,
    import_developments,
)
from tracker.models import (
    BackgroundJob,
    Development,
    DevelopmentKind,
    PendingImport,
    Recommendation,
)

# The README's section on the import format (up to the next section of its level) is
# the description the import page offers: one text, kept beside the code it describes.
README = settings.BASE_DIR / "README.md"
FORMAT_SECTION = re.compile(
    r"^## Importing and exporting developments\n.*?(?=^## )", re.MULTILINE | re.DOTALL
)


def format_description() -> str | None:
    """The README's description of the import format, or None without a README."""
    try:
        text = README.read_text(encoding="utf-8")
    except OSError:
        return None
    found = FORMAT_SECTION.search(text)
    return found.group(0).strip() + "\n" if found else None


def drafts_message(created: int, user) -> str:
    """What an editor's import tells them of the drafts it made, and who may publish them."""
    them = (
        "The new development is a draft"
        if created == 1
        else f"The {created} new developments are drafts"
    )
    it = "it" if created == 1 else "them"
    return (
        f"{them} by {user.get_username()}: reports leave {it} out until someone else "
        f"publishes {it}. Who may: {reviewers_text(Development(drafted_by=user))}."
    )


def template_rows() -> list[dict[str, str]]:
    """Two example records in the import format, a chain's two stages, using this
    tracker's own kinds and first recommendation so that they pass the checks."""
    kinds = dict(DevelopmentKind.objects.values_list("code", "code"))
    kind = kinds.get("agreement") or next(iter(sorted(kinds)), "other")
    recommendation = (
        Recommendation.objects.order_by("framework__year", "framework__code", "ordinal")
        .values_list("code", flat=True)
        .first()
    )
    evidence = f"{recommendation}:advances:3:high" if recommendation else ""
    earlier = f"{recommendation}:advances:2" if recommendation else ""
    base = dict.fromkeys(COLUMNS, "")
    return [
        {
            **base,
            "key": "example-raa-signed",
            "date": "2023-01-11",
            "title": "Example: Japan and the UK sign a Reciprocal Access Agreement",
            "summary": "Replace these rows with your own; keep the header.",
            "kind": kind,
            "status": "occurred",
            "actors": "JP;GB",
            "location": "London",
            "source_title": "Japan-UK Reciprocal Access Agreement signed",
            "source_publisher": "Ministry of Foreign Affairs of Japan",
            "source_date": "2023-01-11",
            "source_url": "https://www.mofa.go.jp/",
            "source_reliability": "primary",
            "source_quote": "The two leaders signed the agreement.",
            "source_locator": "paragraph 1",
            "evidence": earlier,
            "note": "Signed; not yet ratified." if earlier else "",
        },
        {
            **base,
            "key": "example-raa-in-force",
            "date": "2023-10",
            "title": "Example: the Reciprocal Access Agreement enters into force",
            "kind": kind,
            "status": "occurred",
            "follows": "example-raa-signed",
            "follows_as": "in_force",
            "actors": "JP;GB",
            "evidence": evidence,
            "note": "Forces may now exercise in each other's country." if evidence else "",
        },
    ]


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label="Format",
        choices=[("csv", "CSV (one citation per development)"), ("json", "JSON (everything)")],
        widget=forms.RadioSelect,
        initial="csv",
    )
    include_drafts = forms.BooleanField(
        label="Include drafts",
        required=False,
        help_text="Otherwise published developments only, as reports and "
        "`manage.py export_developments` give them.",
    )


class ImportAndRestoreViews(ModelAdminMixin):
    """For DevelopmentAdmin: the import and export pages, the retry of a background
    job, the deleted developments page, their URLs, and the change list's links."""

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tracker_development_import",
            ),
            path(
                "import/template.csv",
                self.admin_site.admin_view(require_safe(self.import_template_view)),
                name="tracker_development_import_template",
            ),
            path(
                "import/format.md",
                self.admin_site.admin_view(require_safe(self.import_format_view)),
                name="tracker_development_import_format",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="tracker_development_export",
            ),
            path(
                "jobs/<path:object_id>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_job_view)),
                name="tracker_development_retry_job",
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
            "background_rows": settings.TRACKER_BACKGROUND_ROWS,
        }
        # An upload a job is importing, or waits to, stays until the job is done.
        PendingImport.objects.expired().exclude(
            jobs__state__in=[BackgroundJob.State.QUEUED, BackgroundJob.State.RUNNING]
        ).delete()
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
            started = pending.jobs.first()
            if started is not None:  # confirmed twice: one import
                return redirect(started)
            # The preview's count of records; a client that leaves it out imports here.
            records = request.POST.get("records", "")
            if could_be_id(records) and jobs.runs_in_background(int(records)):
                job = jobs.start_import(pending, request.user, int(records))
                self.message_user(
                    request, f"{pending.name} is imported in the background; this page follows it."
                )
                return redirect(job)
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
                if report.created and not request.user.is_superuser:
                    self.message_user(
                        request, drafts_message(report.created, request.user), messages.WARNING
                    )
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

    def import_template_view(self, request):
        """A CSV to fill in: the header with every column, and two example rows."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(template_rows())
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="developments-template.csv"'
        return response

    def import_format_view(self, request):
        """The import format's description (CSV and JSON), as the README gives it."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        text = format_description()
        if text is None:
            raise Http404("The format's description is in README.md, which is not installed.")
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="import-format.md"'
        return response

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

    def export_view(self, request):
        """Every development in the import format; a large export is a background job
        whose page offers the file once it is written."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            file_format = form.cleaned_data["file_format"]
            include_drafts = form.cleaned_data["include_drafts"]
            developments = (
                Development.objects.all() if include_drafts else Development.objects.published()
            )
            records = developments.count()
            if jobs.runs_in_background(records):
                job = jobs.start_export(request.user, file_format, include_drafts, records)
                self.message_user(
                    request, "The export is written in the background; this page follows it."
                )
                return redirect(job)
            out = io.StringIO()
            export_developments(out, file_format, developments)
            response = HttpResponse(
                out.getvalue(),
                content_type="text/csv; charset=utf-8"
                if file_format == "csv"
                else "application/json",
            )
            name = f"developments-{timezone.localdate():%Y-%m-%d}.{file_format}"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return TemplateResponse(
            request,
            "admin/tracker/development/export.html",
            {
                **self.admin_site.each_context(request),
                "title": "Export developments",
                "opts": self.model._meta,
                "form": form,
                "background_rows": settings.TRACKER_BACKGROUND_ROWS,
            },
        )

    def retry_job_view(self, request, object_id):
        """Run a failed or interrupted import or export again (its owner, or an
        administrator)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = (
            BackgroundJob.objects.visible_to(request.user).filter(pk=object_id).first()
            if could_be_id(object_id)
            else None
        )
        if job is None:
            raise Http404("No such job.")
        if jobs.retry(job):
            self.message_user(request, f"{job} is queued again.")
        else:
            why = {
                BackgroundJob.State.DONE: "it is done.",
                BackgroundJob.State.FAILED: "its upload is no longer kept; upload it again.",
            }.get(job.state, "it has not stopped.")
            messages.warning(request, f"{job} cannot be run again: {why}")
        return redirect(job)
