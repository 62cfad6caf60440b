"""Admin imports and exports as background jobs: the request queues a task and
answers with the job's page; the task (run here in this process) imports or
exports; the page shows the progress, then the report or the download.

tests/test_tasks_worker.py runs the real worker, in its own process and killed."""

from __future__ import annotations

import datetime
import io
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import signed_in
from tests.factories import make_development
from tracker import jobs
from tracker.interchange import export_developments
from tracker.models import BackgroundJob, Development, PendingImport
from tracker.roles import EDITORS

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:tracker_development_import")
EXPORT = reverse("admin:tracker_development_export")
State = BackgroundJob.State


def rows_csv(count: int, prefix: str = "bulk") -> str:
    """A file of `count` new developments, each with actors and an evidence link."""
    lines = ["key,date,title,kind,actors,evidence,note"]
    lines += [
        f"{prefix}-{n},2023-01-{n % 28 + 1:02d},Development {prefix} {n},meeting,JP;GB,"
        f"TSU-2:advances:2,Reason {n}."
        for n in range(count)
    ]
    return "\n".join(lines) + "\n"


def preview(client, content: str, name: str = "bulk.csv"):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    response = client.post(IMPORT, {"file": file})
    assert response.status_code == 200
    return response


def confirm(client, response):
    """Confirm a preview as its form does: the upload and the preview's record count."""
    return client.post(
        IMPORT,
        {
            "confirm": "1",
            "pending": response.context["pending"].pk,
            "records": response.context["report"].records,
        },
    )


