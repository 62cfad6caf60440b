"""Reports that read well (issue 14): actors and recommendations by name, not code, and
one date style on every page ('9 January 2023', 'January 2023', '2023'), while the
exports keep codes and ISO dates."""

from __future__ import annotations

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET
from html import unescape as html_unescape
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import URLPattern

from tests.conftest import downloaded
from tests.factories import make_development, make_evidence, make_framework
from tracker import corrections, dates, urls
from tracker.models import Actor, Development, Recommendation, Snapshot
from tracker.templatetags.tracker import when

pytestmark = pytest.mark.django_db

# What a reader must never see: a date as a database writes it, or as Django's default
# date format (and American usage) writes it.
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
US_DATE = re.compile(r"\b[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\b")
# A month cut short ('9 Jan 2023'): only a chart's axis, short of room, writes one.
SHORT_MONTH = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{4}\b")


class VisibleText(HTMLParser):
    """The text a reader sees or hears: the page's text and its tooltips and labels
    (title, aria-label, alt); not addresses, form values or <time datetime>."""

    SEEN_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.times: list[str] = []
        self.outside_charts: list[str] = []
        self.in_chart = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden += 1
        if tag == "svg":
            self.in_chart += 1
        for name, value in attrs:
            if name in self.SEEN_ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "time" and name == "datetime":
                self.times.append(value or "")

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.hidden -= 1
        if tag == "svg":
            self.in_chart -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)
            if not self.in_chart:
                self.outside_charts.append(data)


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def cell_texts(html: str, label: str) -> list[str]:
    """The text of each cell labelled `label` (data-label) in a report table."""
    cells = re.findall(rf'<td[^>]*data-label="{label}"[^>]*>(.*?)</td>', html, re.S)
    return [" ".join(html_unescape(re.sub(r"<[^>]+>", "", cell)).split()) for cell in cells]


# --- Names, not codes ---------------------------------------------------------------------


def test_the_explorer_names_its_actors_and_its_export_keeps_their_codes(reader):
    page = reader.get("/developments/").content.decode()
    actors = cell_texts(page, "Actors")
    assert "Greece, Japan" in actors
    # A long organisation's name reads as its acronym, the name given on hover.
    assert '<abbr title="European External Action Service">EEAS</abbr>' in page
    assert "EEAS, European Union, Japan" in actors
    assert not any(re.fullmatch(r"[A-Z]{2}(, [A-Z]{2})*", cell) for cell in actors)
    exported = downloaded(reader.get("/developments/", {"_export": "csv"})).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {"EEAS;EU;JP", "GR;JP"} <= {row["Actors"] for row in rows}
    assert all(
        ISO_DATE.fullmatch(row["Date"]) or re.fullmatch(r"\d{4}(-\d{2})?", row["Date"])
        for row in rows
    )


def test_the_evidence_table_names_the_actors_and_its_export_keeps_codes(reader):
    page = reader.get("/recommendations/TSU-2/").content.decode()
    actors = cell_texts(page, "Actors")
    assert "Australia, Japan, United Kingdom" in actors
    assert "France, Japan, United States" in actors
    exported = downloaded(reader.get("/recommendations/TSU-2/", {"_export": "csv"}))
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert "AU;GB;JP" in {row["Actors"] for row in rows}


def test_an_evidence_link_names_its_recommendation_on_hover(reader):
    page = reader.get("/developments/").content.decode()
    assert "Advances TSU-2: Interoperability through joint exercises; strength" in page


def test_the_actor_list_links_each_actor_by_name(reader):
    page = reader.get("/actors/").content.decode()
    assert '<a href="/actors/JP/">Japan</a>' in page


def test_a_development_names_its_actors_with_links_to_them(reader):
    development = Development.objects.get(title="Kishida and Macron meet in Paris")
    page = reader.get(development.get_absolute_url()).content.decode()
    assert '<a href="/actors/FR/">France</a> <span class="code">FR</span>' in page


def test_the_matrix_heads_its_columns_with_titles_and_keys_the_codes(reader):
    page = reader.get("/reports/matrix/").content.decode()
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    key = re.search(r'<dl class="column-key">(.*?)</dl>', page, re.S).group(1)
    for recommendation in Recommendation.objects.all():
        assert f'<span class="rec-title">{recommendation.title}</span>' in header.replace(
            "&#x27;", "'"
        ).replace("’", "’")
        assert f"<dt>{recommendation.code}</dt> <dd>{recommendation.title}</dd>" in key
    # The export keeps the codes its header has always had.
    exported = downloaded(reader.get("/reports/matrix/", {"_export": "csv"}))
    assert "TSU-1 links,TSU-1 net score" in exported.decode("utf-8-sig").splitlines()[0]


def test_a_state_reads_as_its_name_however_long(db):
    from tracker.tables import actor_names

    state = Actor(code="IR", name="Iran, Islamic Republic of", kind=Actor.Kind.STATE)
    short = Actor(code="G7", name="Group of Seven", kind=Actor.Kind.ORGANISATION)
    long = Actor(code="NATO", name="North Atlantic Treaty Organization", kind="organisation")
    assert actor_names([long, state, short]) == (
        '<span title="G7">Group of Seven</span>, '
        '<span title="IR">Iran, Islamic Republic of</span>, '
        '<abbr title="North Atlantic Treaty Organization">NATO</abbr>'
    )


