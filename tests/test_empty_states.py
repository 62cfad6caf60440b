"""Empty and error states speak to readers (issue 14): every report page, on an
empty database, with records that have nothing linked to them yet, and with filters
that match nothing, read by an editor and by an analyst.

The pages are enumerated from tracker/urls.py, so a new report page fails here until
it says what it shows when there is nothing to show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, reverse

from tests.factories import make_development, make_framework, make_recommendation
from tracker import snapshots
from tracker.models import Actor, Development, Framework, Recommendation, Snapshot
from tracker.urls import urlpatterns

# Every test here uses the database: those without the seed start from empty tables
# (tests/conftest.py), the clients being asked for by name through `role`.
pytestmark = pytest.mark.django_db

PATTERNS = {pattern.name: pattern for pattern in urlpatterns if isinstance(pattern, URLPattern)}
# What a developer types, never what a reader of a report should be asked to.
DEVELOPER_WORDS = ("manage.py", "make ", "`", "seed")


def needs_a_record(name: str) -> bool:
    return bool(PATTERNS[name].pattern.converters)


class VisibleText(HTMLParser):
    """The words a reader sees in a page's <main> (or a feed's), and its links."""

    def __init__(self):
        super().__init__()
        self.words: list[str] = []
        self.links: list[str] = []
        self._in_main = self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self._in_main += 1
        if tag in {"script", "style", "title"}:
            self._hidden += 1
        if tag == "a" and self._in_main:
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main -= 1
        if tag in {"script", "style", "title"}:
            self._hidden -= 1

    def handle_data(self, data):
        if self._in_main and not self._hidden:
            self.words.append(data)


@dataclass
class Page:
    status: int
    text: str  # what <main> says, spaces collapsed (a feed: all of it)
    links: list[str]  # the links in <main>


def read(client, url: str, params: dict | None = None) -> Page:
    response = client.get(url, params or {})
    body = response.content.decode()
    if response["Content-Type"].startswith("text/html"):
        parser = VisibleText()
        parser.feed(body)
        text, links = " ".join(parser.words), parser.links
    else:  # a feed
        text, links = body, []
    return Page(response.status_code, re.sub(r"\s+", " ", text).strip(), links)


def speaks_to_readers(page: Page) -> None:
    for word in DEVELOPER_WORDS:
        assert word not in page.text.lower(), f"{word!r} on the page: {page.text[:400]}"


ADD_DEVELOPMENT = "/admin/tracker/development/add/"


@pytest.fixture(params=["editor", "analyst"])
def role(request):
    """(role, client): each page is read by an editor and by an analyst."""
    return request.param, request.getfixturevalue(f"{request.param}_client")


# --- An empty database -----------------------------------------------------------

# What each page without a record in its address says on an empty database.
NOTHING_YET = {
    "dashboard": "No frameworks yet.",
    "methodology": None,  # the codebook: the same on every database
    "development-list": "No developments yet.",
    "feed": None,  # an Atom feed without entries
    "actor-list": "No actors yet. An actor appears here once a published development names it.",
    "matrix": "No frameworks yet: the matrix fills in",
    "timeline": "No frameworks yet: the timeline fills in",
    "changes": "No published judgement has been changed yet.",
    "changes-feed": None,
    "snapshot-list": "No snapshots yet.",
}


def test_every_page_without_a_record_in_its_address_says_what_it_shows_when_empty():
    assert set(NOTHING_YET) == {name for name in PATTERNS if not needs_a_record(name)}


@pytest.mark.parametrize("name", sorted(NOTHING_YET))
def test_an_empty_database_reads_as_nothing_yet(role, name):
    _, client = role
    page = read(client, reverse(f"tracker:{name}"))
    assert page.status == 200
    speaks_to_readers(page)
    if NOTHING_YET[name]:
        assert NOTHING_YET[name] in page.text
    assert "No developments match" not in page.text  # no filter was set
    assert not re.search(r"\bNo (developments|actors|frameworks)\b(?! yet)", page.text), (
        "a count of nothing beside the words that say so"
    )


# A missing record's address, for each converter: the 404 page, in words.
MISSING = {"IntConverter": 999_999, "SlugConverter": "no-such-thing", "StringConverter": "NOPE"}


@pytest.mark.parametrize("name", sorted(n for n in PATTERNS if needs_a_record(n)))
def test_a_missing_record_is_a_404_in_plain_words(role, name):
    _, client = role
    converters = PATTERNS[name].pattern.converters
    kwargs = {key: MISSING[type(converter).__name__] for key, converter in converters.items()}
    page = read(client, reverse(f"tracker:{name}", kwargs=kwargs))
    assert page.status == 404
    speaks_to_readers(page)
    assert "There is no page at this address" in page.text


def test_the_dashboard_shows_where_to_add_a_framework_only_to_who_may(admin_client, role):
    _, client = role
    assert "/admin/tracker/framework/add/" not in read(client, "/").links
    admin_page = read(admin_client, "/")
    assert "/admin/tracker/framework/add/" in admin_page.links
    assert "Add a framework in the admin" in admin_page.text


@pytest.mark.parametrize("name", ["development-list", "actor-list", "dashboard"])
def test_editors_are_shown_where_to_add_a_development_analysts_plain_words(role, name):
    who, client = role
    page = read(client, reverse(f"tracker:{name}"))
    if who == "editor":
        assert ADD_DEVELOPMENT in page.links
    else:
        assert not [link for link in page.links if link.startswith("/admin/")]


# --- Records with nothing linked to them yet ----------------------------------------


@dataclass
class Bare:
    framework: Framework  # one recommendation, no evidence
    empty_framework: Framework  # no recommendations at all
    recommendation: Recommendation
    development: Development  # published, names an actor, links to nothing
    actor: Actor
    snapshot: Snapshot


@pytest.fixture
def bare(db) -> Bare:
    framework = make_framework("bare-2020", title="A bare framework")
    empty = make_framework("empty-2021", title="An empty framework", year=2021)
    recommendation = make_recommendation(framework=framework)
    development = make_development(actors=("JP",))
    return Bare(
        framework,
        empty,
        recommendation,
        development,
        Actor.objects.get(code="JP"),
        snapshots.take("A snapshot of nothing much"),
    )


# Each page with a record in its address: that record's address, and what it says
# of what it does not have yet.
RECORD_PAGES = {
    "framework-dashboard": (
        lambda bare: {"code": bare.empty_framework.code},
        "No recommendations in this framework yet.",
    ),
    "development-detail": (
        lambda bare: {"pk": bare.development.pk},
        "Not yet linked to any recommendation. Sources No source cited.",
    ),
    "actor-detail": (
        lambda bare: {"code": bare.actor.code},
        "None of this actor's developments is linked to a recommendation yet.",
    ),
    "snapshot-detail": (lambda bare: {"slug": bare.snapshot.slug}, "Nothing has changed."),
    "recommendation-feed": (lambda bare: {"code": bare.recommendation.code}, None),
    "recommendation-detail": (
        lambda bare: {"code": bare.recommendation.code},
        "No evidence yet: no development is linked to this recommendation.",
    ),
}


def test_every_page_with_a_record_in_its_address_is_read_bare():
    assert set(RECORD_PAGES) == {name for name in PATTERNS if needs_a_record(name)}


@pytest.mark.parametrize("name", sorted(RECORD_PAGES))
def test_a_record_with_nothing_linked_reads_as_nothing_yet(role, bare, name):
    _, client = role
    kwargs, message = RECORD_PAGES[name]
    page = read(client, reverse(f"tracker:{name}", kwargs=kwargs(bare)))
    assert page.status == 200
    speaks_to_readers(page)
    if message:
        assert message in page.text
    assert "match these filters" not in page.text


# --- Filters that match nothing, on the seed -----------------------------------------

NEVER = {"date_after": "1900-01-01", "date_before": "1900-01-02"}  # before any record
# Each page that can be filtered: its address, a filter that matches nothing on the
# seed, and what the page then says.
NO_MATCH = {
    "dashboard": (None, {"as_of": "1900-01-01"}, "No evidence is dated on or before 1 January"),
    "development-list": (None, {"q": "zyzzyva quux"}, "No developments match these filters."),
    "recommendation-detail": (
        lambda: {"code": "TSU-1"},
        NEVER,
        "No evidence matches these filters.",
    ),
    "matrix": (None, {"as_of": "1900-01-01"}, "No evidence for this framework by this date."),
    "timeline": (None, {"as_of": "1900-01-01"}, "No evidence is dated on or before 1 January"),
    "changes": (
        None,
        {"recommendation": "TSU-3"},
        "No published judgement on TSU-3 has been changed since it was published.",
    ),
}
# Pages without filters (or whose only filter names a record: the pages above cover it).
UNFILTERED = {
    "methodology",
    "feed",
    "actor-list",
    "actor-detail",
    "development-detail",
    "snapshot-list",
    "snapshot-detail",
    "framework-dashboard",
    "changes-feed",
    "recommendation-feed",
}


def test_every_page_is_filtered_here_or_has_no_filters():
    assert set(NO_MATCH) | UNFILTERED == set(PATTERNS)
    assert not set(NO_MATCH) & UNFILTERED


@pytest.mark.parametrize("name", sorted(NO_MATCH))
def test_a_filter_that_matches_nothing_says_so(role, seed, name):
    _, client = role
    kwargs, params, message = NO_MATCH[name]
    page = read(client, reverse(f"tracker:{name}", kwargs=kwargs() if kwargs else None), params)
    assert page.status == 200
    speaks_to_readers(page)
    assert message in page.text
    assert "yet." not in page.text.split(message)[-1][:200]  # not "nothing yet" after all
    assert ADD_DEVELOPMENT not in page.links  # nothing to add: the filter hides what there is


def test_an_as_of_date_before_the_evidence_empties_the_recommendation_table(role, seed):
    _, client = role
    page = read(client, "/recommendations/TSU-1/", {"as_of": "1900-01-01"})
    assert "No evidence is dated on or before 1 January 1900." in page.text


def test_the_portfolio_says_when_no_framework_matches(role, seed):
    _, client = role
    make_framework("other-2020", title="Another framework")
    page = read(client, "/", {"q": "zyzzyva"})
    assert page.status == 200
    speaks_to_readers(page)
    assert "No framework's code, title or author contains “zyzzyva”." in page.text
    assert "No frameworks" not in page.text  # no empty count beside it


def test_a_filter_that_cannot_be_used_is_not_read_as_nothing_yet(role, seed):
    _, client = role
    page = read(client, "/developments/", {"recommendation": "NOPE"})
    assert "No recommendation has that code." in page.text
    assert "No developments match these filters." in page.text
    assert "No developments yet" not in page.text


def test_a_page_past_the_end_says_how_many_pages_there_are(role, seed):
    _, client = role
    page = read(client, "/developments/", {"page": "40"})
    assert page.status == 404
    speaks_to_readers(page)
    assert re.search(r"There (is|are) \d+ pages? of developments; page 40 is past", page.text)
