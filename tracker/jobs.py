"""Background jobs: admin imports and exports run by a worker process.

The admin creates a BackgroundJob and hands it to the task backend (`start_import`,
`start_export`); a worker (`manage.py db_worker`, or `rqworker` with Redis) runs
`tracker.tasks.run_job`, which calls `run()` here. Below TRACKER_BACKGROUND_ROWS
records the admin imports and exports within the request, as before.

**All or nothing.** An import's result is written in the import's own transaction:
the job says "done" exactly when the developments are in. A worker killed mid-way
takes its transaction with it (the database rolls it back), and the job, still
"running", is seen to be `interrupted()`: its process is gone. `retry()` queues it
again from the upload it kept.

**Progress.** The import reports its progress to a callback (every CHUNK_SIZE
records, checked then written). A thread of the worker writes the latest count to
the job's row, with a heartbeat, on a database connection of its own, so the admin
sees it while the import's transaction is open (PostgreSQL). SQLite lets one
connection write at a time, and the import holds that lock from start to finish
(BEGIN IMMEDIATE, below), so there the thread writes the count to a small file
instead (`progress_file`), which the job's page reads: SQLite's web server and
worker share one machine. (The test database, in memory, has no such file: its jobs
show their phase only.)
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, cast

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from tracker.interchange import ImportReport, export_developments, import_developments
from tracker.models import CHUNK_SIZE, BackgroundJob, Development, PendingImport

logger = logging.getLogger(__name__)

Kind, State = BackgroundJob.Kind, BackgroundJob.State

PROGRESS_SECONDS = 1.0  # how often a running job's row gets its count and heartbeat
# A worker on another host that has written no heartbeat for this long is gone.
STALE_AFTER = datetime.timedelta(minutes=5)
EXPORT_LIFETIME = datetime.timedelta(days=7)  # export files are deleted after this

# The import's and export's stages, as the job page names them.
PHASES = {"validated": "checking", "written": "writing", "exported": "exporting"}


def runs_in_background(records: int) -> bool:
    """Whether an admin import or export of this many records is a background job."""
    return records > settings.TRACKER_BACKGROUND_ROWS


def may_run_jobs(user) -> bool:
    """Who may import and export in the admin, and so follow jobs: editors and
    administrators (those who may add and change developments)."""
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perms(["tracker.add_development", "tracker.change_development"])
    )


# --- Starting, retrying ------------------------------------------------------------------


def start_import(pending: PendingImport, user, records: int) -> BackgroundJob:
    """Queue the import of a previewed upload; an administrator's goes live at once."""
    job = BackgroundJob.objects.create(
        kind=Kind.IMPORT,
        name=pending.name,
        file_format=pending.file_format,
        created_by=user,
        pending=pending,
        publish=user.is_superuser,
        total=records,
    )
    _enqueue(job)
    return job


def start_export(user, file_format: str, include_drafts: bool, records: int) -> BackgroundJob:
    """Queue an export of every development (published ones only, unless include_drafts)."""
    delete_old_exports()
    job = BackgroundJob.objects.create(
        kind=Kind.EXPORT,
        name=f"developments-{timezone.localdate():%Y-%m-%d}.{file_format}",
        file_format=file_format,
        created_by=user,
        include_drafts=include_drafts,
        total=records,
    )
    _enqueue(job)
    return job


def _enqueue(job: BackgroundJob) -> None:
    """Hand the job to the task backend once its row is committed, where a worker on
    another connection can find it."""

    def send() -> None:
        from tracker.tasks import run_job  # tracker.tasks imports this module

        result = run_job.enqueue(job.pk)
        BackgroundJob.objects.filter(pk=job.pk).update(task_id=result.id)

    transaction.on_commit(send)


def interrupted(job: BackgroundJob) -> bool:
    """Whether a running job's worker is gone (killed, crashed, restarted), and with
    it the job's transaction: on this host, its process no longer exists; on another,
    it has written no heartbeat for STALE_AFTER."""
    if job.state != State.RUNNING:
        return False
    host, _, pid = job.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _process_exists(int(pid))
    return job.heartbeat_at is not None and timezone.now() - job.heartbeat_at > STALE_AFTER


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process is there
    except ProcessLookupError:
        return False
    except PermissionError:  # there, under another user
        return True
    return True


