"""An editor imports a large file in the admin: it runs as a background job, whose
page follows its progress and then shows the report, in a real browser."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD
from tests.test_tasks import rows_csv, worker_paused_mid_import
from tracker.models import BackgroundJob, Development
from tracker.roles import EDITORS


@pytest.fixture
def editor(transactional_db, django_user_model, settings, tmp_path):
    call_command("loaddata", "reference", verbosity=0)
    settings.TRACKER_BACKGROUND_ROWS = 100
    settings.MEDIA_ROOT = tmp_path
    user = django_user_model.objects.create_user("eddie", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


def test_a_large_import_runs_as_a_job_whose_page_shows_progress_then_the_report(
    page: Page, editor, tmp_path, monkeypatch, screenshot
):
    file = tmp_path / "developments.csv"
    file.write_text(rows_csv(2500), encoding="utf-8")
    page.goto("/admin/login/?next=/admin/tracker/development/import/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.set_input_files("#id_file", str(file))
    page.click("input[value=Preview]")
    page.click("input[name=confirm]")  # "Import 2500 records"

    # The request answered at once, with the job's page: nothing imported yet.
    status = page.locator(".job-status")
    expect(status).to_contain_text("Waiting for a worker")
    expect(page.locator(".messagelist")).to_contain_text("imported in the background")
    assert not Development.objects.exists()

    with worker_paused_mid_import(monkeypatch):
        # The page reloads itself every 2 seconds while the job runs.
        if connection.vendor == "postgresql":
            expect(status).to_contain_text("Writing: 1,000 of 2,500 records", timeout=20_000)
            expect(page.locator("progress.job-progress")).to_have_attribute("value", "1000")
        else:  # SQLite: the import holds the only write lock; the phase shows
            expect(status).to_contain_text("Checking and writing 2,500 records", timeout=20_000)
        screenshot("admin-import-task-progress")

    expect(status).to_contain_text("Imported. 2500 records: 2500 were created", timeout=30_000)
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)  # done: no more reloads
    screenshot("admin-import-task-done")
    assert BackgroundJob.objects.get().state == "done"
    assert Development.objects.count() == 2500
