"""Benchmark: a 100,000-row admin import confirmed as a background job, on SQLite.

    .venv/bin/python benchmarks/import_task.py [--rows 100000] [--skip-baseline]

Writes a CSV of new developments (as benchmarks/upload_memory.py writes them, just
under the admin's 50 MB limit at 100,000 rows) and a scratch SQLite database
holding the reference data. In a process of its own, the real admin (Django's test
client, signed in as an administrator) previews the file and confirms it, while
`manage.py db_worker` runs beside it, as `make run` starts it. Prints the
confirmation request's time (goal: under a second) and the job's: from the
request's answer until the job's page says done, and the worker's own start to
finish. The baseline, in the same run on a copy of the same database: the same
confirmation importing within the request, as below TRACKER_BACKGROUND_ROWS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import MANAGE, ROOT, Database, environment, manage
from upload_memory import COLUMNS, record

GOAL_SECONDS = 1.0


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(rows):
            writer.writerow([record(i)[name] for name in COLUMNS])


def client(path: Path) -> None:
    """In the measured process (Django set up on the scratch database): sign in,
    preview, confirm, and for a job wait until its page says done; print the times."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tracker.models import BackgroundJob, Development

    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("bench", password="x-long-pw-1"))
    url = "/admin/tracker/development/import/"
    started = time.perf_counter()
    with path.open("rb") as upload:
        preview = admin.post(url, {"file": upload})
    preview_seconds = time.perf_counter() - started
    # The confirmation form's hidden fields: the upload kept, the records previewed.
    pending, records = re.findall(
        r'name="(?:pending|records)" value="(\d+)"', preview.content.decode()
    )

    started = time.perf_counter()
    confirmed = admin.post(url, {"confirm": "1", "pending": pending, "records": records})
    request_seconds = time.perf_counter() - started
    answered = time.perf_counter()
    job = BackgroundJob.objects.filter(pk__gt=0).first()
    if job is not None:
        job_page = confirmed.url
        while "Imported." not in admin.get(job_page).content.decode():
            job.refresh_from_db()
            if job.state == "failed":
                raise SystemExit(f"The job failed: {job.error} {job.report.get('errors')}")
            time.sleep(0.5)
        job.refresh_from_db()
    result = {
        "preview": preview_seconds,
        "request": request_seconds,
        "status": confirmed.status_code,
        "job": time.perf_counter() - answered if job else None,
        "worker": (job.finished_at - job.started_at).total_seconds() if job else None,
        "developments": Development.objects.count(),
    }
    print("RESULT " + json.dumps(result))


def measure(db: Database, path: Path, background: bool, work: Path) -> dict:
    env = environment(
        db.url,
        TRACKER_BACKGROUND_ROWS="0" if background else str(10**9),
        DJANGO_MEDIA_ROOT=str(work / "media"),
        DJANGO_STATIC_ROOT=str(work / "static"),  # as production serves it (collectstatic)
    )
    env.pop("REDIS_URL", None)
    worker = None
    if background:
        worker = subprocess.Popen(
            [sys.executable, str(MANAGE), "db_worker", "--no-reload", "-v", "0"],
            cwd=ROOT,
            env=env,
        )
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--client", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()
    if done.returncode:
        raise SystemExit(done.stderr)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.client:
        client(options.client)
        return

    work = Path(tempfile.mkdtemp(prefix="tracker-bench-tasks-"))
    try:
        path = work / "developments.csv"
        write_file(path, options.rows)
        print(f"{options.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB")
        base = Database("sqlite", "tracker_bench_tasks", work)
        base.create()
        manage(base, "loaddata", "reference", "-v", "0")
        subprocess.run(
            [sys.executable, str(MANAGE), "collectstatic", "--noinput", "-v", "0"],
            env=environment(base.url, DJANGO_STATIC_ROOT=str(work / "static")),
            check=True,
        )
        runs = [("as a background job", base.copy("tracker_bench_tasks_job"), True)]
        if not options.skip_baseline:
            runs.append(
                ("in the request (baseline)", base.copy("tracker_bench_tasks_sync"), False)
            )
        results = []
        for label, db, background in runs:
            result = measure(db, path, background, work)
            assert result["developments"] == options.rows, result
            results.append((label, result))

        print()
        print(
            f"{'confirmation':<26} {'request s':>9} {'job s':>7} {'worker s':>8} {'preview s':>9}"
        )
        for label, r in results:
            job = f"{r['job']:.1f}" if r["job"] is not None else "–"
            worker = f"{r['worker']:.1f}" if r["worker"] is not None else "–"
            print(f"{label:<26} {r['request']:>9.3f} {job:>7} {worker:>8} {r['preview']:>9.1f}")
        request = results[0][1]["request"]
        verdict = "met" if request < GOAL_SECONDS else "missed"
        print(
            f"\nThe request as a job: {request:.3f} s "
            f"(goal: under {GOAL_SECONDS:.0f} s, {verdict})"
        )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
