"""Background jobs in the admin: each user follows their own imports and exports
(an administrator everyone's), on a page that refreshes itself until the job is
done, then shows the import's report or the export's download link.

Nobody changes a job here. Retrying one is a write to developments, so it is a
view of the development admin (tracker/admin/views.py), where the admin's write
guard asks for the permission to import.
"""

from __future__ import annotations

from typing import cast

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from tracker import jobs
from tracker.admin_site import WrittenByTheAppOnly, could_be_id
from tracker.models import BackgroundJob, BackgroundJobQuerySet

State = BackgroundJob.State

REFRESH_SECONDS = 2  # how often the page of an unfinished job reloads
# A job queued for longer than this while no worker took it: say how to start one.
NO_WORKER_SECONDS = 30


def status(job: BackgroundJob) -> str:
    """Where a job stands, in one sentence."""
    if jobs.interrupted(job):
        return (
            "Stopped: the worker running it is gone (stopped, killed or restarted). "
            + ("Nothing of the import was written." if job.kind == job.Kind.IMPORT else "")
        ).strip()
    if job.state == State.QUEUED:
        return f"Waiting for a worker since {timezone.localtime(job.created_at):%H:%M:%S}."
    if job.state == State.RUNNING:
        what = "records" if job.kind == job.Kind.IMPORT else "developments"
        phase, processed = jobs.progress(job)
        if not processed:  # starting, or (SQLite's memory) the phase only
            return f"{(phase or 'starting').capitalize()} {job.total:,} {what}…"
        return f"{phase.capitalize()}: {processed:,} of {job.total:,} {what}…"
    if job.state == State.DONE:
        if job.kind == job.Kind.IMPORT:
            return f"Imported. {job.report.get('summary', '')}".strip()
        return f"Written: {job.report.get('records', 0):,} developments."
    return job.error or "Refused: the file has problems (below); nothing was written."


@admin.register(BackgroundJob)
class BackgroundJobAdmin(WrittenByTheAppOnly, admin.ModelAdmin):
    list_display = ("__str__", "kind", "current_status", "created_by", "created_at")
    list_filter = ("kind", "state")
    list_select_related = ("created_by",)
    search_fields = ("name",)

    def get_queryset(self, request):
        jobs_list = cast(BackgroundJobQuerySet, super().get_queryset(request))
        return jobs_list.visible_to(request.user)

    def has_module_permission(self, request):
        return jobs.may_run_jobs(request.user)

    def has_view_permission(self, request, obj=None):
        if not jobs.may_run_jobs(request.user):
            return False
        return obj is None or request.user.is_superuser or obj.created_by_id == request.user.pk

    @admin.display(description="status")
    def current_status(self, obj):
        return status(obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="tracker_backgroundjob_download",
            ),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> BackgroundJob:
        """The job, if this user may follow it; else a 404 (or 403 for readers)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = (
            self.get_queryset(request).select_related("created_by").filter(pk=object_id).first()
            if could_be_id(object_id)
            else None
        )
        if job is None:
            raise Http404("No such job.")
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's page: its progress, refreshed until it is done, then its result."""
        job = self._job(request, object_id)
        stopped = jobs.interrupted(job)
        waiting = job.state in (State.QUEUED, State.RUNNING) and not stopped
        return TemplateResponse(
            request,
            "admin/tracker/backgroundjob/job.html",
            {
                **self.admin_site.each_context(request),
                "title": str(job),
                "opts": self.model._meta,
                "job": job,
                "status": status(job),
                "processed": jobs.progress(job)[1],
                "refresh": REFRESH_SECONDS if waiting else None,
                "can_retry": jobs.can_retry(job),
                "no_worker": job.state == State.QUEUED
                and (timezone.now() - job.created_at).total_seconds() > NO_WORKER_SECONDS,
                "download": job.state == State.DONE and bool(job.file),
                "errors": job.report.get("errors", []),
            },
        )

    def download_view(self, request, object_id):
        """The export's file, to the job's owner (or an administrator) only."""
        job = self._job(request, object_id)
        if job.state != State.DONE or not job.file:
            raise Http404("This job has no file to download.")
        try:
            stream = job.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file was deleted; export again.") from None
        return FileResponse(stream, as_attachment=True, filename=job.name)


if apps.is_installed("django_rq"):  # with REDIS_URL (config/settings.py)
    from django_rq.models import Dashboard

    if admin.site.is_registered(Dashboard):
        admin.site.unregister(Dashboard)