def can_retry(job: BackgroundJob) -> bool:
    """A failed or interrupted job can run again: an export always, an import while
    its upload is kept (until it is imported, or for a day)."""
    if job.state != State.FAILED and not interrupted(job):
        return False
    return job.kind == Kind.EXPORT or job.pending_id is not None


def retry(job: BackgroundJob) -> bool:
    """Queue a failed or interrupted job again; False when it cannot be (any more)."""
    if not can_retry(job):
        return False
    queued = BackgroundJob.objects.filter(
        pk=job.pk, state=job.state, attempts=job.attempts
    ).update(
        state=State.QUEUED,
        phase="",
        processed=0,
        error="",
        report={},
        worker="",
        heartbeat_at=None,
        started_at=None,
        finished_at=None,
    )
    if queued:  # else another request retried it first
        _enqueue(job)
    return bool(queued)


def delete_old_exports() -> None:
    """Delete the files of exports finished more than EXPORT_LIFETIME ago."""
    old = BackgroundJob.objects.filter(
        kind=Kind.EXPORT, finished_at__lt=timezone.now() - EXPORT_LIFETIME
    ).exclude(file="")
    for job in old:
        job.file.delete(save=False)
        BackgroundJob.objects.filter(pk=job.pk).update(file="")


# --- Running (in the worker) -----------------------------------------------------------


def run(job_id: int) -> None:
    """Run a queued job: the task's body. A job that is not queued (already run, or
    taken by another worker) is left alone."""
    job = _claim(job_id)
    if job is None:
        logger.info("Background job %s is not waiting to run; nothing to do.", job_id)
        return
    try:
        if job.kind == Kind.IMPORT:
            _run_import(job)
        else:
            _run_export(job)
    except Exception as error:
        try:
            _update(job, state=State.FAILED, error=f"{type(error).__name__}: {error}", phase="")
        except DatabaseError:  # the database itself is what failed
            logger.exception("Could not record that background job %s failed", job.pk)
        raise  # recorded with its traceback by the task backend too


