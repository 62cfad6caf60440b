"""Report exports stream: every table and figure export in every format is sent as it
is read, in chunks with a fixed number of queries each, and holds the same cells as
django-tables2's per-cell export and openpyxl's workbook gave before."""

import csv
import datetime
import io
import json
import math
import tempfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from tests.conftest import downloaded
from tests.factories import make_actor, make_development, make_evidence, make_kind, make_source
from tracker import downloads, progress, tables
from tracker.methodology import as_number
from tracker.models import (
    Citation,
    Development,
    Evidence,
    Framework,
    Recommendation,
    Source,
)
from tracker.tables import ActorTable, EvidenceTable

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "json", "xlsx"]
# Every export of a report page (the seed has one framework: / is its dashboard).
EXPORT_URLS = [
    "/developments/",
    "/recommendations/TSU-2/",
    "/actors/",
    "/actors/JP/",
    "/reports/matrix/",
    "/",
]


@pytest.fixture
def varied(seed):
    """Links of every stance, strength, confidence and source grade; texts a
    spreadsheet would run, with markup and control characters; a development with
    no actor and one with no source; an organisation without a region."""
    kind = make_kind(code="varied", name="Varied & <mixed>")
    make_actor(code="ORG-1", name="=ORG()", region="")
    tsu2 = Recommendation.objects.get(code="TSU-2")
    titles = ['=HYPERLINK("x")', 'Tab\tnew\nline, "quoted"', "Bell\x07 <b>&amp;</b>", "Plain"]
    for n, title in enumerate(titles):
        development = make_development(
            actors=[("JP", "ORG-1", "GB"), (), ("FR",), ("DE", "JP")][n],
            kind=kind,
            title=title,
            date=datetime.date(2023, 2, 1 + n),
        )
        if n != 1:
            reliability = list(Source.Reliability)[n % 3]
            Citation.objects.create(
                development=development, source=make_source(reliability=reliability)
            )
        make_evidence(
            development=development,
            recommendation=tsu2,
            stance=list(Evidence.Stance)[n % 2],
            strength=1 + n % 3,
            confidence=list(Evidence.Confidence)[n % 3],
            rationale=["+1 because", "Café ≠ cafe", "-dash", "@at"][n],
        )


def generic_export(monkeypatch, table_class):
    """The export as it was: django-tables2's value of each cell (downloads.table_rows)."""
    monkeypatch.delattr(table_class, "export_rows")


