"""Actors, matrix, timeline, feeds and the recommendation page's evidence table."""

import csv
import html
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.db.models import Count

from tests.conftest import downloaded
from tests.factories import links_drawn, make_actor, make_development, make_evidence
from tracker.models import Actor, Development, Evidence, Recommendation
from tracker.progress import MATRIX_GROUPS

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize(
    "url",
    [
        "/actors/",
        "/actors/NATO/",
        "/reports/matrix/",
        "/timeline/",
        "/developments/feed/",
        "/recommendations/TSU-3/feed/",
    ],
)
def test_more_reports_need_sign_in(client, seed, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_actor_list_counts_developments_and_evidence(reader):
    table = reader.get("/actors/").context["table"]
    japan = next(row.record for row in table.page.object_list if row.record.code == "JP")
    assert japan.development_count == Actor.objects.get(code="JP").developments.count()
    assert (
        japan.advancing
        == Evidence.objects.filter(development__actors__code="JP", stance="advances").count()
    )


def test_actor_page_shows_its_evidence_per_recommendation(reader):
    response = reader.get("/actors/NATO/")
    content = response.content.decode()
    assert "North Atlantic Treaty Organization" in content
    by_recommendation = {r.code: r for r in response.context["by_recommendation"].shown}
    assert set(by_recommendation) == set(
        Evidence.objects.filter(development__actors__code="NATO").values_list(
            "recommendation__code", flat=True
        )
    )
    assert by_recommendation["TSU-3"].advancing == 1
    assert "Stoltenberg" in content or "NATO" in content


def test_an_actor_page_shows_the_recommendations_with_most_links_first(reader, monkeypatch):
    from tracker import progress

    links = dict(
        Evidence.objects.filter(development__actors__code="JP")
        .values("recommendation__code")
        .annotate(n=Count("pk"))
        .values_list("recommendation__code", "n")
    )
    assert len(links) >= 2
    monkeypatch.setattr(progress, "ACTOR_RECOMMENDATIONS_SHOWN", 1)
    response = reader.get("/actors/JP/")
    shown = response.context["by_recommendation"]
    busiest = max(links.values())
    assert [r.code for r in shown.shown] == [
        min(code for code, n in links.items() if n == busiest)
    ]
    assert shown.total == len(links)
    assert f"of {len(links)}." in response.content.decode()


def test_actor_codes_are_case_insensitive_and_unknown_ones_not_found(reader):
    assert reader.get("/actors/nato/").status_code == 200
    response = reader.get("/actors/ZZZ/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_matrix_groups_rows_and_scores_each_cell(reader):
    matrix = reader.get("/reports/matrix/").context["matrix"]
    groups = dict(matrix.groups())
    assert list(groups) == list(MATRIX_GROUPS)
    assert {row.actor.code for row in groups["Organisations"]} == {"NATO", "EU", "EEAS"}
    assert "DE" in {row.actor.code for row in groups["European states"]}
    germany = next(row for row in matrix.rows if row.actor.code == "DE")
    codes = [r.code for r in matrix.recommendations]
    tsu3 = germany.cells[codes.index("TSU-3")]
    # Scholz: moderate (2), a verbal meeting (1), coded with low confidence (0.5).
    assert (tsu3.count, tsu3.net_score) == (1, -1)
    assert tsu3.shade.startswith("hin-")


def test_matrix_ungrouped_lists_the_most_active_first(reader):
    matrix = reader.get("/reports/matrix/", {"group": "0"}).context["matrix"]
    assert matrix.rows[0].actor.code == "JP"
    assert b'class="group"' not in reader.get("/reports/matrix/", {"group": "0"}).content


def test_matrix_as_of_counts_only_evidence_dated_by_then(reader):
    matrix = reader.get("/reports/matrix/", {"as_of": "2022-12-31"}).context["matrix"]
    counted = sum(cell.count for row in matrix.rows for cell in row.cells)
    actors_per_link = sum(
        e.development.actors.count()
        for e in Evidence.objects.filter(development__date__lte="2022-12-31")
    )
    assert counted == actors_per_link > 0


def test_matrix_exports_links_and_scores_per_recommendation(reader):
    response = reader.get("/reports/matrix/", {"_export": "csv"})
    rows = list(csv.DictReader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    nato = next(r for r in rows if r["Code"] == "NATO")
    assert (nato["TSU-3 links"], nato["TSU-3 net score"]) == ("1", "3")
    assert nato["Group"] == "Organisations"


@pytest.mark.parametrize(
    ("query", "group_link", "csv_link"),
    [
        ({}, "?group=0", "?_export=csv"),
        (
            {"as_of": "2023-01-10"},
            "?as_of=2023-01-10&group=0",
            "?as_of=2023-01-10&_export=csv",
        ),
        (
            {"as_of": "2023-01-10", "group": "0"},
            "?as_of=2023-01-10&group=1",
            "?as_of=2023-01-10&group=0&_export=csv",
        ),
        # A date that is not one is left out of the link, as the page leaves it out.
        ({"as_of": "soon"}, "?group=0", "?as_of=soon&_export=csv"),
    ],
)
def test_matrix_links_keep_the_snapshot_date(reader, query, group_link, csv_link):
    content = reader.get("/reports/matrix/", query).content.decode()
    links = [html.unescape(link) for link in re.findall(r'<a href="(\?[^"]*)"', content)]
    assert group_link in links
    assert csv_link in links


def test_timeline_has_a_lane_per_recommendation_and_a_mark_per_link(reader):
    response = reader.get("/timeline/")
    lanes = response.context["lanes"]
    assert [lane.recommendation.code for lane in lanes] == ["TSU-1", "TSU-2", "TSU-3"]
    assert sum(len(lane.marks) for lane in lanes) == Evidence.objects.count()
    content = response.content.decode()
    assert links_drawn(content) == Evidence.objects.count()
    assert 'role="group"' in content


def test_timeline_before_any_data_says_so(reader):
    response = reader.get("/timeline/", {"as_of": "1990-01-01"})
    assert response.status_code == 200
    assert "No evidence is dated on or before 1 January 1990" in response.content.decode()


def test_recommendation_evidence_table_filters_and_exports(reader):
    response = reader.get("/recommendations/TSU-2/", {"actor": "AU"})
    rows = response.context["table"].page.object_list
    assert [row.record.development.key for row in rows] == [
        "2023-01-08-paratroop-drill-uk-australia"
    ]
    export = reader.get("/recommendations/TSU-2/", {"strength": "3", "_export": "csv"})
    exported = list(csv.DictReader(io.StringIO(downloaded(export).decode("utf-8-sig"))))
    assert {r["Strength"] for r in exported} == {"3"}
    assert (
        len(exported) == Evidence.objects.filter(recommendation__code="TSU-2", strength=3).count()
    )


def test_recommendation_page_as_of_limits_history_chart_and_evidence(reader):
    response = reader.get("/recommendations/TSU-2/", {"as_of": "2023-01-08"})
    table = response.context["table"]
    assert {row.record.development.date.isoformat() <= "2023-01-08" for row in table.rows} == {
        True
    }
    assert response.context["history"] == []
    assert "Not yet assessed by this date" in response.content.decode()


def test_recommendation_page_lists_the_actors_contributing_most(reader):
    top = list(reader.get("/recommendations/TSU-2/").context["top_actors"])
    assert top[0].code == "JP"
    assert (
        top[0].links
        == Evidence.objects.filter(
            recommendation__code="TSU-2", development__actors__code="JP"
        ).count()
    )


@pytest.mark.parametrize(
    "query",
    [
        {"stance": "maybe"},
        {"strength": "7"},
        {"actor": "QQ"},
        {"kind": "volcano"},
        {"date_after": "2023-02-31"},
        {"as_of": "31/01/2023"},
        {"page": "2"},
    ],
)
def test_recommendation_page_survives_bad_input(reader, query):
    response = reader.get("/recommendations/TSU-1/", query)
    assert response.status_code in (200, 404)


def test_feeds_are_atom_with_the_newest_first(reader):
    newest = make_development(title="Newest development", actors=("JP",))
    make_evidence(development=newest, recommendation=Recommendation.objects.get(code="TSU-3"))
    overall = ET.fromstring(reader.get("/developments/feed/").content)
    titles = [e.findtext(f"{ATOM}title") for e in overall.iter(f"{ATOM}entry")]
    assert titles[0].endswith("Newest development")
    per_recommendation = ET.fromstring(reader.get("/recommendations/TSU-3/feed/").content)
    entries = list(per_recommendation.iter(f"{ATOM}entry"))
    assert "Newest development" in entries[0].findtext(f"{ATOM}title")
    assert len(entries) == Evidence.objects.filter(recommendation__code="TSU-3").count()
    assert reader.get("/recommendations/TSU-9/feed/").status_code == 404


def test_pages_link_their_feeds(reader):
    content = reader.get("/recommendations/TSU-3/").content.decode()
    assert 'type="application/atom+xml"' in content
    assert "/recommendations/TSU-3/feed/" in content


def grow(n):
    """Add n developments, each with two actors and evidence for TSU-1."""
    tsu1 = Recommendation.objects.get(code="TSU-1")
    kind = Evidence.objects.filter(recommendation=tsu1).first().development.kind
    for i in range(n):
        development = make_development(actors=("JP", "GB", "FR"), kind=kind)
        make_evidence(development=development, recommendation=tsu1, strength=1 + i % 3)
    make_actor("PL")


@pytest.mark.parametrize(
    "url",
    [
        "/actors/",
        "/actors/JP/",
        "/reports/matrix/",
        "/timeline/",
        "/recommendations/TSU-1/?actor=JP",
        "/developments/{raa}/",
        "/developments/feed/",
        "/recommendations/TSU-1/feed/",
    ],
)
def test_query_count_stays_the_same_as_data_grows(reader, assert_constant_queries, url):
    url = url.format(raa=Development.objects.get(key="2023-01-11-japan-uk-raa").pk)
    assert_constant_queries(reader, url, lambda: grow(40))


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/actors/?per_page=-1", 200),
        ("/recommendations/TSU-2/?per_page=-1", 200),
        ("/developments/?per_page=99999999999999999999", 200),
        ("/developments/?page=99999999999999999999999", 404),
        ("/developments/?page=0", 404),
        ("/developments/?page=abc", 404),
        ("/developments/?page=2", 404),  # 14 developments: one page
        ("/actors/?page=3", 404),
    ],
)
def test_paging_parameters_never_break_a_page(reader, url, status):
    response = reader.get(url)
    assert response.status_code == status
    if status == 200:
        assert response.context["table"].paginator.per_page == 25


def pager_text(response) -> str:
    nav = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', response.content.decode(), re.S)
    assert nav, "no pager on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(nav.group(1))).split())


def test_every_paged_table_counts_its_rows_and_links_to_its_last_page(reader):
    grow(30)  # 44 developments, 33 of them evidence for TSU-1
    first = reader.get("/developments/", {"q": "", "per_page": "25"})
    assert pager_text(first) == "Developments 1–25 of 44 Page 1 of 2 Next › Last »"
    assert 'href="?q=&amp;per_page=25&amp;page=2">Last' in first.content.decode()
    last = reader.get("/developments/", {"page": "2"})
    assert pager_text(last) == "Developments 26–44 of 44 « First ‹ Previous Page 2 of 2"
    evidence = reader.get("/recommendations/TSU-1/")
    count = Evidence.objects.filter(recommendation__code="TSU-1").count()
    assert pager_text(evidence).startswith(f"Evidence links 1–25 of {count} Page 1 of 2")
    actors = Actor.objects.on_record().count()
    assert pager_text(reader.get("/actors/")) == f"Actors 1–{actors} of {actors}"


def test_a_page_past_the_end_says_how_many_pages_there_are(reader):
    grow(30)
    response = reader.get("/developments/", {"page": "3"})
    assert response.status_code == 404
    assert "There are 2 pages of developments; page 3 is past the end." in (
        html.unescape(response.content.decode())
    )
    response = reader.get("/developments/999999/")
    assert response.status_code == 404
    assert "There is no page at this address." in response.content.decode()


def test_page_size_choice_is_honoured(reader):
    grow(30)
    table = reader.get("/developments/", {"per_page": "50"}).context["table"]
    assert len(table.page.object_list) == 44
    second = reader.get("/developments/", {"page": "2"}).context["table"]
    assert len(second.page.object_list) == 44 - 25


def test_a_reversed_date_range_is_explained(reader):
    response = reader.get(
        "/developments/", {"date_after": "2023-02-01", "date_before": "2023-01-01"}
    )
    assert "“From” (1 February 2023) is after “To” (1 January 2023); swap them." in (
        response.content.decode()
    )


def test_control_characters_do_not_break_xlsx_or_feeds(reader):
    make_development(title="Line\x0bbreak from Word", actors=("JP",))
    xlsx = reader.get("/developments/", {"_export": "xlsx"})
    assert xlsx.status_code == 200
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"
    feed = reader.get("/developments/feed/")
    assert feed.status_code == 200
    assert b"Linebreak from Word" in feed.content


def test_recommendation_codes_are_case_insensitive_in_addresses(reader):
    assert reader.get("/recommendations/tsu-2/").status_code == 200


def test_snapshot_exports_say_so_in_their_name(reader):
    response = reader.get("/recommendations/TSU-2/", {"as_of": "2023-01-10", "_export": "csv"})
    assert 'filename="TSU-2-evidence-as-of-2023-01-10.csv"' in response["Content-Disposition"]


def test_a_recommendation_code_in_lower_case_names_the_same_page_and_feed(analyst_client, seed):
    assert analyst_client.get("/recommendations/tsu-2/").status_code == 200
    feed = analyst_client.get("/recommendations/tsu-2/feed/")
    assert feed.status_code == 200
    assert b"TSU-2" in feed.content


def test_pages_that_name_no_icon_get_the_trackers_at_favicon_ico(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg") and "tracker/favicon" in response["Location"]
    assert client.post("/favicon.ico").status_code == 405