def _claim(job_id: int) -> BackgroundJob | None:
    now = timezone.now()
    claimed = BackgroundJob.objects.filter(pk=job_id, state=State.QUEUED).update(
        state=State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    if not claimed:
        return None
    return BackgroundJob.objects.select_related("pending", "created_by").get(pk=job_id)


def _update(job: BackgroundJob, **fields) -> None:
    if fields.get("state") in (State.DONE, State.FAILED):
        fields.setdefault("finished_at", timezone.now())
    BackgroundJob.objects.filter(pk=job.pk).update(**fields)


def _run_import(job: BackgroundJob) -> None:
    pending = job.pending
    if pending is None:
        _update(
            job,
            state=State.FAILED,
            error="The upload is no longer kept (it expired after a day): upload it again.",
        )
        return
    # SQLite: the import holds the only write lock; the count goes to a file, if any.
    sqlite = connection.vendor == "sqlite"
    to_file = progress_file(job.pk) if sqlite else None
    _update(job, phase="checking and writing" if sqlite and to_file is None else "checking")
    progress = ProgressWriter(job, threaded=not sqlite or to_file is not None, to_file=to_file)
    with _import_transaction():
        with progress:
            report = import_developments(
                pending.open(),
                pending.file_format,
                created_by=job.created_by,
                progress=progress,
                expect_fingerprint=pending.fingerprint,
                reason=f"Imported in the admin from {pending.name}",
                publish=job.publish,
            )
        # In the import's transaction: "done" commits with the developments.
        _update(
            job,
            state=State.DONE if report.ok else State.FAILED,
            phase="",
            processed=report.records,
            report=report_data(report),
        )
        # Imported, or refused for good (the data changed since the preview): a retry
        # could not do better, so the upload goes.
        pending.delete()


def report_data(report: ImportReport) -> dict:
    """An import's report as the job keeps it (JSON)."""
    return {
        "summary": report.summary(),
        "records": report.records,
        "created": report.created,
        "updated": report.updated,
        "proposed": report.proposed,
        "unchanged": report.unchanged,
        "errors": [str(problem) for problem in report.errors],
    }


@contextmanager
def _import_transaction() -> Iterator[None]:
    """The transaction an import and its job's result share.

    On SQLite it begins IMMEDIATE, taking the database's one write lock at once: a
    transaction that read first (the import's check) and wrote later would fail
    outright if another connection wrote in between (WAL's "database is locked")."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    mode = getattr(connection, "transaction_mode", None)
    # Read by Django's SQLite backend when it begins a transaction (as django-tasks-db's
    # worker does to claim tasks).
    setattr(connection, "transaction_mode", "IMMEDIATE")  # noqa: B010
    try:
        with transaction.atomic():
            yield
    finally:
        setattr(connection, "transaction_mode", mode)  # noqa: B010


def _run_export(job: BackgroundJob) -> None:
    developments = (
        Development.objects.all() if job.include_drafts else Development.objects.published()
    )
    _update(job, phase="exporting")
    progress = ProgressWriter(job, threaded=not connection.in_atomic_block)
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        with progress:
            records, dropped = export_developments(
                cast(IO[str], CountingWriter(text, progress)), job.file_format, developments
            )
        text.flush()
        text.detach()  # the spool stays open
        spool.seek(0)
        job.file.save(job.name, File(spool), save=False)
    _update(
        job,
        state=State.DONE,
        phase="",
        file=job.file.name,
        processed=records,
        total=records,
        report={"records": records, "dropped": dropped},
    )


class CountingWriter:
    """An export's output that reports its progress: export_developments writes each
    record with one write() (a CSV row, a JSON object), and its header or brackets
    with one or two more."""

    def __init__(self, out: IO[str], progress: ProgressWriter):
        self.out, self.progress, self.writes = out, progress, 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes % CHUNK_SIZE == 0:
            self.progress("exported", self.writes)
        return self.out.write(text)


class ProgressWriter:
    """A job's progress callback, `progress(stage, count)`, as import_developments
    takes one. The latest count is written to the job's row every PROGRESS_SECONDS
    with a heartbeat, by a thread on a database connection of its own: outside the
    import's transaction, so other connections see it while that is open; or, for an
    import on SQLite, to the job's `progress_file` (`to_file`).

    Not `threaded` when the job runs inside a transaction already (a task run
    inline): its row is not committed for another connection to update."""

    def __init__(self, job: BackgroundJob, threaded: bool, to_file: Path | None = None):
        self.job_id = job.pk
        self.threaded = threaded and not connection.in_atomic_block
        self.to_file = to_file
        self.latest: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, stage: str, count: int) -> None:
        self.latest = (PHASES.get(stage, stage), count)

    def __enter__(self) -> ProgressWriter:
        if self.threaded:
            self._thread = threading.Thread(
                target=self._run, name=f"job-{self.job_id}-progress", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        if self.to_file is not None:
            self.to_file.unlink(missing_ok=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(PROGRESS_SECONDS):
                self.write()
        finally:
            connection.close()  # this thread's own connection

    def write(self) -> None:
        if self.to_file is not None:
            self._write_file()
            return
        fields: dict = {"heartbeat_at": timezone.now()}
        if self.latest:
            fields["phase"], fields["processed"] = self.latest
        try:
            BackgroundJob.objects.filter(pk=self.job_id, state=State.RUNNING).update(**fields)
        except DatabaseError:  # the job goes on; its page shows an older count
            logger.warning("Could not record the progress of job %s", self.job_id, exc_info=True)

    def _write_file(self) -> None:
        if self.latest is None or self.to_file is None:
            return
        phase, processed = self.latest
        written = self.to_file.with_suffix(".tmp")
        try:
            self.to_file.parent.mkdir(parents=True, exist_ok=True)
            written.write_text(json.dumps({"phase": phase, "processed": processed}))
            written.replace(self.to_file)  # whole, never half-written
        except OSError:
            logger.warning("Could not record the progress of job %s", self.job_id, exc_info=True)


def progress_file(job_id: int) -> Path | None:
    """Where a job importing into a SQLite database file keeps its count (the import's
    transaction holds the database's write lock): under MEDIA_ROOT, which the web
    server and the worker share, named after the database and the job. None for any
    other database, and for SQLite's in-memory ones."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name.startswith("file:") or ":memory:" in name:
        return None
    database = hashlib.sha256(str(Path(name).resolve()).encode()).hexdigest()[:12]
    return Path(settings.MEDIA_ROOT) / "progress" / f"{database}-{job_id}.json"


def progress(job: BackgroundJob) -> tuple[str, int]:
    """(phase, records done) of a job as its page shows them: from its row, or for a
    running import on SQLite from its progress file."""
    path = progress_file(job.pk) if job.state == State.RUNNING else None
    if path is not None:
        with suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(path.read_text())
            return str(data["phase"]), int(data["processed"])
    return job.phase, job.processed