def openpyxl_xlsx(rows, title):
    """The XLSX as it was written: openpyxl's write-only workbook, saved whole."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([downloads.neutralise(value) for value in row])
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        yield spool.read()


def cells(content: bytes) -> list[tuple]:
    """A workbook's one sheet: its name and each row's values, as openpyxl reads them."""
    workbook = load_workbook(io.BytesIO(content))
    return [tuple(workbook.sheetnames), *workbook.active.values]


def fetch(client, url, query) -> bytes:
    response = client.get(url, query)
    assert response.status_code == 200, url
    return downloaded(response)


# --- Streamed ------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("url", EXPORT_URLS)
def test_every_export_is_a_streamed_download(reader, url, export_format):
    response = reader.get(url, {"_export": export_format})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert response["Content-Disposition"].endswith(f'.{export_format}"')
    content = downloaded(response)
    if export_format == "xlsx":
        header, *rows = list(load_workbook(io.BytesIO(content), read_only=True).active.values)
    elif export_format == "json":
        objects = json.loads(content)
        header, rows = list(objects[0]), [list(o.values()) for o in objects]
    else:
        header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header[-1] == "Methodology" and rows


@pytest.mark.parametrize("export_format", FORMATS)
def test_an_export_sends_its_first_bytes_before_reading_every_row(export_format):
    read = []

    def rows():
        yield ["Number", "Square"]
        for n in range(10_000):
            read.append(n)
            yield [n, n * n]

    response = downloads.export_response(rows(), export_format, f"squares.{export_format}")
    chunks = iter(response.streaming_content)
    while not read:  # a BOM or a bracket may come first, before any row is read
        next(chunks)
    assert len(read) <= 2 * downloads.LINES_PER_CHUNK
    assert sum(len(chunk) for chunk in chunks) > 0 and len(read) == 10_000


# --- The same cells as before -----------------------------------------------------------

EVIDENCE_SORTS = ["", "date", "-date", "development", "-kind", "stance", "-strength"]
EVIDENCE_SORTS += ["confidence", "-confidence", "source_grade", "-source_grade"]


@pytest.mark.parametrize("sort", EVIDENCE_SORTS)
@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_the_evidence_export_holds_the_cells_django_tables2_gave(
    reader, varied, monkeypatch, sort, export_format
):
    query = {"sort": sort, "_export": export_format}
    exported = fetch(reader, "/recommendations/TSU-2/", query)
    generic_export(monkeypatch, EvidenceTable)
    assert exported == fetch(reader, "/recommendations/TSU-2/", query)


@pytest.mark.parametrize("sort", ["", "name", "-kind", "region", "-net_score", "hindering"])
@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_the_actors_export_holds_the_cells_django_tables2_gave(
    reader, varied, monkeypatch, sort, export_format
):
    query = {"sort": sort, "_export": export_format}
    exported = fetch(reader, "/actors/", query)
    generic_export(monkeypatch, ActorTable)
    assert exported == fetch(reader, "/actors/", query)


def test_the_evidence_export_reads_as_before(reader, varied):
    body = fetch(reader, "/recommendations/TSU-2/", {"kind": "varied", "_export": "csv"})
    assert body.decode("utf-8").splitlines() == [
        "\ufeffDate,End date,Development,Kind,Actors,Stance,Strength,Confidence,"
        "Source grade,Rationale,Methodology",
        "2023-02-04,,Plain,Varied & <mixed>,DE;JP,hinders,1,low,A,'@at,2.0",
        "2023-02-03,,Bell <b>&amp;</b>,Varied & <mixed>,FR,advances,3,high,C,'-dash,2.0",
        '2023-02-02,,"Tab\tnew',
        'line, ""quoted""",Varied & <mixed>,,hinders,2,medium,—,Café ≠ cafe,2.0',
        '2023-02-01,,"\'=HYPERLINK(""x"")",Varied & <mixed>,GB;JP;ORG-1,advances,1,low,A,'
        "'+1 because,2.0",
    ]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/developments/", {"sort": "-source_grade"}),
        ("/recommendations/TSU-2/", {"sort": "-kind"}),
        ("/actors/", {"sort": "-net_score"}),
        ("/actors/JP/", {}),
        ("/reports/matrix/", {"group": "0"}),
        ("/", {}),
    ],
)
def test_the_xlsx_holds_the_cells_openpyxl_wrote(reader, varied, monkeypatch, url, query):
    streamed = fetch(reader, url, {**query, "_export": "xlsx"})
    monkeypatch.setattr(downloads, "_xlsx", openpyxl_xlsx)
    assert cells(streamed) == cells(fetch(reader, url, {**query, "_export": "xlsx"}))


def test_xlsx_cells_keep_their_types_and_lose_what_xml_cannot_hold():
    rows = [
        ["Text", "Whole", "Decimal", "Flag", "Empty", "Blank", "Markup"],
        ["=1+1", 12, 3.25, True, None, "", "a < b & c > d \x00\ufffe"],
        ["  spaced  ", 2**53, math.nan, False, 0, "x", "\tlead"],
    ]
    response = downloads.export_response(iter(rows), "xlsx", "types [1]: a?.xlsx")
    content = downloaded(response)
    assert cells(content) == [
        ("types -1-- a-",),
        ("Text", "Whole", "Decimal", "Flag", "Empty", "Blank", "Markup", "Methodology"),
        ("'=1+1", 12, 3.25, True, None, None, "a < b & c > d ", "2.0"),
        ("  spaced  ", 2**53, None, False, 0, "x", "'\tlead", "2.0"),
    ]
    read_only = load_workbook(io.BytesIO(content), read_only=True).active
    assert [row[6] for row in read_only.iter_rows(values_only=True)][1:] == [
        "a < b & c > d ",
        "'\tlead",
    ]