def page(client, job) -> str:
    response = client.get(job.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


@pytest.fixture
def background(settings, tmp_path):
    """Every import and export runs as a job; export files go to a scratch folder."""
    settings.TRACKER_BACKGROUND_ROWS = 0
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def queued(editor_client, reference, background, django_capture_on_commit_callbacks):
    """An editor's import of 30 developments, confirmed and waiting for a worker."""
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(editor_client, preview(editor_client, rows_csv(30)))
    job = BackgroundJob.objects.get()
    assert response.status_code == 302
    assert response.url == job.get_absolute_url()
    return job


def other_editor(django_user_model):
    user = django_user_model.objects.create_user("edna", password="x-long-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    return signed_in(user)


def a_dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()  # exited and reaped: no process has this id now
    return process.pid


# --- Imports ------------------------------------------------------------------------------


def test_a_large_import_is_queued_and_the_request_answers_with_the_job_page(
    editor_client, editor, queued
):
    assert (queued.kind, queued.state, queued.total) == ("import", State.QUEUED, 30)
    assert (queued.created_by, queued.publish, queued.name) == (editor, False, "bulk.csv")
    assert not Development.objects.exists()  # nothing written in the request
    task = DBTaskResult.objects.get()
    assert task.task_path == "tracker.tasks.run_job"
    assert task.args_kwargs == {"args": [queued.pk], "kwargs": {}}
    assert queued.task_id == str(task.id)
    content = page(editor_client, queued)
    assert "Waiting for a worker" in content
    assert '<meta http-equiv="refresh" content="2">' in content


def test_the_task_imports_the_file_and_the_page_shows_the_report(editor_client, editor, queued):
    jobs.run(queued.pk)
    queued.refresh_from_db()
    assert queued.state == State.DONE
    assert (queued.processed, queued.attempts) == (30, 1)
    assert queued.report["summary"] == "30 records: 30 were created, 0 were updated, 0 unchanged."
    assert queued.pending is None and not PendingImport.objects.exists()
    assert Development.objects.count() == 30
    assert set(Development.objects.values_list("published", "created_by")) == {(False, editor.pk)}
    history = Development.history.filter(key="bulk-0").get()
    assert history.history_change_reason == "Imported in the admin from bulk.csv"
    content = page(editor_client, queued)
    assert "Imported. 30 records: 30 were created" in content
    assert "http-equiv" not in content  # done: no more reloading


def test_a_job_runs_once_however_often_its_task_is_delivered(queued):
    jobs.run(queued.pk)
    jobs.run(queued.pk)  # a second delivery finds it done
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == (State.DONE, 1)
    assert Development.objects.count() == 30


def test_an_administrators_import_is_published(
    reference, background, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirm(admin_client, preview(admin_client, rows_csv(3)))
    job = BackgroundJob.objects.get()
    assert job.publish
    jobs.run(job.pk)
    assert set(Development.objects.values_list("published", flat=True)) == {True}


def test_with_the_immediate_backend_the_task_runs_through_django_tasks(
    editor_client, reference, background, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        confirm(editor_client, preview(editor_client, rows_csv(4)))
    job = BackgroundJob.objects.get()
    assert job.state == State.DONE
    assert job.task_id
    assert Development.objects.count() == 4


def test_below_the_threshold_the_import_runs_in_the_request(editor_client, reference, settings):
    settings.TRACKER_BACKGROUND_ROWS = 30
    response = confirm(editor_client, preview(editor_client, rows_csv(30)))
    assert response.status_code == 302
    assert response.url == reverse("admin:tracker_development_changelist")
    assert Development.objects.count() == 30
    assert not BackgroundJob.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_confirmation_posted_twice_starts_one_job(editor_client, queued):
    again = editor_client.post(
        IMPORT, {"confirm": "1", "pending": queued.pending_id, "records": 30}
    )
    assert again.url == queued.get_absolute_url()
    assert BackgroundJob.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_an_upload_a_job_waits_to_import_does_not_expire(editor_client, queued):
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    PendingImport.objects.update(created_at=two_days_ago)
    editor_client.get(IMPORT)  # where expired uploads are deleted
    assert PendingImport.objects.filter(pk=queued.pending_id).exists()


def test_an_import_refused_because_the_data_changed_lists_why_and_drops_the_upload(
    editor_client, queued
):
    make_development(key="bulk-3", title="Entered meanwhile")
    jobs.run(queued.pk)
    queued.refresh_from_db()
    assert queued.state == State.FAILED
    assert queued.report["errors"] == [
        "line 0, file: the data changed since the preview; preview it again"
    ]
    assert Development.objects.count() == 1  # nothing of the file
    assert not PendingImport.objects.exists()  # a retry could only be refused again
    assert not jobs.can_retry(queued)
    content = page(editor_client, queued)
    assert "the data changed since the preview" in content
    assert "Run it again" not in content


def test_a_job_that_fails_keeps_its_upload_and_runs_again(
    editor_client, queued, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(jobs, "import_developments", broken)
    with pytest.raises(DatabaseError):
        jobs.run(queued.pk)
    queued.refresh_from_db()
    assert (queued.state, queued.error) == (State.FAILED, "DatabaseError: disk I/O error")
    assert PendingImport.objects.filter(pk=queued.pending_id).exists()
    content = page(editor_client, queued)
    assert "DatabaseError: disk I/O error" in content
    assert "Run it again" in content

    monkeypatch.undo()
    retry = reverse("admin:tracker_development_retry_job", args=[queued.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(retry)
    assert response.url == queued.get_absolute_url()
    queued.refresh_from_db()
    assert (queued.state, queued.error) == (State.QUEUED, "")
    assert DBTaskResult.objects.count() == 2  # a task of its own
    jobs.run(queued.pk)
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == (State.DONE, 2)
    assert Development.objects.count() == 30


def test_a_job_whose_worker_process_is_gone_is_stopped_and_can_run_again(editor_client, queued):
    BackgroundJob.objects.filter(pk=queued.pk).update(
        state=State.RUNNING, worker=f"{socket.gethostname()}:{a_dead_pid()}", attempts=1
    )
    queued.refresh_from_db()
    assert jobs.interrupted(queued)
    content = page(editor_client, queued)
    assert "the worker running it is gone" in content
    assert "Nothing of the import was written" in content
    assert "http-equiv" not in content
    assert "Run it again" in content
    editor_client.post(reverse("admin:tracker_development_retry_job", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.state == State.QUEUED


def test_a_running_job_is_not_stopped_while_its_worker_lives(editor_client, queued):
    alive = f"{socket.gethostname()}:{os.getpid()}"
    BackgroundJob.objects.filter(pk=queued.pk).update(state=State.RUNNING, worker=alive)
    queued.refresh_from_db()
    assert not jobs.interrupted(queued)
    response = editor_client.post(
        reverse("admin:tracker_development_retry_job", args=[queued.pk]), follow=True
    )
    assert "cannot be run again: it has not stopped" in response.content.decode()
    assert BackgroundJob.objects.get().state == State.RUNNING


def test_a_worker_on_another_host_is_gone_once_its_heartbeat_stops(queued):
    now = timezone.now()
    for beat, gone in (
        (now - datetime.timedelta(seconds=10), False),
        (now - jobs.STALE_AFTER * 2, True),
    ):
        BackgroundJob.objects.filter(pk=queued.pk).update(
            state=State.RUNNING, worker="elsewhere:1234", heartbeat_at=beat
        )
        queued.refresh_from_db()
        assert jobs.interrupted(queued) is gone


def test_a_job_queued_long_without_a_worker_says_how_to_start_one(editor_client, queued):
    BackgroundJob.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    assert "manage.py db_worker" in page(editor_client, queued)


def test_the_page_counts_the_records_checked_and_written(editor_client, queued):
    BackgroundJob.objects.update(
        state=State.RUNNING, phase="writing", processed=12_000, total=30_000
    )
    queued.refresh_from_db()
    content = page(editor_client, queued)
    assert "Writing: 12,000 of 30,000 records…" in content
    assert '<progress class="job-progress" max="30000" value="12000">' in content


def test_on_sqlite_the_page_reads_the_count_from_the_workers_progress_file(
    editor_client, queued, tmp_path, monkeypatch
):
    """A SQLite file database: the import holds the write lock, so its worker keeps
    the count in a file (tests/test_tasks_worker.py sees the real one)."""
    count = tmp_path / "progress.json"
    count.write_text('{"phase": "writing", "processed": 3000}')
    monkeypatch.setattr(jobs, "progress_file", lambda job_id: count)
    BackgroundJob.objects.update(state=State.RUNNING, phase="checking", total=30_000)
    queued.refresh_from_db()
    assert "Writing: 3,000 of 30,000 records…" in page(editor_client, queued)
    count.write_text("{half-written")
    assert "Checking 30,000 records…" in page(editor_client, queued)


# --- Who sees what ---------------------------------------------------------------------------


def test_only_the_jobs_owner_and_administrators_follow_it(
    queued, editor_client, analyst_client, admin_client, django_user_model, client
):
    urls = [
        queued.get_absolute_url(),
        reverse("admin:tracker_backgroundjob_download", args=[queued.pk]),
    ]
    changelist = reverse("admin:tracker_backgroundjob_changelist")
    edna = other_editor(django_user_model)
    for url in urls:
        assert analyst_client.get(url).status_code == 403
        assert edna.get(url).status_code == 404
        assert client.get(url).status_code == 302  # to sign in
    assert admin_client.get(urls[0]).status_code == 200
    assert editor_client.get(urls[0]).status_code == 200
    assert analyst_client.get(changelist).status_code == 403
    assert "bulk.csv" in editor_client.get(changelist).content.decode()
    assert "bulk.csv" in admin_client.get(changelist).content.decode()
    assert "bulk.csv" not in edna.get(changelist).content.decode()


def test_only_the_jobs_owner_and_administrators_retry_it(
    queued, analyst_client, admin_client, django_user_model
):
    BackgroundJob.objects.update(state=State.FAILED, error="Stopped.")
    retry = reverse("admin:tracker_development_retry_job", args=[queued.pk])
    assert analyst_client.post(retry).status_code == 403
    assert other_editor(django_user_model).post(retry).status_code == 404
    assert analyst_client.get(retry).status_code in (403, 405)
    assert BackgroundJob.objects.get().state == State.FAILED
    assert admin_client.post(retry).status_code == 302
    assert BackgroundJob.objects.get().state == State.QUEUED


@pytest.mark.parametrize("bad", ["abc", "9" * 500, "-1"])
def test_a_job_address_that_names_no_job_is_a_404(editor_client, bad, reference):
    assert editor_client.get(f"/admin/tracker/backgroundjob/{bad}/change/").status_code == 404
    retry = f"/admin/tracker/development/jobs/{bad}/retry/"
    assert editor_client.post(retry).status_code == 404


def test_nobody_adds_changes_or_deletes_a_job_in_the_admin(queued, admin_client):
    assert admin_client.get(reverse("admin:tracker_backgroundjob_add")).status_code == 403
    delete = reverse("admin:tracker_backgroundjob_delete", args=[queued.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert BackgroundJob.objects.exists()


# --- Exports ------------------------------------------------------------------------------


@pytest.fixture
def developments(reference):
    make_development(key="published-one", title="Published")
    make_development(key="draft-one", title="A draft", published=False)


def exported(file_format: str, developments) -> bytes:
    out = io.StringIO()
    export_developments(out, file_format, developments)
    return out.getvalue().encode()


def test_a_small_export_downloads_in_the_request(editor_client, developments):
    response = editor_client.post(EXPORT, {"file_format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="developments-')
    assert response.content == exported("csv", Development.objects.published())
    assert b"draft-one" not in response.content
    assert not BackgroundJob.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_a_large_export_is_a_job_whose_file_only_its_owner_downloads(
    editor_client,
    developments,
    background,
    file_format,
    analyst_client,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(EXPORT, {"file_format": file_format, "include_drafts": "on"})
    job = BackgroundJob.objects.get()
    assert response.url == job.get_absolute_url()
    assert (job.kind, job.state, job.total, job.include_drafts) == ("export", "queued", 2, True)
    jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.report["records"]) == (State.DONE, 2)
    content = page(editor_client, job)
    assert "Written: 2 developments." in content
    download = reverse("admin:tracker_backgroundjob_download", args=[job.pk])
    assert download in content
    response = editor_client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="developments-')
    assert b"".join(response.streaming_content) == exported(file_format, Development.objects.all())
    assert analyst_client.get(download).status_code == 403
    assert other_editor(django_user_model).get(download).status_code == 404


def test_export_files_are_deleted_after_a_week(editor_client, editor, developments, background):
    job = jobs.start_export(editor, "csv", include_drafts=False, records=1)
    jobs.run(job.pk)
    job.refresh_from_db()
    path = Path(job.file.path)
    assert path.exists()
    BackgroundJob.objects.update(finished_at=timezone.now() - datetime.timedelta(days=8))
    jobs.delete_old_exports()
    job.refresh_from_db()
    assert not job.file
    assert not path.exists()
    download = reverse("admin:tracker_backgroundjob_download", args=[job.pk])
    assert editor_client.get(download).status_code == 404


def test_analysts_may_not_export(analyst_client, developments):
    assert analyst_client.get(EXPORT).status_code == 403
    assert analyst_client.post(EXPORT, {"file_format": "csv"}).status_code == 403


# --- Progress while the import's transaction is open --------------------------------------


@contextmanager
def worker_paused_mid_import(monkeypatch) -> Iterator[threading.Event]:
    """The real worker's loop (django-tasks-db's, in a thread) runs the queued job,
    whose import pauses once it has written its first batch of records; yields the
    event set then, and lets the import finish on leaving."""
    from django_tasks_db.management.commands.db_worker import Worker

    written, resume = threading.Event(), threading.Event()
    original = jobs.ProgressWriter.__call__

    def pausing(self, stage, count):
        original(self, stage, count)
        if stage == "written" and not written.is_set():
            written.set()
            resume.wait(timeout=120)

    monkeypatch.setattr(jobs.ProgressWriter, "__call__", pausing)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0.05)
    worker = Worker(
        queue_names=["default"],
        interval=0.05,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run():
        try:
            worker.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert written.wait(timeout=120), "the import wrote nothing"
        yield written
    finally:
        resume.set()
        thread.join(timeout=300)


def wait_for_phase(job: BackgroundJob, phase: str) -> None:
    """Until the job's row, written by the worker's progress thread, shows the phase."""
    deadline = timezone.now() + datetime.timedelta(seconds=30)
    while timezone.now() < deadline:
        job.refresh_from_db()
        if job.phase == phase:
            return
    raise AssertionError(f"the job stayed at {job.phase!r}")


@pytest.mark.django_db(transaction=True)
def test_the_job_page_shows_progress_while_the_import_is_still_open(
    reference, background, django_user_model, monkeypatch
):
    """While the worker's import is paused half-way, its transaction open, the job's
    page (another connection) shows how far it got, and the developments are not
    there yet; then it finishes."""
    editor = django_user_model.objects.create_user(
        "eddie", password="x-long-pass-1", is_staff=True
    )
    editor.groups.add(Group.objects.get(name=EDITORS))
    client = signed_in(editor)
    confirm(client, preview(client, rows_csv(2500)))
    job = BackgroundJob.objects.get()

    with worker_paused_mid_import(monkeypatch):
        if connection.vendor == "postgresql":
            wait_for_phase(job, "writing")
            assert (job.state, job.processed) == (State.RUNNING, 1000)
            assert "Writing: 1,000 of 2,500 records…" in page(client, job)
            assert not Development.objects.exists()  # not committed yet
        else:  # SQLite: one writer at a time, and the import holds it: the phase only
            job.refresh_from_db()
            assert (job.state, job.phase) == (State.RUNNING, "checking and writing")
            assert "Checking and writing 2,500 records…" in page(client, job)
            # (The test database, in shared memory, locks the tables the import wrote
            # until it commits; test_tasks_worker.py reads a file database meanwhile.)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert Development.objects.count() == 2500
    assert "Imported. 2500 records: 2500 were created" in page(client, job)
