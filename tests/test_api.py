"""The read API (/api/v1/): who may read it, what it shows (never a draft), the
figures it gives, its 304s, its throttling and its constant query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from tests.conftest import signed_in
from tests.factories import (
    make_actor,
    make_development,
    make_evidence,
    make_framework,
    make_member,
    make_recommendation,
    make_source,
)
from tracker import progress, snapshots
from tracker.models import Assessment, Citation, Development, Evidence, Recommendation
from tracker.roles import ANALYSTS, EDITORS

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
LISTS = (
    "frameworks",
    "recommendations",
    "developments",
    "evidence",
    "actors",
    "assessments",
    "sources",
    "snapshots",
)


def api(path: str) -> str:
    return f"/api/v1/{path}"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def every_row(client: Client, url: str) -> list[dict]:
    """Every row of a list, following its `next` links (numbered or cursor pages)."""
    rows: list[dict] = []
    while url:
        response = client.get(url)
        rows += results(response)
        url = response.json()["next"]
    return rows


@pytest.fixture
def token_for():
    def make(user) -> Client:
        client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return make


# --- Access: the reports' rule ----------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_anonymous_readers_get_401_asking_for_a_token(client, seed, name):
    response = client.get(api(f"{name}/"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("name", LISTS)
def test_public_reports_open_the_api_to_anonymous_readers(client, seed, settings, name):
    settings.TRACKER_PUBLIC_REPORTS = True
    assert client.get(api(f"{name}/")).status_code == 200


@pytest.mark.parametrize(
    ("role", "flags", "status"),
    [
        (None, {}, 403),
        (None, {"is_staff": True}, 403),
        (ANALYSTS, {"is_staff": True}, 200),
        (EDITORS, {"is_staff": True}, 200),
        (None, {"is_staff": True, "is_superuser": True}, 200),
    ],
    ids=["signed in, no role", "staff, no role", "analyst", "editor", "administrator"],
)
def test_each_role_reads_the_api_as_it_reads_the_reports(
    seed, django_user_model, token_for, role, flags, status
):
    user = make_member("someone", role, **flags)
    for client in (signed_in(user), token_for(user)):
        for name in LISTS:
            response = client.get(api(f"{name}/"))
            assert response.status_code == status, (name, response.content[:200])


def test_a_token_of_a_user_made_inactive_no_longer_reads(seed, analyst, token_for):
    client = token_for(analyst)
    assert client.get(api("frameworks/")).status_code == 200
    analyst.is_active = False
    analyst.save()
    assert client.get(api("frameworks/")).status_code == 401


def test_a_wrong_token_is_refused(seed):
    client = Client(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(api("frameworks/")).status_code == 401


def test_drf_create_token_makes_a_token_that_reads_the_api(seed, analyst):
    out = io.StringIO()
    call_command("drf_create_token", analyst.username, stdout=out)
    key = Token.objects.get(user=analyst).key
    assert key in out.getvalue()
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get(api("recommendations/"))
    assert response.status_code == 200


def test_administrators_manage_tokens_in_the_admin(seed, django_user_model, analyst):
    root = signed_in(make_member("root", is_staff=True, is_superuser=True))
    assert b"/admin/authtoken/tokenproxy/" in root.get("/admin/").content
    assert root.get("/admin/authtoken/tokenproxy/add/").status_code == 200
    response = root.post("/admin/authtoken/tokenproxy/add/", {"user": analyst.pk})
    assert response.status_code == 302
    assert Token.objects.filter(user=analyst).exists()


def test_editors_and_analysts_cannot_make_tokens_in_the_admin(seed, editor_client, editor):
    assert editor_client.get("/admin/authtoken/tokenproxy/").status_code == 403
    response = editor_client.post("/admin/authtoken/tokenproxy/add/", {"user": editor.pk})
    assert response.status_code == 403
    assert not Token.objects.exists()


def test_the_schema_and_the_docs_follow_the_same_rule(client, seed, settings, analyst_client):
    assert client.get("/api/schema/").status_code == 401
    response = client.get("/api/docs/")
    assert response.status_code == 302  # to sign in, as the report pages send them
    assert response["Location"] == "/accounts/login/?next=/api/docs/"
    assert analyst_client.get("/api/schema/").status_code == 200
    assert analyst_client.get("/api/docs/").status_code == 200
    settings.TRACKER_PUBLIC_REPORTS = True
    assert client.get("/api/docs/").status_code == 200


def test_what_only_signed_in_readers_see_is_kept_by_no_shared_cache(reader, settings, client):
    assert "private" in reader.get(api("frameworks/"))["Cache-Control"]
    settings.TRACKER_PUBLIC_REPORTS = True
    assert "private" not in client.get(api("frameworks/"))["Cache-Control"]


# --- Drafts never appear -----------------------------------------------------------------


@pytest.fixture
def with_drafts(seed, editor):
    """A draft development (with its own actor, source and evidence), a published one
    following the draft, and a draft assessment."""
    recommendation = Recommendation.objects.get(code="TSU-2")
    draft = make_development(
        title="A draft", actors=("ZZDRAFT",), published=False, created_by=editor
    )
    source = make_source(key="draft-only-source")
    Citation.objects.create(development=draft, source=source)
    make_evidence(development=draft, recommendation=recommendation)
    later = make_development(
        title="Follows a draft",
        date=datetime.date(2023, 2, 1),
        follows=draft,
        follows_as="fulfils",
    )
    assessment = Assessment.objects.create(
        recommendation=recommendation,
        assessed_on=datetime.date(2024, 6, 1),
        status=Assessment.Status.IMPLEMENTED,
        rationale="Drafted.",
        published=False,
        drafted_by=editor,
    )
    return {"draft": draft, "later": later, "assessment": assessment, "source": source}


def test_drafts_never_appear_in_any_list(reader, with_drafts):
    draft = with_drafts["draft"]
    developments = every_row(reader, api("developments/?page_size=5"))
    assert draft.key not in {row["key"] for row in developments}
    assert len(developments) == Development.objects.published().count()
    evidence = every_row(reader, api("evidence/"))
    assert draft.key not in {row["development_key"] for row in evidence}
    assert len(evidence) == Evidence.objects.published().count()
    assessments = every_row(reader, api("assessments/"))
    assert with_drafts["assessment"].pk not in {row["id"] for row in assessments}
    assert "ZZDRAFT" not in {row["code"] for row in every_row(reader, api("actors/"))}
    sources = {row["key"] for row in every_row(reader, api("sources/"))}
    assert "draft-only-source" not in sources
    assert sources  # the seed's, cited by published developments


def test_drafts_are_not_found_by_their_address(reader, with_drafts):
    draft_evidence = Evidence.objects.get(development=with_drafts["draft"])
    for path in (
        f"developments/{with_drafts['draft'].pk}/",
        f"evidence/{draft_evidence.pk}/",
        f"assessments/{with_drafts['assessment'].pk}/",
        "actors/ZZDRAFT/",
        "sources/draft-only-source/",
    ):
        assert reader.get(api(path)).status_code == 404, path


def test_a_stage_that_follows_a_draft_does_not_link_to_it(reader, with_drafts):
    row = reader.get(api(f"developments/{with_drafts['later'].pk}/")).json()
    assert row["follows"] is None
    assert row["follows_as"] == "fulfils"


def test_drafts_are_left_out_for_editors_too(editor_client, with_drafts):
    assert editor_client.get(api(f"developments/{with_drafts['draft'].pk}/")).status_code == 404


def test_a_recommendations_status_ignores_draft_assessments(reader, with_drafts):
    row = reader.get(api("recommendations/TSU-2/")).json()
    assert row["status_date"] != "2024-06-01"


# --- What the records say ----------------------------------------------------------------


def test_recommendations_carry_the_dashboards_status_balance_and_staleness(reader):
    data = progress.dashboard(None)
    expected = {figure["code"]: figure for figure in progress.dashboard_figures(data)}
    rows = every_row(reader, api("recommendations/"))
    assert {row["code"] for row in rows} == set(expected)
    for row in rows:
        figure = expected[row["code"]]
        assert row["status"] == (figure["status"] or None)
        assert (row["status_date"] or "") == figure["status_date"]
        assert row["advancing"] == figure["advancing"]
        assert row["hindering"] == figure["hindering"]
        assert row["balance"] == figure["balance"]
        assert row["links_since_assessment"] == figure["links_since_assessment"]
        assert row["balance_since_assessment"] == figure["balance_since_assessment"]
        assert row["stale"] == bool(figure["status"] and figure["links_since_assessment"])


def test_records_link_to_each_other_and_to_their_report_pages(reader):
    row = reader.get(api("recommendations/TSU-2/")).json()
    assert row["report_url"] == "http://testserver/recommendations/TSU-2/"
    framework = reader.get(row["framework"]).json()
    assert framework["report_url"] == f"http://testserver/frameworks/{framework['code']}/"
    listed = results(reader.get(framework["recommendations"]))
    assert "TSU-2" in {r["code"] for r in listed}
    evidence = every_row(reader, row["evidence"])
    assert evidence and {link["recommendation_code"] for link in evidence} == {"TSU-2"}
    development = reader.get(evidence[0]["development"]).json()
    assert development["report_url"].endswith(f"/developments/{development['id']}/")
    actor = reader.get(development["actors"][0]["url"]).json()
    assert actor["report_url"].endswith(f"/actors/{actor['code']}/")
    assert development["id"] in {d["id"] for d in every_row(reader, actor["developments"])}
    cited = next(d for d in every_row(reader, api("developments/")) if d["citations"])
    source = reader.get(cited["citations"][0]["source"]).json()
    assert cited["id"] in {d["id"] for d in every_row(reader, source["developments"])}
    if row["current_assessment"]:
        assert reader.get(row["current_assessment"]).json()["recommendation_code"] == "TSU-2"


def test_the_explorers_filters_narrow_the_developments(reader):
    def keys(query):
        return {row["key"] for row in every_row(reader, api(f"developments/?{query}"))}

    published = Development.objects.published()
    assert keys("kind=exercise") == set(
        published.filter(kind__code="exercise").values_list("key", flat=True)
    )
    assert keys("actor=GB&actor=FR") == set(
        published.filter(actors__code__in=["GB", "FR"]).values_list("key", flat=True)
    )
    tsu2 = Evidence.objects.filter(recommendation__code="TSU-2")
    assert keys("recommendation=TSU-2&stance=advances") == set(
        tsu2.filter(stance="advances").values_list("development__key", flat=True)
    )
    assert keys("date_after=2023-03-01&date_before=2023-03-31") == set(
        published.filter(date__range=("2023-03-01", "2023-03-31")).values_list("key", flat=True)
    )
    assert keys("status=announced") == set(
        published.filter(status="announced").values_list("key", flat=True)
    )
    first = published.first()
    word = first.title.split()[0]
    assert first.key in keys(f"q={word}")


def test_an_invalid_filter_is_a_400_naming_it(reader):
    response = reader.get(api("developments/?recommendation=NOPE-9"))
    assert response.status_code == 400
    assert "recommendation" in response.json()
    response = reader.get(api("developments/?date_after=2023-04-01&date_before=2023-01-01"))
    assert response.status_code == 400


def test_snapshots_list_their_figures_on_their_own_address(reader):
    snapshot = snapshots.take("API review")
    listed = results(reader.get(api("snapshots/")))
    assert [row["slug"] for row in listed] == [snapshot.slug]
    assert "figures" not in listed[0]
    detail = reader.get(listed[0]["url"]).json()
    assert detail["figures"] == snapshot.figures
    assert len(detail["links"]) == len(snapshot.links)
    assert detail["report_url"].endswith(snapshot.get_absolute_url())


def test_developments_and_evidence_page_by_cursor(reader):
    response = reader.get(api("developments/?page_size=3"))
    body = response.json()
    assert "count" not in body
    assert "cursor=" in body["next"]
    rows = every_row(reader, api("developments/?page_size=3"))
    assert [r["key"] for r in rows] == list(
        Development.objects.published()
        .order_by("-date", "title", "id")
        .values_list("key", flat=True)
    )


# --- ETag and Last-Modified from the data version --------------------------------------


def test_an_unchanged_list_answers_304_until_the_data_change(reader):
    url = api("developments/")
    first = reader.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    again = reader.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert reader.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    make_development(title="Something new")  # raises the data version
    changed = reader.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_each_address_has_its_own_etag(reader):
    first = reader.get(api("developments/"))["ETag"]
    filtered = reader.get(api("developments/?kind=exercise"))
    assert filtered["ETag"] != first
    assert reader.get(api("developments/"), HTTP_IF_NONE_MATCH=filtered["ETag"]).status_code == 200


def test_a_304_reads_no_list(reader):
    url = api("evidence/")
    etag = reader.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert not any("tracker_evidence" in query["sql"] for query in queries.captured_queries)


def test_a_reader_without_access_gets_no_304(client, seed, analyst_client):
    etag = analyst_client.get(api("frameworks/"))["ETag"]
    assert client.get(api("frameworks/"), HTTP_IF_NONE_MATCH=etag).status_code == 401


# --- Throttling ----------------------------------------------------------------------------


def test_each_user_is_throttled_on_their_own(seed, settings, analyst_client, editor_client):
    settings.TRACKER_API_USER_RATE = "3/minute"
    for _ in range(3):
        assert analyst_client.get(api("frameworks/")).status_code == 200
    refused = analyst_client.get(api("frameworks/"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert editor_client.get(api("frameworks/")).status_code == 200


def test_anonymous_readers_are_throttled_per_address(client, seed, settings):
    settings.TRACKER_PUBLIC_REPORTS = True
    settings.TRACKER_API_ANON_RATE = "2/minute"
    here = {"REMOTE_ADDR": "192.0.2.1"}
    for _ in range(2):
        assert client.get(api("frameworks/"), **here).status_code == 200
    assert client.get(api("frameworks/"), **here).status_code == 429
    # A made-up X-Forwarded-For does not make another reader (no proxy is set up).
    spoofed = {**here, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert client.get(api("frameworks/"), **spoofed).status_code == 429
    assert client.get(api("frameworks/"), REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_cache_that_does_not_answer_lets_requests_through(reader, monkeypatch, caplog):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from tracker.api import throttling

    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(throttling.UserThrottle, "cache", type("Down", (), {"get": down})())
    assert reader.get(api("frameworks/")).status_code == 200
    assert "API request not counted" in caplog.text


def test_a_rate_that_is_not_one_fails_at_start_up_by_name(monkeypatch):
    from config.settings import env_rate

    monkeypatch.setenv("TRACKER_API_USER_RATE", "lots")
    with pytest.raises(ImproperlyConfigured, match="TRACKER_API_USER_RATE"):
        env_rate("TRACKER_API_USER_RATE", "1200/minute")
    monkeypatch.setenv("TRACKER_API_USER_RATE", "50/hour")
    assert env_rate("TRACKER_API_USER_RATE", "1200/minute") == "50/hour"
    monkeypatch.delenv("TRACKER_API_USER_RATE")
    assert env_rate("TRACKER_API_USER_RATE", "1200/minute") == "1200/minute"


# --- Query counts stay constant as the data grow -----------------------------------------


def grow(rows: int) -> None:
    """`rows` more published developments, each with two actors, a source and two
    evidence links, and as many recommendations, actors, sources and assessments."""
    framework = make_framework(code=f"grown-{rows}-{Development.objects.count()}")
    for n in range(rows):
        recommendation = make_recommendation(framework=framework)
        development = make_development(actors=("JP", f"ZZ{n}{rows}"[:16]))
        Citation.objects.create(development=development, source=make_source())
        make_evidence(development=development, recommendation=recommendation)
        make_evidence(development=development, recommendation=Recommendation.objects.first())
        make_actor(f"ZZ{n}{rows}"[:16])
        Assessment.objects.create(
            recommendation=recommendation,
            assessed_on=datetime.date(2022, 1, 1),
            status=Assessment.Status.IN_PROGRESS,
            rationale="Grown.",
        )
    snapshots.take(f"Grown {rows}")


def queries_of(client, url) -> int:
    """The queries of one answer, its figures computed (not read from the cache)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("name", LISTS)
def test_each_list_and_record_takes_as_many_queries_at_two_sizes(reader, name):
    grow(3)
    list_url = api(f"{name}/")
    detail_url = results(reader.get(list_url))[0]["url"]
    reader.get(list_url)  # the session and content types: warm
    small = (queries_of(reader, list_url), queries_of(reader, detail_url))
    grow(12)
    large = (queries_of(reader, list_url), queries_of(reader, detail_url))
    assert large == small
    # Sign-in (session, user), the permission check (the user's and their groups'
    # permissions), the data version, then the page: a count and the rows, and for
    # developments their kinds, actors, citations and evidence (prefetched).
    assert max(large) <= 10


def test_a_page_of_recommendations_takes_as_many_queries_whatever_its_size(reader):
    grow(6)
    assert queries_of(reader, api("recommendations/?page_size=2")) == queries_of(
        reader, api("recommendations/?page_size=8")
    )
