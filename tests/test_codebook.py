"""The methodology page is the codebook: its weights and worked example come from
tracker/methodology.py, and every report page and download names its version."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import downloaded
from tracker import methodology
from tracker.downloads import export_response
from tracker.models import (
    DevelopmentStatus,
    Evidence,
    EvidenceConfidence,
    EvidenceStrength,
    FollowKind,
    Source,
    SourceReliability,
)

pytestmark = pytest.mark.django_db

WEIGHT_TABLES = {
    "nature-weights": methodology.NATURE_WEIGHTS,
    "status-weights": methodology.STATUS_WEIGHTS,
    "confidence-weights": methodology.CONFIDENCE_WEIGHTS,
    "reliability-weights": methodology.RELIABILITY_WEIGHTS,
}


def row(content: str, table_id: str, key: str) -> str:
    """The inside of a codebook table's row, by its data-key."""
    table = re.search(rf'<table id="{table_id}".*?</table>', content, re.S)
    assert table, f"no table {table_id}"
    found = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', table.group(0), re.S)
    assert found, f"no row {key} in {table_id}"
    return html.unescape(found.group(1))


def weight(cells: str) -> str:
    """The text of a row's weight (or points) cell."""
    found = re.search(r'<td[^>]* class="weight">(?:<strong>)?(.*?)(?:</strong>)?</td>', cells)
    assert found, cells
    return found.group(1)


@pytest.fixture
def page(reader) -> str:
    response = reader.get(reverse("tracker:methodology"))
    assert response.status_code == 200
    return response.content.decode()


# --- The weights, from the code ---------------------------------------------------------


@pytest.mark.parametrize("table_id", WEIGHT_TABLES)
def test_the_codebook_shows_each_weight_in_its_row(page, table_id):
    for key, value in WEIGHT_TABLES[table_id].items():
        assert weight(row(page, table_id, key)) == methodology.format_points(value), key


def test_the_codebook_shows_the_hindering_cancellation_rule(page):
    cells = row(page, "status-weights", "cancelled-hindering")
    assert weight(cells) == methodology.format_points(methodology.CANCELLED_HINDERING_WEIGHT)
    assert "hindering" in cells


def test_the_codebook_anchors_each_strength_with_an_example(page):
    for strength in EvidenceStrength:
        cells = row(page, "strength-weights", str(strength.value))
        assert strength.label in cells
        assert weight(cells) == str(strength.value)
        assert "TSU-2" in cells  # the anchoring example


def test_each_development_status_has_an_example(page):
    for status in DevelopmentStatus:
        cells = row(page, "status-weights", status.value)
        assert status.label in cells
        assert cells.count("<td") == 3 and not cells.endswith("<td></td>")


@pytest.mark.parametrize(
    "table_id, model, field, choices, term",
    [
        ("confidence-weights", Evidence, "confidence", EvidenceConfidence, lambda c: c.label),
        ("reliability-weights", Source, "reliability", SourceReliability, lambda r: r.label[0]),
    ],
)
def test_the_codebook_defines_each_grade_in_the_words_of_the_help_text(
    page, table_id, model, field, choices, term
):
    help_text = str(model._meta.get_field(field).help_text)  # "High: … Medium: … Low: …"
    for choice in choices:
        meaning = help_text.split(f"{term(choice)}: ", 1)[1].split(". ", 1)[0].rstrip(".")
        cells = row(page, table_id, choice.value)
        assert choice.label.split(": ")[-1] in cells
        assert meaning[:1].upper() + meaning[1:] in cells, (choice, cells)


def test_the_codebook_lists_each_way_a_stage_follows_and_the_chain_rule(page):
    for kind in FollowKind:
        assert kind.label in row(page, "follow-kinds", kind.value)
    assert "a chain counts once, at its latest stage" in page.lower()


