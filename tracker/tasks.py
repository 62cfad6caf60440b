"""The tracker's background tasks (django-tasks; see tracker/jobs.py).

A task carries only its job's id: what to do, its progress and its result live in
the job's row (BackgroundJob), the same whichever backend carries the task (the
database's, or Redis with REDIS_URL).
"""

from __future__ import annotations

from django_tasks import task

from tracker import jobs


@task()
def run_job(job_id: int) -> None:
    """Run an admin import or export queued as a background job."""
    jobs.run(job_id)
