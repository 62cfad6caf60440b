"""The analyst report pages: access, figures, snapshots, filters, exports, bad input."""

import csv
import datetime
import html
import io
import json
import re
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from tests.conftest import downloaded
from tests.factories import make_development, make_evidence, make_kind
from tracker import dates, methodology, progress
from tracker.models import (
    Citation,
    Development,
    DevelopmentKind,
    Evidence,
    Recommendation,
    Source,
)

pytestmark = pytest.mark.django_db

REPORT_URLS = [
    "/",
    "/methodology/",
    "/snapshots/",
    "/developments/",
    "/recommendations/TSU-2/",
]


@pytest.mark.parametrize("url", REPORT_URLS)
def test_reports_send_signed_out_visitors_to_sign_in(client, seed, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", REPORT_URLS)
def test_public_reports_setting_opens_them_to_everyone(client, seed, settings, url):
    settings.TRACKER_PUBLIC_REPORTS = True
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", REPORT_URLS)
def test_signed_in_users_without_a_role_may_not_read_reports(client, django_user_model, seed, url):
    client.force_login(django_user_model.objects.create_user("no-role"))
    response = client.get(url)
    assert response.status_code == 403
    assert b"Analysts or Editors group" in response.content


def test_editors_and_superusers_read_reports(editor_client, admin_client, seed):
    assert editor_client.get("/").status_code == 200
    assert admin_client.get("/").status_code == 200


def test_sign_in_page_uses_the_site_look(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Policy Recommendation Tracker" in response.content
    assert b"tracker/site.css" in response.content


def test_dashboard_leads_each_recommendation_with_its_verdict_on_a_ladder(reader):
    response = reader.get("/")
    content = response.content.decode()
    assert "progress-bar" not in content  # no bar pretends to measure a category
    for recommendation in Recommendation.objects.all():
        advancing = Evidence.objects.filter(
            progress.counted(None), recommendation=recommendation, stance="advances"
        ).count()
        assert f'data-code="{recommendation.code}"' in content
        assert f"{advancing} advancing" in content
    for item in (i for f in response.context["data"].frameworks for i in f.recommendations):
        latest = item.recommendation.assessments.published().latest("assessed_on")
        card = content[content.index(f'data-code="{item.recommendation.code}"') :]
        card = card[: card.index("</li>\n    \n")] if "</li>\n    \n" in card else card
        assert latest.get_status_display() in card
        assert progress.first_sentence(latest.rationale) in html.unescape(card)
        assert f"assessed {dates.time_element(latest.assessed_on)}" in card
        assert card.count('aria-current="step"') <= 1


def test_a_stale_assessment_is_flagged_with_the_links_since_and_their_balance(reader):
    tsu1 = Recommendation.objects.get(code="TSU-1")
    assessed_on = tsu1.assessments.published().latest("assessed_on").assessed_on
    kind = make_kind("exercise", nature=DevelopmentKind.Nature.MATERIAL)
    later = make_development(kind=kind, date=assessed_on + datetime.timedelta(days=1))
    Citation.objects.create(development=later, source=Source.objects.first())
    make_evidence(later, tsu1, strength=3)
    card = reader.get("/").content.decode().split('data-code="TSU-1"')[1]
    assert "1 link since this assessment, balance +6" in card


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_the_dashboard_exports_one_row_per_recommendation(reader, export_format):
    response = reader.get(f"/?_export={export_format}")
    assert response.status_code == 200
    body = downloaded(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body))) if export_format == "csv" else json.loads(body)
    data = reader.get("/").context["data"]
    items = [i for f in data.frameworks for i in f.recommendations]
    assert [row["Code"] for row in rows] == [i.recommendation.code for i in items]
    for row, item in zip(rows, items, strict=True):
        assert row["Framework"] == "tsuruoka-2015"
        assert row["Status"] == item.standing.status
        assert row["Status date"] == item.standing.assessed_on.isoformat()
        assert str(row["Advancing"]) == str(item.advancing)
        assert str(row["Balance"]) == str(methodology.as_number(item.net_score))
        assert "Links since assessment" in row


def test_dashboard_net_score_weighs_material_evidence_double(reader):
    data = reader.get("/").context["data"]
    tsu2 = next(
        i for f in data.frameworks for i in f.recommendations if i.recommendation.code == "TSU-2"
    )
    expected = sum(
        (1 if e.stance == "advances" else -1)
        * e.strength
        * (2 if e.development.kind.nature == "material" else 1)
        for e in Evidence.objects.filter(recommendation__code="TSU-2").select_related(
            "development__kind"
        )
    )
    assert tsu2.net_score == expected
    assert tsu2.hindering == 0


def _ended_by(development, as_of: datetime.date) -> bool:
    """By hand: a date known to its month or year counts once that period is over."""
    last_day = {
        "day": development.date,
        "month": (development.date + datetime.timedelta(days=31)).replace(day=1)
        - datetime.timedelta(days=1),
        "year": development.date.replace(month=12, day=31),
    }[development.precision]
    return last_day <= as_of


