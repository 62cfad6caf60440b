"""What a newcomer meets on a fresh clone: the seed loaded by a shell glob, manage.py run
without its environment, an export piped into head."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tracker.models import Development, DevelopmentKind, Recommendation

ROOT = Path(__file__).resolve().parent.parent
MANAGE = f"{shlex.quote(sys.executable)} manage.py"


def run(
    command: str, database: Path | None = None, **env: str | None
) -> subprocess.CompletedProcess:
    """A shell command line in the project's folder, as a newcomer types it: local
    settings in debug mode (a variable given as None is left unset), with a database of
    its own, whatever the tests run on."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    settings = {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1", **env}
    if database:
        settings["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        ["sh", "-c", command],
        env={**clean, **{k: v for k, v in settings.items() if v is not None}},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """An empty SQLite database that `migrate` has just made (copied by each test)."""
    database = tmp_path_factory.mktemp("first-run") / "migrated.sqlite3"
    result = run(f"{MANAGE} migrate --verbosity 0", database)
    assert result.returncode == 0, result.stderr
    return database


@pytest.fixture
def empty_database(migrated, tmp_path) -> Path:
    database = tmp_path / "db.sqlite3"
    shutil.copy(migrated, database)
    return database


def test_loaddata_of_every_fixture_by_shell_glob_loads_an_empty_database(empty_database):
    # The shell sorts pollmann-2023.json before reference.json, whose kinds it needs.
    result = run(f"{MANAGE} loaddata fixtures/*.json", empty_database)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "from 2 fixture(s)" in result.stdout


def test_loaddata_loads_fixtures_given_out_of_order_after_what_they_refer_to(db):
    fixtures = ROOT / "fixtures"
    call_command(
        "loaddata",
        str(fixtures / "pollmann-2023.json"),
        str(fixtures / "reference.json"),
        verbosity=0,
    )

    assert DevelopmentKind.objects.filter(code="meeting").exists()
    assert Recommendation.objects.filter(code="TSU-1").exists()
    assert Development.objects.count() == 14


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be one of"),
    ],
    ids=["debug-off", "debug-unset", "debug-misspelt"],
)
def test_manage_py_without_its_environment_says_what_to_set_in_one_line(env, names):
    for command in ("seed", "migrate", "check"):  # an app's command and two of Django's
        result = run(f"{MANAGE} {command}", **env)

        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("Cannot run manage.py: ")
        assert names in result.stderr
        assert "Traceback" not in result.stderr


def test_export_piped_into_head_ends_quietly(empty_database):
    # More than a pipe holds (64 KB), so the export is still writing when head leaves.
    seeded = run(
        f"{MANAGE} loaddata reference && {MANAGE} generate_demo_data --developments 300 --seed 1",
        empty_database,
    )
    assert seeded.returncode == 0, seeded.stderr

    result = run(f"{MANAGE} export_developments | head -1", empty_database)

    assert result.returncode == 0
    assert result.stdout.startswith("key,date,end_date,title,")
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""
