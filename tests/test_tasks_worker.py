"""The real worker, `manage.py db_worker`, in a process of its own: it runs queued
jobs, and when it is killed mid-import (SIGKILL, as an out-of-memory kill or a
pulled plug would) nothing of the import is left, the job shows it stopped, and
run again it imports the file whole.

The worker needs a database another process can open: on PostgreSQL the test
database itself (these tests commit), on SQLite a file copy of the test database
(which lives in this process's shared memory), read back with sqlite3.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.contrib.auth.models import Group
from django.db import connection

from tests.conftest import signed_in
from tests.test_tasks import confirm, preview, rows_csv
from tracker import jobs
from tracker.models import BackgroundJob
from tracker.roles import EDITORS

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
SEED_DEVELOPMENTS = 14
# Enough records for the kill to land mid-write: a write pass of several seconds.
KILLED_IMPORT_ROWS = 20_000


class WorkerDatabase:
    """The test database as a worker process sees it, and SQL to read it back."""

    def __init__(self, folder: Path):
        self.folder = folder
        if connection.vendor == "postgresql":
            s = connection.settings_dict
            user = quote(s["USER"] or "")
            password = f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else ""
            self.url = f"postgres://{user}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
            self.path = None
        else:
            self.path = folder / "worker.sqlite3"
            with connection.cursor() as cursor:
                cursor.execute("VACUUM INTO %s", [str(self.path)])
            self.url = f"sqlite:///{self.path}"

    def row(self, sql: str, params=()) -> tuple:
        if self.path is None:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchone()
        with closing(sqlite3.connect(self.path, timeout=30)) as sqlite:
            return sqlite.execute(sql, params).fetchone()

    def job(self, pk: int) -> BackgroundJob:
        state, worker, attempts, pending, report = self.row(
            "SELECT state, worker, attempts, pending_id, report FROM tracker_backgroundjob "
            "WHERE id = ?",
            [pk],
        )
        job = BackgroundJob(
            pk=pk, state=state, worker=worker, attempts=attempts, pending_id=pending
        )
        job.report = report  # JSON text as read; the tests compare its summary
        return job

    def developments(self) -> int:
        return self.row("SELECT count(*) FROM tracker_development")[0]

    def sqlite_write_locked(self) -> bool:
        """Whether a connection holds SQLite's write lock (the import's transaction)."""
        assert self.path is not None
        with closing(sqlite3.connect(self.path, timeout=0)) as sqlite:
            try:
                sqlite.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            sqlite.rollback()
            return False

    def environment(self, redis_url: str = "") -> dict[str, str]:
        environment = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "tests-only-not-a-secret",
            "DJANGO_HTTPS": "0",
            "DATABASE_URL": self.url,
            "DJANGO_MEDIA_ROOT": str(self.folder / "media"),
        }
        environment.pop("REDIS_URL", None)  # the database's task backend ...
        if redis_url:
            environment["REDIS_URL"] = redis_url  # ... or Redis's
        return environment

    def manage(self, *args: str, redis_url: str = "", **options) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.environment(redis_url),
            cwd=ROOT,
            **options,
        )

    def worker(self, *args: str) -> subprocess.Popen:
        return self.manage(
            "db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload", *args
        )

    def run_all(self) -> None:
        """A worker that runs what is queued, then exits."""
        assert self.worker("--batch").wait(timeout=600) == 0

    def shell(self, code: str) -> str:
        process = self.manage("shell", "-v", "0", "-c", code, stdout=subprocess.PIPE, text=True)
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        return output.strip()


@pytest.fixture
def editor_session(django_user_model):
    editor = django_user_model.objects.create_user(
        "eddie", password="x-long-pass-1", is_staff=True
    )
    editor.groups.add(Group.objects.get(name=EDITORS))
    return signed_in(editor)


@pytest.fixture
def background(settings, tmp_path):
    settings.TRACKER_BACKGROUND_ROWS = 0
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_worker_process_runs_queued_imports_and_exports(
    seed, editor_session, background, tmp_path
):
    confirm(editor_session, preview(editor_session, rows_csv(50)))
    editor_session.post("/admin/tracker/development/export/", {"file_format": "json"})
    imported, exported = BackgroundJob.objects.order_by("pk")
    database = WorkerDatabase(tmp_path)
    database.run_all()

    assert database.job(imported.pk).state == "done"
    assert database.developments() == SEED_DEVELOPMENTS + 50
    assert database.job(exported.pk).state == "done"
    (written,) = (tmp_path / "media" / "exports").iterdir()
    assert written.name.startswith("developments-") and written.suffix == ".json"
    assert written.read_text(encoding="utf-8").count('"key"') == SEED_DEVELOPMENTS


def test_a_killed_worker_leaves_no_partial_import_and_the_job_runs_again(
    seed, editor_session, background, tmp_path
):
    rows = KILLED_IMPORT_ROWS
    confirm(editor_session, preview(editor_session, rows_csv(rows)))
    job = BackgroundJob.objects.get()
    database = WorkerDatabase(tmp_path)
    worker = database.worker()
    try:
        in_transaction(database, job, worker)
        assert database.job(job.pk).state == "running"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

    assert database.developments() == SEED_DEVELOPMENTS  # nothing of the file
    stopped = database.job(job.pk)
    assert stopped.state == "running"  # as the dead worker left it ...
    assert jobs.interrupted(stopped)  # ... and seen to have stopped
    assert jobs.can_retry(stopped)  # its upload is kept

    code = (
        "from tracker import jobs; from tracker.models import BackgroundJob; "
        f"print(jobs.retry(BackgroundJob.objects.get(pk={job.pk})))"
    )
    assert database.shell(code) == "True"
    database.run_all()

    assert database.developments() == SEED_DEVELOPMENTS + rows
    again = database.job(job.pk)
    assert (again.state, again.attempts) == ("done", 2)
    assert f"{rows} were created" in str(again.report)


def in_transaction(database: WorkerDatabase, job: BackgroundJob, worker: subprocess.Popen):
    """Wait until the worker is inside the import's transaction with records written."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker stopped"
        if database.path is None:  # PostgreSQL: the progress thread says how far it got
            phase, processed = database.row(
                "SELECT phase, processed FROM tracker_backgroundjob WHERE id = ?", [job.pk]
            )
            if phase == "writing" and processed >= 1000:
                return
        else:  # SQLite: the import holds the write lock; its count is in a file
            for progress in (database.folder / "media" / "progress").glob(f"*-{job.pk}.json"):
                with suppress(OSError, ValueError):
                    count = json.loads(progress.read_text())
                    if count["phase"] == "writing" and database.sqlite_write_locked():
                        return
        time.sleep(0.02)
    raise AssertionError("the worker never got into the import's transaction")


# A Redis database of its own, emptied of this test's queue afterwards.
RQ_URL = "redis://127.0.0.1:6379/13"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(RQ_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_with_redis_the_job_waits_in_redis_for_the_rq_worker(
    seed, editor_session, background, tmp_path, settings
):
    """With REDIS_URL set the settings choose django-tasks-rq: the task waits in Redis
    and `manage.py rqworker default` runs it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": RQ_URL}}
    connection_to_redis = redis.Redis.from_url(RQ_URL)
    try:
        confirm(editor_session, preview(editor_session, rows_csv(50)))
        job = BackgroundJob.objects.get()
        assert connection_to_redis.exists(f"rq:job:{job.task_id}")
        database = WorkerDatabase(tmp_path)
        worker = database.manage("rqworker", "default", "--burst", redis_url=RQ_URL)
        assert worker.wait(timeout=300) == 0
        assert database.job(job.pk).state == "done"
        assert database.developments() == SEED_DEVELOPMENTS + 50
    finally:
        for key in connection_to_redis.scan_iter("rq:*"):
            connection_to_redis.delete(key)
