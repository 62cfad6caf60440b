"""Two imports of the same file at the same moment create no duplicates."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from tests.test_importers import GOOD
from tracker.interchange import import_developments
from tracker.models import Development, Evidence

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite admits one writer at a time by design",
)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_imports_of_one_file_create_each_development_once():
    call_command("loaddata", "reference", verbosity=0)
    start = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            start.wait()
            reports.append(import_developments(io.BytesIO(GOOD.encode()), "csv"))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted((r.created, r.unchanged) for r in reports) == [(0, 3), (3, 0)]
    assert Development.objects.count() == 3
    assert Evidence.objects.count() == 3