def test_an_xlsx_longer_than_a_worksheet_says_where_the_rest_is(monkeypatch):
    monkeypatch.setattr(downloads, "XLSX_MAX_ROWS", 5)
    rows = iter([["N"], *([n] for n in range(10))])
    values = cells(downloaded(downloads.export_response(rows, "xlsx", "long.xlsx")))[1:]
    assert values[:4] == [("N", "Methodology"), (0, "2.0"), (1, "2.0"), (2, "2.0")]
    assert len(values) == 5 and "CSV or JSON" in values[4][0]


def test_an_xlsx_that_just_fits_a_worksheet_is_whole(monkeypatch):
    monkeypatch.setattr(downloads, "XLSX_MAX_ROWS", 5)
    rows = iter([["N"], *([n] for n in range(4))])
    values = cells(downloaded(downloads.export_response(rows, "xlsx", "full.xlsx")))[1:]
    assert values == [("N", "Methodology"), *((n, "2.0") for n in range(4))]


# --- Queries: a fixed number per chunk --------------------------------------------------


def grow(rows: int):
    kind, tsu2 = make_kind(code="grown"), Recommendation.objects.get(code="TSU-2")
    for n in range(rows):
        development = make_development(actors=("JP", "GB"), kind=kind, title=f"Grown {n}")
        make_evidence(development=development, recommendation=tsu2)


def queries_of(client, url) -> int:
    client.get(url)  # sessions, content types, the cached figures: warm
    with CaptureQueriesContext(connection) as queries:
        downloaded(client.get(url))
    return len(queries)


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("url", EXPORT_URLS)
def test_an_export_makes_as_many_queries_for_more_rows(reader, url, export_format):
    url = f"{url}?_export={export_format}"
    few = queries_of(reader, url)
    grow(30)
    assert queries_of(reader, url) == few


@pytest.mark.parametrize("table", ["developments", "evidence"])
def test_a_table_export_reads_its_rows_and_their_actors_and_links_in_one_query(
    seed, monkeypatch, django_assert_num_queries, table
):
    monkeypatch.setattr(tables, "CHUNK_SIZE", 4)
    tsu2 = Recommendation.objects.get(code="TSU-2")

    def export():
        if table == "developments":
            data = Development.objects.filter(kind__code="grown")
            data = data.annotate(source_grade=tables.best_source_grade())
            return list(tables.DevelopmentTable(data).export_rows())
        data = tsu2.evidence.filter(development__kind__code="grown")
        data = data.annotate(source_grade=tables.best_source_grade("development"))
        return list(EvidenceTable(data).export_rows())

    for rows in (4, 8, 12):  # one chunk, two, three
        grow(4)
        with django_assert_num_queries(1):  # actors and links are joined in SQL
            exported = export()
        assert len(exported) == 1 + rows
        assert all("GB;JP" in row for row in exported[1:])  # sorted codes, ';'-joined


# --- The matrix: streamed in the page's order -------------------------------------------


@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("as_of", [None, datetime.date(2023, 2, 3)])
def test_the_matrix_export_holds_the_pages_rows_in_the_pages_order(varied, grouped, as_of):
    framework = Framework.objects.get(code="tsuruoka-2015")
    page = progress.matrix(as_of, grouped, framework)
    expected = [
        [row.group, row.actor.code, row.actor.name]
        + [v for cell in row.cells for v in (cell.count, as_number(cell.net_score))]
        for row in page.rows
    ]
    header, *rows = progress.matrix_export(as_of, grouped, framework)
    assert header[:5] == ["Group", "Code", "Actor", "TSU-1 links", "TSU-1 net score"]
    assert rows == expected and len(rows) > 3


def test_the_grouped_matrix_export_reads_its_cells_in_one_query(varied):
    framework = Framework.objects.get(code="tsuruoka-2015")
    actors = len(progress.matrix(None, True, framework).rows)
    with CaptureQueriesContext(connection) as queries:
        rows = list(progress.matrix_export(None, True, framework))
    assert len(rows) == actors + 1
    assert len([q for q in queries.captured_queries if "GROUP BY" in q["sql"]]) == 1