def test_the_codebook_follows_a_changed_weight(reader, monkeypatch):
    """Nothing is typed into the page: change a weight and the page says so."""
    monkeypatch.setitem(methodology.STATUS_WEIGHTS, DevelopmentStatus.ANNOUNCED, Decimal("0.6"))
    content = reader.get("/methodology/").content.decode()
    assert weight(row(content, "status-weights", "announced")) == "0.6"
    assert weight(row(content, "worked-example-table", "example-2")) == "+1.2"


# --- The worked example, computed by the code -------------------------------------------


def test_the_worked_example_total_is_the_sum_of_the_codes_points(reader):
    response = reader.get("/methodology/")
    example = response.context["example"]
    expected = sum(methodology.points(*link["inputs"]) for link in example)
    assert response.context["example_total"] == expected
    content = response.content.decode()
    total = row(content, "worked-example-table", "example-total")
    assert weight(total) == methodology.format_points(expected, signed=True)
    for number, link in enumerate(example, start=1):
        cells = row(content, "worked-example-table", f"example-{number}")
        assert weight(cells) == methodology.format_points(
            methodology.points(*link["inputs"]), signed=True
        )


def test_each_worked_link_shows_the_factors_that_multiply_to_its_points(reader):
    example = reader.get("/methodology/").context["example"]
    for link in example:
        product = Decimal(1)
        for _column, _value, factor in link["factors"]:
            product *= Decimal(factor)
        assert product == methodology.points(*link["inputs"]), link["title"]


def test_the_worked_example_covers_each_status_and_the_hindering_cancellation(reader):
    example = reader.get("/methodology/").context["example"]
    statuses = {link["inputs"][3] for link in example}
    assert statuses == set(DevelopmentStatus.values)
    assert ("hinders", "cancelled") in {(i[0], i[3]) for i in (x["inputs"] for x in example)}


def test_the_codebook_tells_as_of_from_a_snapshot(page):
    assert "as they are coded today" in page
    assert f'href="{reverse("tracker:snapshot-list")}"' in page


# --- The version on every page and in every download -------------------------------------

REPORT_PAGES = ["/", "/developments/", "/recommendations/TSU-2/", "/reports/matrix/", "/timeline/"]


@pytest.mark.parametrize("url", REPORT_PAGES)
def test_report_footers_name_the_methodology_version(reader, url):
    content = reader.get(url).content.decode()
    footer = content[content.index('<footer class="site-footer">') :]
    link = re.search(r'<a href="([^"]*)"[^>]*>Methodology v([^<]*)</a>', footer)
    assert link and link.groups() == (reverse("tracker:methodology"), methodology.VERSION)


def test_the_footer_reads_the_version_from_the_code(reader, monkeypatch):
    monkeypatch.setattr(methodology, "VERSION", "9.9")
    assert "Methodology v9.9" in reader.get("/").content.decode()


@pytest.mark.parametrize("url", ["/developments/", "/", "/reports/matrix/"])
def test_csv_exports_end_with_the_methodology_version(reader, url):
    body = downloaded(reader.get(url, {"_export": "csv"})).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[-1] == "Methodology" and header.count("Methodology") == 1
    assert rows and {r[-1] for r in rows} == {methodology.VERSION}


@pytest.mark.parametrize("url", ["/developments/", "/recommendations/TSU-2/", "/actors/"])
def test_json_exports_carry_the_methodology_version_in_each_object(reader, url):
    objects = json.loads(downloaded(reader.get(url, {"_export": "json"})))
    assert objects and all(o["Methodology"] == methodology.VERSION for o in objects)
    assert list(objects[0])[-1] == "Methodology"


def test_xlsx_exports_end_with_the_methodology_version(reader):
    response = reader.get("/developments/", {"_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(downloaded(response)), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[-1] == "Methodology"
    assert rows and {r[-1] for r in rows} == {methodology.VERSION}


def test_an_export_of_figures_taken_under_another_version_says_that_version():
    rows = iter([["Code", "Balance"], ["TSU-1", 3]])
    response = export_response(rows, "json", "old.json", version="1.0")
    assert json.loads(downloaded(response)) == [
        {"Code": "TSU-1", "Balance": 3, "Methodology": "1.0"}
    ]
