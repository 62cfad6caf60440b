"""The explorer offers its filtered rows in the import format too (issue 14): CSV and
JSON that import_developments reads back, streamed, under the explorer's access
rule, drafts left out."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import downloaded
from tests.factories import make_development, make_evidence
from tracker.interchange import COLUMNS, import_developments
from tracker.models import Development, Recommendation

pytestmark = pytest.mark.django_db

FILTERS = {"actor": "GB"}  # the seed's developments with the United Kingdom


def keys_in(body: bytes, file_format: str) -> list[str]:
    if file_format == "csv":
        return [row["key"] for row in csv.DictReader(io.StringIO(body.decode()))]
    return [record["key"] for record in json.loads(body)]


def expected_keys(**filters) -> set[str]:
    developments = Development.objects.published().filter(**filters).distinct()
    return set(developments.values_list("key", flat=True))


def test_the_explorer_links_to_its_rows_in_the_import_format(reader):
    page = reader.get("/developments/", {"actor": "GB", "page": "1"}).content.decode()
    assert '<a href="?actor=GB&amp;_export=import-csv"' in page
    assert '<a href="?actor=GB&amp;_export=import-json"' in page
    # Other tables' exports stay as they were.
    assert "import-csv" not in reader.get("/actors/JP/").content.decode()


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_the_filtered_rows_download_in_the_import_format_and_import_again(reader, file_format):
    response = reader.get("/developments/", {**FILTERS, "_export": f"import-{file_format}"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].endswith(f'-import.{file_format}"')
    body = downloaded(response)
    keys = keys_in(body, file_format)
    assert sorted(keys) == sorted(expected_keys(actors__code="GB"))
    assert len(keys) >= 3
    if file_format == "csv":
        assert body.decode().splitlines()[0] == ",".join(COLUMNS)  # no Methodology column

    # Read back as it stands: every record found, nothing to change.
    again = import_developments(io.BytesIO(body), file_format, dry_run=True)
    assert again.ok, again.errors
    assert (again.records, again.unchanged, again.created) == (len(keys), len(keys), 0)

    # And into a database without them: each would be created, without a problem.
    Development.objects.filter(key__in=keys).delete()
    fresh = import_developments(io.BytesIO(body), file_format, dry_run=True)
    assert fresh.ok, fresh.errors
    assert (fresh.created, fresh.updated) == (len(keys), 0)


def test_evidence_filters_choose_the_rows_too(reader):
    body = downloaded(
        reader.get(
            "/developments/",
            {"recommendation": "TSU-1", "stance": "hinders", "_export": "import-json"},
        )
    )
    records = json.loads(body)
    assert {r["key"] for r in records} == expected_keys(
        evidence__recommendation__code="TSU-1", evidence__stance="hinders"
    )
    # Each record keeps all its links, not only those the filter matched.
    assert any(len(record["evidence"]) > 1 for record in records)


def test_drafts_stay_out_of_the_download_as_out_of_the_explorer(reader):
    draft = make_development(actors=("GB",), published=False, title="A draft with the UK")
    body = downloaded(reader.get("/developments/", {**FILTERS, "_export": "import-csv"}))
    assert draft.key not in keys_in(body, "csv")
    assert "A draft with the UK" not in reader.get("/developments/", FILTERS).content.decode()


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_unfiltered_it_is_the_file_the_command_writes(reader, tmp_path, file_format):
    written = tmp_path / f"all.{file_format}"
    call_command("export_developments", "--format", file_format, "--output", str(written))
    body = downloaded(reader.get("/developments/", {"_export": f"import-{file_format}"}))
    assert body == written.read_bytes()


def test_an_invalid_filter_downloads_no_rows(reader):
    response = reader.get("/developments/", {"date_after": "not a date", "_export": "import-csv"})
    assert downloaded(response).decode().splitlines() == [",".join(COLUMNS)]


def test_the_download_follows_the_reports_access_rule(seed, settings, django_user_model):
    url = "/developments/?_export=import-csv"
    settings.TRACKER_PUBLIC_REPORTS = False
    assert Client().get(url).status_code == 302  # to sign in
    nobody = django_user_model.objects.create_user("nobody", password="a-long-test-password")
    client = Client()
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    settings.TRACKER_PUBLIC_REPORTS = True
    assert Client().get(url).status_code == 200


def test_the_download_reads_its_rows_in_a_fixed_number_of_queries(
    reader, django_assert_max_num_queries
):
    url = "/developments/?_export=import-csv"
    downloaded(reader.get(url))  # sessions and the like: warm

    def count() -> int:
        with django_assert_max_num_queries(20) as queries:
            downloaded(reader.get(url))
        return len(queries)

    before = count()
    tsu1 = Recommendation.objects.get(code="TSU-1")
    for _ in range(30):
        make_evidence(development=make_development(actors=("JP", "GB")), recommendation=tsu1)
    assert count() == before


def test_a_formula_like_cell_is_quoted_for_spreadsheets_and_imports_back_as_it_was(reader):
    # Editors open this CSV in a spreadsheet to edit it: a title that begins with =,
    # +, - or @ must not run as a formula there, and must come back unchanged.
    titles = ["=HYPERLINK(1)", "-5% in exports", "'quoted already", "@mention"]
    for number, title in enumerate(titles):
        make_development(key=f"formula-{number}", title=title, actors=("GB",))
    body = downloaded(reader.get("/developments/", {**FILTERS, "_export": "import-csv"}))
    cells = {row["key"]: row["title"] for row in csv.DictReader(io.StringIO(body.decode()))}
    assert cells["formula-0"] == "'=HYPERLINK(1)"
    assert cells["formula-1"] == "'-5% in exports"
    assert cells["formula-2"] == "'quoted already"  # not a formula: left alone
    assert cells["formula-3"] == "'@mention"

    Development.objects.filter(key__startswith="formula-").delete()
    report = import_developments(io.BytesIO(body), "csv")
    assert report.ok, report.errors
    imported = Development.objects.filter(key__startswith="formula-").order_by("key")
    assert list(imported.values_list("title", flat=True)) == titles
