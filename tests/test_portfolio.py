"""The portfolio of frameworks and the pages scoped to one framework: its dashboard,
matrix and timeline."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.factories import (
    make_development,
    make_evidence,
    make_framework,
    make_recommendation,
)
from tracker import demo, progress
from tracker.models import Assessment, Development, Framework, Recommendation

DAY = datetime.date(2024, 3, 1)


def assess(recommendation, status, on=DAY, **fields):
    if status in Assessment.NEEDS_REASON:
        fields.setdefault("reason", Assessment.Reason.values[0])
    return Assessment.objects.create(
        recommendation=recommendation,
        status=status,
        assessed_on=on,
        rationale="Judged so.",
        **fields,
    )


@pytest.fixture
def second(seed):
    """A second framework next to the seed's: four recommendations, two implemented
    (one stale: evidence dated after its assessment), one stalled, one not assessed."""
    framework = make_framework(
        "ocean-2021", title="Ocean governance", author="B. Writer", year=2021
    )
    recs = [
        make_recommendation(f"OCN-{n}", framework, title=f"Ocean recommendation {n}")
        for n in range(1, 5)
    ]
    assess(recs[0], Assessment.Status.IMPLEMENTED)
    assess(recs[1], Assessment.Status.IMPLEMENTED)
    assess(recs[2], Assessment.Status.STALLED)
    make_evidence(make_development(date=datetime.date(2024, 5, 2)), recs[1])  # stale
    make_evidence(make_development(date=datetime.date(2023, 5, 2)), recs[0])  # before: not
    return framework


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_with_one_framework_the_home_page_is_its_dashboard(reader):
    response = reader.get("/")
    assert response.templates[0].name == "tracker/dashboard.html"
    assert "All frameworks" not in page_text(response)
    assert "TSU-2" in response.content.decode()


def test_with_two_frameworks_the_home_page_is_the_portfolio(reader, second):
    response = reader.get("/")
    assert response.templates[0].name == "tracker/portfolio.html"
    summaries = {s.framework.code: s for s in response.context["summaries"]}
    assert set(summaries) == {"tsuruoka-2015", "ocean-2021"}
    ocean = summaries["ocean-2021"]
    assert ocean.recommendations == 4
    assert ocean.distribution == [
        ("implemented", "Implemented", 2),
        ("stalled", "Stalled", 1),
        (progress.NOT_ASSESSED, "Not yet assessed", 1),
    ]
    assert ocean.stale == 1
    assert ocean.last_evidence == datetime.date(2024, 5, 2)
    content = response.content.decode()
    assert 'href="/frameworks/ocean-2021/"' in content
    assert "Implemented: 2 of 4" in content  # the stacked bar's segment names its share
    assert "Ocean governance: 2 implemented, 1 stalled, 1 not yet assessed" in content


def test_the_portfolio_as_of_a_date_counts_what_stood_then(reader, second):
    response = reader.get("/", {"as_of": "2024-02-01"})
    ocean = next(s for s in response.context["summaries"] if s.framework.code == "ocean-2021")
    assert ocean.distribution == [(progress.NOT_ASSESSED, "Not yet assessed", 4)]
    assert ocean.last_evidence == datetime.date(2023, 5, 2)
    assert 'href="/frameworks/ocean-2021/?as_of=2024-02-01"' in response.content.decode()


def test_frameworks_are_searched_and_paged(reader, seed):
    for n in range(24):
        make_framework(f"extra-{n:02d}", title=f"Extra framework {n:02d}", year=2000 + n)
    first = reader.get("/")
    assert "Frameworks 1–20 of 25" in page_text(first)
    last = reader.get("/", {"page": "2"})
    assert "Frameworks 21–25 of 25" in page_text(last)
    assert len(last.context["summaries"]) == 5
    past = reader.get("/", {"page": "3"})
    assert past.status_code == 404
    assert reader.get("/", {"page": "x"}).status_code == 404
    found = reader.get("/", {"q": "framework 07"})
    assert [s.framework.code for s in found.context["summaries"]] == ["extra-07"]
    assert [s.framework.code for s in reader.get("/", {"q": "tsuruoka"}).context["summaries"]] == [
        "tsuruoka-2015"
    ]
    nothing = reader.get("/", {"q": "no such thing"})
    assert "No framework's code, title or author contains" in page_text(nothing)


def test_a_frameworks_dashboard_shows_only_its_recommendations(reader, second):
    response = reader.get("/frameworks/ocean-2021/")
    content = response.content.decode()
    assert "OCN-1" in content and "TSU-" not in content
    assert "All frameworks" in page_text(response)
    rows = list(
        csv.reader(
            io.StringIO(reader.get("/frameworks/ocean-2021/?_export=csv").getvalue().decode())
        )
    )
    assert [row[1] for row in rows[1:]] == ["OCN-1", "OCN-2", "OCN-3", "OCN-4"]
    assert reader.get("/frameworks/no-such/").status_code == 404


def test_a_frameworks_dashboard_lists_only_developments_linked_to_it(reader, second):
    recent = reader.get("/frameworks/ocean-2021/").context["recent"]
    assert {d.date for d in recent} == {datetime.date(2024, 5, 2), datetime.date(2023, 5, 2)}


def test_the_matrix_and_timeline_show_one_framework(reader, second):
    # By default the first framework in order (by year): Tsuruoka's of 2015.
    matrix = reader.get("/reports/matrix/")
    assert [r.code for r in matrix.context["matrix"].recommendations] == [
        "TSU-1",
        "TSU-2",
        "TSU-3",
    ]
    scoped = reader.get("/reports/matrix/", {"framework": "ocean-2021"})
    assert [r.code for r in scoped.context["matrix"].recommendations] == [
        "OCN-1",
        "OCN-2",
        "OCN-3",
        "OCN-4",
    ]
    assert "TSU" not in scoped.content.decode()
    timeline = reader.get("/timeline/", {"framework": "ocean-2021"})
    assert [lane.recommendation.code for lane in timeline.context["lanes"]] == [
        "OCN-1",
        "OCN-2",
        "OCN-3",
        "OCN-4",
    ]
    assert "TSU" not in timeline.content.decode()
    assert reader.get("/timeline/", {"framework": "nope"}).status_code == 404
    assert reader.get("/reports/matrix/", {"framework": "nope"}).status_code == 404


def test_the_matrix_export_holds_the_whole_framework(reader, second):
    rows = list(
        csv.reader(
            io.StringIO(
                reader.get("/reports/matrix/", {"framework": "ocean-2021", "_export": "csv"})
                .getvalue()
                .decode()
            )
        )
    )
    assert rows[0][3:11] == [
        f"OCN-{n} {what}" for n in range(1, 5) for what in ("links", "net score")
    ]


@pytest.fixture
def wide(seed):
    """A framework of 45 recommendations, each with evidence from its own actor."""
    framework = make_framework("wide-2022", title="Wide framework", year=2022)
    for n in range(1, 46):
        recommendation = make_recommendation(f"W-{n:02d}", framework)
        make_evidence(make_development(actors=(f"O{n:02d}",)), recommendation)
    return framework


def test_the_timeline_pages_its_lanes(reader, wide):
    first = reader.get("/timeline/", {"framework": "wide-2022"})
    assert len(first.context["lanes"]) == 10
    assert "Recommendations 1–10 of 45" in page_text(first)
    last = reader.get("/timeline/", {"framework": "wide-2022", "page": "5"})
    assert [lane.recommendation.code for lane in last.context["lanes"]] == [
        f"W-{n}" for n in range(41, 46)
    ]
    assert reader.get("/timeline/", {"framework": "wide-2022", "page": "6"}).status_code == 404


def test_the_matrix_pages_its_rows_and_columns(reader, wide):
    first = reader.get("/reports/matrix/", {"framework": "wide-2022", "group": "0"})
    matrix = first.context["matrix"]
    assert len(matrix.recommendations) == 20 and len(matrix.rows) == 45
    assert all(len(row.cells) == 20 for row in matrix.rows)
    text = page_text(first)
    assert "Recommendations 1–20 of 45" in text and "Actors 1–45 of 45" in text
    last = reader.get(
        "/reports/matrix/", {"framework": "wide-2022", "group": "0", "columns": "3"}
    ).context["matrix"]
    assert [r.code for r in last.recommendations] == [f"W-{n}" for n in range(41, 46)]
    # Each actor's one link sits in its own recommendation's column.
    o41 = next(row for row in last.rows if row.actor.code == "O41")
    assert [cell.count for cell in o41.cells] == [1, 0, 0, 0, 0]


def test_pager_links_keep_the_rest_of_the_query(reader, wide):
    content = reader.get(
        "/reports/matrix/", {"framework": "wide-2022", "as_of": "2024-01-01"}
    ).content.decode()
    assert 'href="?framework=wide-2022&amp;as_of=2024-01-01&amp;columns=2"' in content


def test_the_portfolio_makes_as_many_queries_for_many_frameworks_as_for_few(
    reader, second, assert_constant_queries
):
    def grow():
        for n in range(10):
            framework = make_framework(f"more-{n}", title=f"More {n}", year=2022)
            recommendation = make_recommendation(f"M-{n}", framework)
            assess(recommendation, Assessment.Status.IN_PROGRESS)
            make_evidence(make_development(), recommendation)

    assert_constant_queries(reader, "/", grow)


def test_scoped_pages_make_as_many_queries_for_many_recommendations_as_for_few(
    reader, wide, assert_constant_queries
):
    def grow():
        for _ in range(30):
            make_evidence(make_development(), make_recommendation(framework=wide))

    for url in ("/reports/matrix/?framework=wide-2022", "/timeline/?framework=wide-2022"):
        assert_constant_queries(reader, url, grow)
    assert_constant_queries(reader, "/frameworks/wide-2022/", grow, most=20)


class Rollback(Exception):
    pass


def demo_rows(**options) -> list[tuple]:
    """What generate() writes, read back, then rolled back."""
    try:
        with transaction.atomic():
            demo.generate(**options)
            rows = [
                list(
                    Framework.objects.filter(code__startswith="demo-").values_list("code", "title")
                ),
                list(
                    Recommendation.objects.filter(framework__code__startswith="demo-")
                    .order_by("code")
                    .values_list("code", "framework__code", "title")
                ),
                list(
                    Development.objects.filter(key__startswith="demo-")
                    .order_by("key")
                    .values_list(
                        "key", "date", "status", "title", "evidence__recommendation__code"
                    )
                ),
            ]
            raise Rollback
    except Rollback:
        return rows


def test_demo_data_at_portfolio_scale_is_reproducible(seed):
    options = {"developments": 60, "seed": 7, "frameworks": 4, "recommendations": 6}
    frameworks, recommendations, developments = demo_rows(**options)
    assert len(frameworks) == 4
    assert len(recommendations) == 24
    assert {code for _, code, _ in recommendations} == {f"demo-7-{n}" for n in range(1, 5)}
    assert len({key for key, *_ in developments}) == 60
    assert demo_rows(**options) == [frameworks, recommendations, developments]
    assert demo_rows(**{**options, "seed": 8})[2] != developments


def test_the_demo_command_takes_frameworks_and_recommendations(seed):
    call_command(
        "generate_demo_data",
        developments=10,
        frameworks=2,
        recommendations=3,
        seed=9,
        verbosity=0,
    )
    assert Recommendation.objects.filter(framework__code__startswith="demo-9-").count() == 6