@pytest.mark.parametrize("as_of", ["2023-01-08", "2023-01-30", "2023-01-31"])
def test_dashboard_as_of_counts_only_what_had_happened_by_then(reader, as_of):
    data = reader.get("/", {"as_of": as_of}).context["data"]
    counted = sum(i.advancing + i.hindering for f in data.frameworks for i in f.recommendations)
    day = datetime.date.fromisoformat(as_of)
    links = Evidence.objects.filter(progress.counted(None)).select_related("development")
    expected = sum(_ended_by(link.development, day) for link in links)
    assert counted == expected
    assert 0 < expected < Evidence.objects.count()
    # The seed's assessments are dated March 2023, so none stood yet.
    assert all(i.standing.status is None for f in data.frameworks for i in f.recommendations)


def test_a_development_known_only_to_its_month_counts_once_the_month_is_over(reader):
    january = Development.objects.filter(precision="month", date="2023-01-01")
    assert january.exists()  # the seed's "in late January" and "in January" records

    def tsu_links(as_of):
        data = reader.get("/", {"as_of": as_of}).context["data"]
        return {
            i.recommendation.code: i.advancing + i.hindering
            for f in data.frameworks
            for i in f.recommendations
        }

    before, after = tsu_links("2023-01-30"), tsu_links("2023-01-31")
    monthly = Evidence.objects.filter(development__in=january).count()
    assert sum(after.values()) - sum(before.values()) >= monthly


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2023-13-45", "is not a date"),
        ("yesterday", "is not a date"),
        ("2999-01-01", "is in the future"),
        ("1900-01-01", "No evidence is dated on or before"),
    ],
)
def test_dashboard_explains_an_unusable_as_of(reader, as_of, message):
    response = reader.get("/", {"as_of": as_of})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_explorer_filters_narrow_the_rows(reader):
    everything = reader.get("/developments/").context["table"]
    exercises = reader.get("/developments/", {"kind": "exercise", "actor": ["FR", "AU"]}).context[
        "table"
    ]
    keys = {row.record.key for row in exercises.page.object_list}
    assert keys == {"2023-01-09-gulf-of-aden-drills", "2023-01-08-paratroop-drill-uk-australia"}
    assert len(everything.page.object_list) == Development.objects.count()


def test_explorer_combines_recommendation_and_stance_on_one_link(reader):
    table = reader.get("/developments/", {"recommendation": "TSU-3", "stance": "hinders"}).context[
        "table"
    ]
    assert {row.record.key for row in table.page.object_list} == {
        "2022-11-scholz-china-delegation"
    }


def test_explorer_csv_export_holds_exactly_the_filtered_sorted_rows(reader):
    response = reader.get(
        "/developments/", {"q": "strategic partnership", "sort": "date", "_export": "csv"}
    )
    assert response.status_code == 200
    assert "developments-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    assert [r["Date"] for r in rows] == ["2023-01-10", "2023-01-30"]
    assert rows[0]["Actors"] == "IT;JP"


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 10_000},
        {"date_after": "2023-02-30", "date_before": "nonsense"},
        {"kind": "volcano"},
        {"actor": "XX"},
        {"recommendation": "TSU-9"},
        {"stance": "sideways"},
        {"sort": "no_such_column"},
        {"per_page": "100000"},
        {"status": "rumoured"},
    ],
)
def test_explorer_answers_bad_input_with_a_message_not_an_error(reader, query):
    response = reader.get("/developments/", query)
    assert response.status_code == 200
    if set(query) - {"sort", "per_page"}:
        assert b"Some filters could not be used" in response.content


@pytest.mark.parametrize("page", ["abc", "999", "-1"])
def test_explorer_unknown_pages_are_not_found(reader, page):
    assert reader.get("/developments/", {"page": page}).status_code == 404


def test_unknown_codes_and_ids_are_not_found(reader):
    assert reader.get("/recommendations/TSU-9/").status_code == 404
    assert reader.get("/developments/999999/").status_code == 404


def test_development_page_shows_precision_actors_citation_and_evidence(reader):
    development = Development.objects.get(key="2023-01-09-gulf-of-aden-drills")
    content = reader.get(development.get_absolute_url()).content.decode()
    assert "9–14 January 2023" in content
    assert '<a href="/actors/FR/">France</a> <span class="code">FR</span>' in content
    assert "magazine.thediplomat.com" in content
    assert "TSU-2" in content


def test_recommendation_page_shows_text_history_and_evidence(reader):
    content = reader.get("/recommendations/TSU-1/").content.decode()
    assert "Build a solid intellectual foundation" in content
    assert "In progress" in content
    assert "Mori" in content


@pytest.mark.parametrize(
    "url",
    ["/", "/developments/", "/recommendations/TSU-2/", "/developments/?kind=exercise"],
)
def test_report_query_count_does_not_grow_with_data(reader, assert_constant_queries, url):
    # Session, user, role check, data version, then a fixed handful of report
    # queries (tracker/progress.py), fewer when the figures come from the cache.
    tsu2 = Recommendation.objects.get(code="TSU-2")
    kind = tsu2.evidence.first().development.kind

    def grow():
        for _ in range(40):
            development = make_development(actors=("JP", "GB", "FR"), kind=kind)
            make_evidence(development=development, recommendation=tsu2)

    assert_constant_queries(reader, url, grow)


