"""The open data package (tracker/datapackage.py): `export_datapackage`, the download
at /api/v1/datapackage.zip and `import_datapackage`. It validates with the
reference implementation (frictionless), holds no draft, keeps every cell exactly,
reads back into an empty database as the same records, and costs one query a table
whatever the data's size."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from frictionless import Package, validate
from rest_framework.authtoken.models import Token

from tests.conftest import downloaded
from tests.factories import make_development, make_evidence, make_source
from tracker import datapackage, methodology
from tracker.models import (
    Assessment,
    Citation,
    DataVersion,
    Development,
    Evidence,
    Recommendation,
    Source,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/datapackage.zip"
# Commas, quotes, a line break, non-ASCII and what a spreadsheet would run as a formula.
AWKWARD = 'Tōkyō, "Ōsaka" and Zürich:\nline two — ≥ 5 % ✓'
FORMULA = '=HYPERLINK("http://x")'


def exported(tmp_path: Path, name: str = "pkg") -> Path:
    out = tmp_path / name
    call_command("export_datapackage", str(out), verbosity=0)
    return out


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def assert_valid(descriptor: Path) -> None:
    report = validate(str(descriptor))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "message"])


@pytest.fixture
def varied(seed, editor):
    """Beyond the seed: awkward text, a span, a chain, a draft (with its own actor,
    source and evidence), a stage that follows the draft, and a draft assessment."""
    recommendation = Recommendation.objects.get(code="TSU-2")
    source = make_source(key="awkward-source", title=AWKWARD, url="https://example.org/ü?a=1,2")
    awkward = make_development(
        key="awkward",
        title=AWKWARD,
        summary=FORMULA,
        location="-1 below",
        date=datetime.date(2023, 3, 1),
        end_date=datetime.date(2023, 5, 1),
        precision=Development.Precision.MONTH,
        actors=("JP", "FR"),
    )
    Citation.objects.create(development=awkward, source=source, quote=AWKWARD, locator="p. 3")
    make_evidence(
        development=awkward,
        recommendation=recommendation,
        rationale=AWKWARD,
        strength=3,
        confidence=Evidence.Confidence.LOW,
    )
    later = make_development(
        key="awkward-in-force",
        date=datetime.date(2023, 6, 2),
        follows=awkward,
        follows_as="in_force",
        status=Development.Status.ANNOUNCED,
    )
    make_evidence(development=later, recommendation=recommendation, stance="hinders")
    draft = make_development(
        key="a-draft", actors=("ZZDRAFT",), published=False, created_by=editor
    )
    Citation.objects.create(development=draft, source=make_source(key="draft-only-source"))
    make_evidence(development=draft, recommendation=recommendation)
    make_development(
        key="follows-a-draft", follows=draft, follows_as="fulfils", date=datetime.date(2023, 2, 1)
    )
    Assessment.objects.create(
        recommendation=recommendation,
        assessed_on=datetime.date(2024, 6, 1),
        status=Assessment.Status.IMPLEMENTED,
        rationale="Drafted.",
        published=False,
        drafted_by=editor,
    )
    return {"awkward": awkward, "later": later, "draft": draft}


# --- The package ---------------------------------------------------------------------------


def test_the_package_passes_frictionless_validation(tmp_path, varied):
    assert_valid(exported(tmp_path) / "datapackage.json")


def test_validation_would_catch_a_broken_foreign_key(tmp_path, varied):
    folder = exported(tmp_path)
    described = json.loads((folder / "datapackage.json").read_text())
    for resource in described["resources"]:  # the file is changed below on purpose
        del resource["hash"], resource["bytes"]
    (folder / "datapackage.json").write_text(json.dumps(described))
    lines = (folder / "developments.csv").read_text(encoding="utf-8").splitlines(True)
    (folder / "developments.csv").write_text(
        "".join(line for line in lines if not line.startswith("awkward,")), encoding="utf-8"
    )
    report = validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert "foreign-key" in {error.type for task in report.tasks for error in task.errors}


def test_the_descriptor_describes_every_column_key_and_the_methodology(tmp_path, seed):
    folder = exported(tmp_path)
    described = json.loads((folder / "datapackage.json").read_text())
    assert described["methodology"]["version"] == methodology.VERSION
    assert described["name"] == "policy-recommendation-tracker"
    assert datetime.datetime.fromisoformat(described["created"]).tzinfo is not None
    resources = {r["name"]: r for r in described["resources"]}
    assert set(resources) == {
        "sources",
        "frameworks",
        "recommendations",
        "development_kinds",
        "actors",
        "developments",
        "development_actors",
        "citations",
        "evidence",
        "assessments",
    }
    for name, resource in resources.items():
        with open(folder / resource["path"], encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header, name
        assert all(f["type"] and f["description"] for f in fields), name
        assert resource["bytes"] == (folder / resource["path"]).stat().st_size
    schema = resources["evidence"]["schema"]
    assert schema["primaryKey"] == ["development", "recommendation"]
    assert {
        "fields": ["recommendation"],
        "reference": {"resource": "recommendations", "fields": ["code"]},
    } in schema["foreignKeys"]
    by_name = {f["name"]: f for f in schema["fields"]}
    assert by_name["strength"]["type"] == "integer"
    assert by_name["strength"]["constraints"]["enum"] == [1, 2, 3]
    assert by_name["stance"]["constraints"] == {
        "required": True,
        "maxLength": 10,
        "enum": ["advances", "hinders"],
    }
    developments = resources["developments"]["schema"]
    assert {"fields": ["follows"], "reference": {"resource": "", "fields": ["key"]}} in (
        developments["foreignKeys"]
    )
    assert {f["name"]: f["type"] for f in developments["fields"]}["date"] == "date"


def test_the_package_reads_as_frictionless_and_csv_readers_expect(tmp_path, varied):
    folder = exported(tmp_path)
    package = Package(str(folder / "datapackage.json"))
    developments = {row["key"]: row for row in package.get_resource("developments").read_rows()}
    awkward = developments["awkward"]
    assert awkward["title"] == AWKWARD
    assert awkward["date"] == datetime.date(2023, 3, 1)
    assert awkward["precision"] == "month"
    assert developments["awkward-in-force"]["follows"] == "awkward"
    evidence = package.get_resource("evidence").read_rows()
    assert {(e["development"], e["strength"]) for e in evidence} >= {("awkward", 3)}


def test_cells_are_written_exactly_not_neutralised(tmp_path, varied):
    folder = exported(tmp_path)
    (development,) = [r for r in rows(folder, "developments") if r["key"] == "awkward"]
    assert development["title"] == AWKWARD  # comma, quotes, line break, non-ASCII
    assert development["summary"] == FORMULA  # raw data: no leading "'"
    assert development["location"] == "-1 below"
    assert development["date"] == "2023-03-01"
    assert development["end_date"] == "2023-05-01"
    (citation,) = [r for r in rows(folder, "citations") if r["development"] == "awkward"]
    assert citation["quote"] == AWKWARD
    (source,) = [r for r in rows(folder, "sources") if r["key"] == "awkward-source"]
    assert (source["title"], source["url"]) == (AWKWARD, "https://example.org/ü?a=1,2")
    raw = (folder / "developments.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without a byte-order mark
    assert b"\r\n" in raw


def test_drafts_never_appear(tmp_path, varied):
    folder = exported(tmp_path)
    for table in ("developments", "development_actors", "citations", "evidence"):
        keys = {r.get("key") or r.get("development") for r in rows(folder, table)}
        assert "a-draft" not in keys, table
        assert "awkward" in keys, table
    assert "ZZDRAFT" not in {r["code"] for r in rows(folder, "actors")}
    assert "draft-only-source" not in {r["key"] for r in rows(folder, "sources")}
    assert "2024-06-01" not in {r["assessed_on"] for r in rows(folder, "assessments")}
    assert len(rows(folder, "developments")) == Development.objects.published().count()
    assert len(rows(folder, "evidence")) == Evidence.objects.published().count()
    # A stage that follows a draft does not name it.
    (stage,) = [r for r in rows(folder, "developments") if r["key"] == "follows-a-draft"]
    assert (stage["follows"], stage["follows_as"]) == ("", "")


def test_evidence_carries_its_points_today(tmp_path, varied):
    folder = exported(tmp_path)
    points = {
        (r["development"], r["recommendation"]): r["points"] for r in rows(folder, "evidence")
    }
    for link in Evidence.objects.published().select_related("development", "recommendation"):
        written = points[(link.development.key, link.recommendation.code)]
        assert written == ("" if link.points is None else repr(link.points))
    assert points[("awkward", "TSU-2")] == ""  # replaced by the stage that follows it


def grow(n: int) -> None:
    recommendation = Recommendation.objects.get(code="TSU-1")
    for _ in range(n):
        development = make_development(actors=("JP", "GB"))
        Citation.objects.create(development=development, source=make_source())
        make_evidence(development=development, recommendation=recommendation)


def test_the_export_makes_one_query_a_table_whatever_the_size(
    tmp_path, seed, django_assert_num_queries
):
    # One query per table, and the savepoint around them (in a test's transaction).
    expected = len(datapackage.TABLES) + 2
    with django_assert_num_queries(expected):
        datapackage.write_package(_empty(tmp_path / "small"))
    grow(30)
    with django_assert_num_queries(expected):
        counts = datapackage.write_package(_empty(tmp_path / "large"))
    assert counts["developments"] == Development.objects.published().count()
    with django_assert_num_queries(expected):
        b"".join(datapackage.zip_chunks())


def _empty(folder: Path) -> Path:
    folder.mkdir()
    return folder


# --- Reading it back -----------------------------------------------------------------------


def empty_the_tracker_tables() -> None:
    """What a fresh, migrated database holds: no tracker rows (as the conftest's
    fixture for tests without the seed)."""
    tables = [
        m._meta.db_table
        for m in apps.get_app_config("tracker").get_models()
        if m is not DataVersion
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def csv_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


@pytest.mark.parametrize("as_zip", [False, True])
def test_the_package_reads_back_into_an_empty_database_as_the_same_records(
    tmp_path, varied, as_zip
):
    before = exported(tmp_path, "before")
    if as_zip:
        call_command("export_datapackage", str(tmp_path / "before.zip"), verbosity=0)
    empty_the_tracker_tables()
    assert not Development.objects.exists()
    out = io.StringIO()
    source = tmp_path / "before.zip" if as_zip else before
    call_command("import_datapackage", str(source), stdout=out)
    assert f"{Development.objects.count()} were created" in out.getvalue()
    after = exported(tmp_path, "after")
    assert csv_files(after) == csv_files(before)  # every cell, points included
    assert_valid(after / "datapackage.json")
    # Imported by the import: with its audit trail.
    assert Development.history.filter(key="awkward").exists()


def test_reading_a_package_again_changes_nothing(tmp_path, seed):
    folder = exported(tmp_path)
    out = io.StringIO()
    call_command("import_datapackage", str(folder), stdout=out)
    assert "sources 0 saved, 2 unchanged" in out.getvalue()
    assert "0 were created, 0 were updated, 14 unchanged" in out.getvalue()
    assert csv_files(exported(tmp_path, "again")) == csv_files(folder)


def test_read_into_its_own_database_a_stage_loses_the_draft_it_follows(tmp_path, varied):
    # The package never names a draft, so it cannot say that a stage follows one.
    exported_folder = exported(tmp_path)
    out = io.StringIO()
    call_command("import_datapackage", str(exported_folder), stdout=out)
    assert "1 were updated" in out.getvalue()
    assert Development.objects.get(key="follows-a-draft").follows is None


def test_a_package_with_a_bad_record_is_refused_whole(tmp_path, varied):
    folder = exported(tmp_path)
    evidence = (folder / "evidence.csv").read_text(encoding="utf-8")
    (folder / "evidence.csv").write_text(evidence.replace(",TSU-3,", ",TSU-9,"), encoding="utf-8")
    empty_the_tracker_tables()
    with pytest.raises(
        CommandError,
        match=r"developments.csv, line \d+, evidence: unknown "
        r"recommendation 'TSU-9'.*Nothing was written",
    ):
        call_command("import_datapackage", str(folder))
    assert not Development.objects.exists()
    assert not Source.objects.exists()


def test_a_link_to_no_development_is_refused(tmp_path, varied):
    folder = exported(tmp_path)
    with open(folder / "development_actors.csv", "a", encoding="utf-8", newline="") as f:
        f.write("zzz-nowhere,JP\r\n")
    with pytest.raises(CommandError, match=r"development_actors.csv, line .*'zzz-nowhere'"):
        call_command("import_datapackage", str(folder))


def test_a_row_short_of_cells_is_refused(tmp_path, seed):
    folder = exported(tmp_path)
    with open(folder / "actors.csv", "a", encoding="utf-8", newline="") as f:
        f.write("ZZ,Nowhere\r\n")
    with pytest.raises(CommandError, match=r"actors.csv, line \d+: not one cell per column"):
        call_command("import_datapackage", str(folder))


def test_a_dry_run_checks_the_package_and_writes_nothing(tmp_path, varied):
    folder = exported(tmp_path)
    empty_the_tracker_tables()
    out = io.StringIO()
    call_command("import_datapackage", str(folder / "datapackage.json"), "--dry-run", stdout=out)
    assert "Dry run, nothing written." in out.getvalue()
    assert "would be created" in out.getvalue()
    assert not Development.objects.exists()
    assert not Source.objects.exists()


def test_a_folder_that_is_not_a_package_is_refused(tmp_path, seed):
    with pytest.raises(CommandError, match=r"datapackage.json"):
        call_command("import_datapackage", str(tmp_path))


# --- The command ---------------------------------------------------------------------------


def test_the_command_prints_what_it_wrote(tmp_path, seed):
    out = io.StringIO()
    call_command("export_datapackage", str(tmp_path / "new" / "pkg"), stdout=out)
    assert "14 developments" in out.getvalue()
    assert "3 recommendations" in out.getvalue()
    assert (tmp_path / "new" / "pkg" / "datapackage.json").exists()


def test_the_command_refuses_a_folder_that_holds_files_unless_forced(tmp_path, seed):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match=r"not empty.*--force"):
        call_command("export_datapackage", str(tmp_path))
    assert not (tmp_path / "datapackage.json").exists()
    call_command("export_datapackage", str(tmp_path), "--force", verbosity=0)
    assert (tmp_path / "datapackage.json").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_command_refuses_a_path_it_cannot_write(tmp_path, seed):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CommandError, match="is a file"):
        call_command("export_datapackage", str(tmp_path / "a-file"))
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_datapackage", str(tmp_path / "a-file" / "below"))
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_datapackage", str(tmp_path / "a-file" / "below.zip"))


def test_the_command_writes_a_zip_and_refuses_to_overwrite_it(tmp_path, seed):
    target = tmp_path / "pkg.zip"
    call_command("export_datapackage", str(target), verbosity=0)
    with zipfile.ZipFile(target) as archive:
        assert "datapackage.json" in archive.namelist()
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, to share
    with pytest.raises(CommandError, match=r"exists.*--force"):
        call_command("export_datapackage", str(target))
    call_command("export_datapackage", str(target), "--force", verbosity=0)


# --- The download --------------------------------------------------------------------------


def test_a_reader_downloads_the_package_as_a_streamed_zip_that_validates(tmp_path, reader, varied):
    response = reader.get(URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="policy-recommendation-tracker-'
    )
    assert "private" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(downloaded(response))) as archive:
        archive.extractall(tmp_path / "unzipped")
    assert_valid(tmp_path / "unzipped" / "datapackage.json")
    assert csv_files(tmp_path / "unzipped") == csv_files(exported(tmp_path))


def test_anonymous_readers_are_refused_the_download(client, seed):
    assert client.get(URL).status_code == 401
    response = client.get(URL, HTTP_ACCEPT="text/html,*/*")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_a_user_who_may_not_read_the_reports_is_refused(client, seed, django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="x-long-password")
    client.force_login(user)
    assert client.get(URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_reports"))
    assert client.get(URL).status_code == 200


def test_a_token_downloads_the_package(seed, analyst):
    key = Token.objects.create(user=analyst).key
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get(URL).status_code == 200


def test_public_reports_open_the_download_to_anyone(client, seed, settings):
    settings.TRACKER_PUBLIC_REPORTS = True
    response = client.get(URL)
    assert response.status_code == 200
    assert "private" not in response["Cache-Control"]


def test_the_download_takes_no_writes(reader):
    assert reader.post(URL).status_code == 405


def test_asked_for_its_headers_the_download_reads_no_table(reader, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # the session, the user and the permission check
        response = reader.head(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response.content == b""


def test_the_methodology_page_links_to_the_download(reader):
    page = reader.get("/methodology/").content.decode()
    open_data = page[page.index('id="open-data"') :]
    assert f'href="{URL}"' in open_data
    assert f"methodology version, v{methodology.VERSION}" in open_data