@pytest.mark.parametrize(
    "url",
    ["/developments/", "/recommendations/TSU-2/", "/reports/matrix/", "/actors/JP/", "/"],
)
def test_names_cost_no_query_per_row(reader, assert_constant_queries, url):
    tsu2 = Recommendation.objects.get(code="TSU-2")
    nato = Actor.objects.get(code="NATO")

    def grow():
        for _ in range(20):
            development = make_development(actors=("JP", "GB", "FR"))
            development.actors.add(nato)
            make_evidence(development=development, recommendation=tsu2)

    assert_constant_queries(reader, url, grow)


# --- One date style ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.date(2023, 1, 9), '<time datetime="2023-01-09">9 January 2023</time>'),
        ("2023-01-09", '<time datetime="2023-01-09">9 January 2023</time>'),
        (None, ""),
        ("", ""),
    ],
)
def test_a_date_reads_in_words_and_keeps_its_iso_form_for_machines(value, expected):
    assert when(value) == expected


@pytest.mark.parametrize(
    ("start", "end", "precision", "expected"),
    [
        (datetime.date(2023, 1, 1), None, "month", '<time datetime="2023-01">January 2023</time>'),
        (datetime.date(2023, 1, 1), None, "year", '<time datetime="2023">2023</time>'),
        (datetime.date(2023, 1, 1), datetime.date(2023, 2, 1), "month", "January–February 2023"),
        (
            datetime.date(2023, 1, 9),
            datetime.date(2023, 1, 9),
            "day",
            '<time datetime="2023-01-09">9 January 2023</time>',
        ),
    ],
)
def test_a_development_reads_at_its_precision(start, end, precision, expected):
    development = Development(date=start, end_date=end, precision=precision)
    assert when(development) == expected


def test_a_moment_reads_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime.datetime(2023, 1, 9, 13, 5, tzinfo=datetime.UTC)
    assert dates.format_moment(moment) == "9 January 2023, 14:05"
    assert when(moment) == '<time datetime="2023-01-09T14:05+01:00">9 January 2023, 14:05</time>'


def report_pages() -> dict[str, list[str]]:
    """Every report page (tracker/urls.py), with the seed's objects (and a snapshot, a
    correction, a second framework) so that each shows the dates it can."""
    snapshot = Snapshot.objects.get()
    development_pages = [d.get_absolute_url() for d in Development.objects.published()]
    return {
        "dashboard": ["/", "/?as_of=2023-01-20"],
        "framework-dashboard": ["/frameworks/tsuruoka-2015/", "/frameworks/names-2020/"],
        "methodology": ["/methodology/"],
        "development-list": ["/developments/", "/developments/?per_page=100&sort=date"],
        "development-detail": development_pages,
        "feed": ["/developments/feed/"],
        "actor-list": ["/actors/"],
        "actor-detail": [f"/actors/{code}/" for code in ("JP", "EU", "NATO")],
        "matrix": ["/reports/matrix/", "/reports/matrix/?as_of=2023-01-10"],
        "timeline": ["/timeline/", "/timeline/?as_of=2023-01-10"],
        "changes": ["/changes/", "/changes/?recommendation=TSU-2"],
        "changes-feed": ["/changes/feed/"],
        "snapshot-list": ["/snapshots/"],
        "snapshot-detail": [snapshot.get_absolute_url()],
        "recommendation-feed": [f"/recommendations/{code}/feed/" for code in ("TSU-1", "TSU-2")],
        "recommendation-detail": [
            *(f"/recommendations/{r.code}/" for r in Recommendation.objects.all()),
            "/recommendations/TSU-2/?as_of=2023-01-10",
        ],
    }


@pytest.fixture
def every_date_shown(seed, editor):
    """The seed, with what shows the remaining kinds of date: a snapshot (taken on a
    day, with its status dates), a correction (made at a moment), an assessment whose
    date the verdict shows."""
    call_command("take_snapshot", title="2026 Q4 review", stdout=io.StringIO())
    before = {
        "title": "The RAA",
        "evidence": [
            dict(recommendation="TSU-2", stance="advances", strength=3, confidence="medium")
        ],
    }
    after = {**before, "evidence": [{**before["evidence"][0], "strength": 2}]}
    corrections.record(corrections.changes(before, after), reason="Recoded.", made_by=editor)
    make_framework(code="names-2020", title="Second framework")  # / is the portfolio


def test_every_report_page_writes_dates_in_words(reader, every_date_shown):
    pages = report_pages()
    named = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)}
    assert set(pages) == named, "a new report page: list it here"
    shown_times = 0
    for name, addresses in pages.items():
        for url in addresses:
            response = reader.get(url)
            assert response.status_code == 200, url
            body = downloaded(response).decode()
            if "feed" in name:
                texts = [
                    element.text or ""
                    for element in ET.fromstring(body).iter()
                    if element.tag.rsplit("}", 1)[-1] in {"title", "summary", "subtitle"}
                ]
            else:
                seen = visible(body)
                texts = seen.parts
                shown_times += len(seen.times)
                assert all(
                    re.fullmatch(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}[+-]\d{2}:\d{2})?)?)?", t)
                    for t in seen.times
                ), (url, seen.times)
            text = re.sub(r"https?://\S+", "", " ".join(texts))  # an address is no date
            assert not ISO_DATE.search(text), (url, ISO_DATE.findall(text))
            assert not US_DATE.search(text), (url, US_DATE.findall(text))
    assert shown_times > 100  # the pages do show dates, in <time> elements


def test_no_page_cuts_a_month_short_outside_its_charts(reader, every_date_shown):
    for name, addresses in report_pages().items():
        if "feed" in name:
            continue
        for url in addresses:
            text = " ".join(visible(downloaded(reader.get(url)).decode()).outside_charts)
            assert not SHORT_MONTH.search(text), (url, SHORT_MONTH.findall(text))