def test_explorer_json_and_xlsx_exports_hold_the_same_rows(reader):
    from openpyxl import load_workbook

    query = {"kind": "exercise", "sort": "-date"}
    as_json = json.loads(downloaded(reader.get("/developments/", {**query, "_export": "json"})))
    assert [row["Title"] for row in as_json] == [
        d.title for d in Development.objects.filter(kind__code="exercise").order_by("-date")
    ]
    response = reader.get("/developments/", {**query, "_export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(downloaded(response))).active
    values = list(sheet.values)
    assert values[0][:3] == ("Date", "End date", "Title")
    assert [row[2] for row in values[1:]] == [row["Title"] for row in as_json]


def test_exports_neutralise_cells_a_spreadsheet_would_run(reader):
    make_development(title='=HYPERLINK("http://evil")', actors=("JP",))
    response = reader.get("/developments/", {"q": "HYPERLINK", "_export": "csv"})
    rows = list(csv.reader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    assert rows[1][2] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_the_development_export_holds_iso_dates_and_codes_of_actors_and_evidence(
    reader, export_format
):
    kind = make_kind(code="export-check", name="Export check")
    development = make_development(
        actors=("GB", "FR", "JP"),
        kind=kind,
        date=datetime.date(2023, 3, 14),
        title="Joint statement on export cells",
        status=Development.Status.ANNOUNCED,
    )
    for code, stance, strength in [("TSU-3", "hinders", 3), ("TSU-1", "advances", 2)]:
        make_evidence(
            development=development,
            recommendation=Recommendation.objects.get(code=code),
            stance=stance,
            strength=strength,
        )
    response = reader.get("/developments/", {"kind": "export-check", "_export": export_format})
    content = downloaded(response).decode("utf-8-sig")
    rows = list(
        csv.DictReader(io.StringIO(content)) if export_format == "csv" else json.loads(content)
    )
    assert rows == [
        {
            "Date": "2023-03-14",
            "End date": "" if export_format == "csv" else None,
            "Title": "Joint statement on export cells",
            "Kind": "Export check",
            "Status": "Announced",
            "Actors": "FR;GB;JP",
            "Source grade": "—",
            "Evidence": "TSU-1:advances:2:medium;TSU-3:hinders:3:medium",
            "Methodology": methodology.VERSION,
        }
    ]


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_exports_write_dates_at_their_precision_with_the_end_of_a_span(reader, export_format):
    """January–February 2023 is 2023-01 to 2023-02 in every export (as the import
    format writes it), not the first of January; a year stays a year."""
    kind = make_kind(code="precision-check", name="Precision check")
    months = make_development(
        kind=kind,
        title="Talks over two months",
        date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2023, 2, 1),
        precision="month",
    )
    make_development(
        kind=kind, title="Some time that year", date=datetime.date(2021, 1, 1), precision="year"
    )
    make_evidence(development=months, recommendation=Recommendation.objects.get(code="TSU-1"))
    query = {"kind": "precision-check", "sort": "-date", "_export": export_format}
    content = downloaded(reader.get("/developments/", query)).decode("utf-8-sig")
    rows = list(
        csv.DictReader(io.StringIO(content)) if export_format == "csv" else json.loads(content)
    )
    none = "" if export_format == "csv" else None
    assert [(r["Date"], r["End date"], r["Title"]) for r in rows] == [
        ("2023-01", "2023-02", "Talks over two months"),
        ("2021", none, "Some time that year"),
    ]
    query = {"kind": "precision-check", "_export": export_format}
    content = downloaded(reader.get("/recommendations/TSU-1/", query)).decode("utf-8-sig")
    rows = list(
        csv.DictReader(io.StringIO(content)) if export_format == "csv" else json.loads(content)
    )
    assert [(r["Date"], r["End date"]) for r in rows] == [("2023-01", "2023-02")]


def test_export_links_keep_the_filters_and_drop_the_page(reader):
    kind = make_kind(code="exercise")  # the seed's
    for _ in range(30):
        make_development(kind=kind)
    query = {"kind": "exercise", "sort": "-date", "page": "2"}
    content = reader.get("/developments/", query).content.decode()
    # The table's own exports (the import format's are tested in test_explorer_import_format.py).
    links = re.findall(r'<a href="([^"]*_export=(?:csv|xlsx|json))"', content)
    assert len(links) == 3
    for link, export_format in zip(links, ["csv", "xlsx", "json"], strict=True):
        assert link.startswith("?")
        assert parse_qs(html.unescape(link)[1:]) == {
            "kind": ["exercise"],
            "sort": ["-date"],
            "_export": [export_format],
        }
    exported = json.loads(downloaded(reader.get("/developments/" + html.unescape(links[2]))))
    assert len(exported) == Development.objects.filter(kind=kind).count() > 25
