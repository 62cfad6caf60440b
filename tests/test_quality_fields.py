"""How sure the record is: evidence confidence and source reliability in the admin
(shown, saved, filtered, reviewed) and in the report tables, filters and exports."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import downloaded
from tests.factories import (
    make_development,
    make_evidence,
    make_kind,
    make_recommendation,
    make_source,
)
from tests.test_admin import admin_url, development_post_data, with_evidence
from tests.test_admin_write_sweep import replayed_form
from tracker.models import Citation, Development, Evidence, Proposal, Recommendation, Source

pytestmark = pytest.mark.django_db
RAA = "2023-01-11-japan-uk-raa"


def cite(development, reliability):
    Citation.objects.create(development=development, source=make_source(reliability=reliability))


# --- The admin ------------------------------------------------------------------------


def test_the_evidence_inline_saves_confidence(admin_client):
    recommendation = make_recommendation()
    data = with_evidence(development_post_data(), (recommendation, "advances", "2", "Why."))
    data["evidence-0-confidence"] = "low"
    response = admin_client.post(admin_url(Development, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Evidence.objects.get().confidence == Evidence.Confidence.LOW


def test_a_post_without_confidence_keeps_the_links_confidence(admin_client):
    # A form opened before the field existed, or a script: nothing is reset to medium.
    evidence = make_evidence(confidence=Evidence.Confidence.HIGH)
    response = admin_client.post(
        admin_url(Evidence, "change", evidence.pk),
        {
            "recommendation": evidence.recommendation_id,
            "stance": "hinders",
            "strength": "1",
            "rationale": "Recoded.",
            "change_reason": "Misread.",  # a published link's recoding says why
        },
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (evidence.stance, evidence.confidence) == ("hinders", Evidence.Confidence.HIGH)


def test_a_blank_confidence_is_refused_on_its_field(admin_client):
    evidence = make_evidence()
    data = replayed_form(admin_client, admin_url(Evidence, "change", evidence.pk))
    data["confidence"] = [""]
    response = admin_client.post(admin_url(Evidence, "change", evidence.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["confidence"] == [
        "Say how sure the coding is."
    ]
    assert Evidence.objects.get(pk=evidence.pk).confidence == "medium"


def test_the_evidence_admin_lists_and_filters_by_confidence(admin_client):
    low = make_evidence(confidence=Evidence.Confidence.LOW)
    make_evidence(confidence=Evidence.Confidence.HIGH)
    response = admin_client.get(admin_url(Evidence, "changelist"), {"confidence__exact": "low"})
    assert list(response.context["cl"].result_list) == [low]
    assert '<td class="field-confidence">Low</td>' in response.content.decode()
    form = admin_client.get(admin_url(Evidence, "change", low.pk)).content.decode()
    assert 'name="confidence"' in form


def test_an_editors_change_of_confidence_on_a_published_development_is_a_proposal(
    seed, editor_client
):
    raa = Development.objects.get(key=RAA)
    url = admin_url(Development, "change", raa.pk)
    data = replayed_form(editor_client, url)
    assert data["evidence-0-confidence"] == ["medium"]
    data["evidence-0-confidence"] = ["low"]
    response = editor_client.post(url, data, follow=True)
    assert "waits for review" in response.content.decode()
    assert Evidence.objects.get(development=raa).confidence == "medium"  # not live
    proposal = Proposal.objects.pending().get()
    assert [e["confidence"] for e in proposal.before["evidence"]] == ["medium"]
    assert [e["confidence"] for e in proposal.after["evidence"]] == ["low"]


def test_an_editors_change_of_confidence_on_the_evidence_page_is_a_proposal(seed, editor_client):
    evidence = Evidence.objects.get(development__key=RAA)
    url = admin_url(Evidence, "change", evidence.pk)
    data = replayed_form(editor_client, url)
    data["confidence"] = ["high"]
    assert editor_client.post(url, data).status_code == 302
    assert Evidence.objects.get(pk=evidence.pk).confidence == "medium"
    after = Proposal.objects.pending().get().after
    assert [e["confidence"] for e in after["evidence"]] == ["high"]


def test_the_source_admin_shows_saves_and_filters_reliability(admin_client):
    unconfirmed = make_source(reliability=Source.Reliability.UNCONFIRMED)
    make_source(reliability=Source.Reliability.PRIMARY)
    listed = admin_client.get(
        admin_url(Source, "changelist"), {"reliability__exact": "unconfirmed"}
    )
    assert list(listed.context["cl"].result_list) == [unconfirmed]
    assert "C: single unconfirmed report" in listed.content.decode()
    url = admin_url(Source, "change", unconfirmed.pk)
    data = replayed_form(admin_client, url)
    data["reliability"] = ["primary"]
    assert admin_client.post(url, data).status_code == 302
    assert Source.objects.get(pk=unconfirmed.pk).reliability == "primary"


# --- The report tables ------------------------------------------------------------------


@pytest.fixture
def graded(seed):
    """Three developments of their own kind: sourced A (and C), sourced C, unsourced;
    each evidence for TSU-1, with low, high and medium confidence."""
    kind = make_kind(code="graded", name="Graded")
    tsu1 = Recommendation.objects.get(code="TSU-1")
    rows = {}
    for title, reliabilities, confidence in [
        ("Primary", ["unconfirmed", "primary"], "low"),
        ("Unconfirmed", ["unconfirmed"], "high"),
        ("Unsourced", [], "medium"),
    ]:
        development = make_development(title=title, kind=kind)
        for reliability in reliabilities:
            cite(development, reliability)
        make_evidence(development=development, recommendation=tsu1, confidence=confidence)
        rows[title] = development
    return rows


def explorer_titles(client, **query):
    table = client.get("/developments/", {"kind": "graded", **query}).context["table"]
    return {row.record.title for row in table.page.object_list}


def evidence_titles(client, **query):
    table = client.get("/recommendations/TSU-1/", {"kind": "graded", **query}).context["table"]
    return {row.record.development.title for row in table.page.object_list}


def test_the_explorer_shows_each_links_confidence_and_the_best_source_grade(reader, graded):
    content = reader.get("/developments/", {"kind": "graded", "sort": "title"}).content.decode()
    assert (
        'title="Advances TSU-1: Intellectual foundation; strength 2, low confidence">TSU-1 <small'
        in content
    )
    assert '<abbr title="A: primary official record">A</abbr>' in content
    assert '<abbr title="C: single unconfirmed report">C</abbr>' in content
    assert '<span title="No source cited">—</span>' in content


def test_the_explorer_sorts_by_grade_with_the_unsourced_last(reader, graded):
    def order(sort):
        table = reader.get("/developments/", {"kind": "graded", "sort": sort}).context["table"]
        return [row.record.title for row in table.page.object_list]

    assert order("source_grade") == ["Primary", "Unconfirmed", "Unsourced"]
    assert order("-source_grade") == ["Unsourced", "Unconfirmed", "Primary"]


def test_the_explorer_filters_by_evidence_confidence_and_source_grade(reader, graded):
    assert explorer_titles(reader, confidence="low") == {"Primary"}
    assert explorer_titles(reader, confidence=["low", "high"]) == {"Primary", "Unconfirmed"}
    # At least one source of the grade: the A-sourced development cites a C source too.
    assert explorer_titles(reader, reliability="unconfirmed") == {"Primary", "Unconfirmed"}
    assert explorer_titles(reader, reliability="primary") == {"Primary"}
    assert explorer_titles(reader, reliability="primary", confidence="high") == set()


def test_the_explorer_combines_confidence_with_recommendation_on_one_link(reader, graded):
    make_evidence(
        development=graded["Unsourced"],
        recommendation=Recommendation.objects.get(code="TSU-2"),
        confidence="low",
    )
    assert explorer_titles(reader, confidence="low") == {"Primary", "Unsourced"}
    assert explorer_titles(reader, recommendation="TSU-1", confidence="low") == {"Primary"}


def test_the_explorer_offers_every_status_and_the_grades(reader):
    form = reader.get("/developments/").context["filter"].form
    assert ("reported", "Reported (planned or considered)") in form.fields["status"].choices
    assert [value for value, _ in form.fields["reliability"].choices] == [
        "primary",
        "secondary",
        "unconfirmed",
    ]


@pytest.mark.parametrize("query", [{"confidence": "certain"}, {"reliability": "Z"}])
@pytest.mark.parametrize("url", ["/developments/", "/recommendations/TSU-1/"])
def test_an_unknown_confidence_or_grade_is_explained(reader, url, query):
    response = reader.get(url, query)
    assert response.status_code == 200
    assert b"Some filters could not be used" in response.content


def test_the_evidence_table_shows_and_filters_confidence_and_grade(reader, graded):
    assert evidence_titles(reader, confidence="high") == {"Unconfirmed"}
    assert evidence_titles(reader, reliability="primary") == {"Primary"}
    assert evidence_titles(reader, reliability="unconfirmed", confidence="low") == {"Primary"}
    table = reader.get(
        "/recommendations/TSU-1/", {"kind": "graded", "reliability": "primary"}
    ).context["table"]
    assert [column.header for column in table.columns][-3:] == [
        "Confidence",
        "Source grade",
        "Rationale",
    ]
    row = table.page.object_list[0]
    assert (row.get_cell("confidence"), row.get_cell_value("source_grade")) == ("Low", "A")


def test_the_evidence_table_sorts_by_confidence_low_to_high(reader, graded):
    table = reader.get(
        "/recommendations/TSU-1/", {"actor": "JP", "sort": "confidence", "per_page": "100"}
    ).context["table"]
    ranks = [row.record.confidence for row in table.page.object_list]
    order = {"low": 0, "medium": 1, "high": 2}
    assert ranks == sorted(ranks, key=order.__getitem__)
    assert {"low", "medium", "high"} <= set(ranks)


# --- Exports ----------------------------------------------------------------------------


def rows_of(response, export_format):
    content = downloaded(response).decode("utf-8-sig")
    if export_format == "csv":
        return list(csv.DictReader(io.StringIO(content)))
    return json.loads(content)


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_the_explorer_export_carries_confidence_and_grade(reader, graded, export_format):
    response = reader.get(
        "/developments/", {"kind": "graded", "sort": "title", "_export": export_format}
    )
    rows = rows_of(response, export_format)
    assert [(r["Title"], r["Source grade"], r["Evidence"]) for r in rows] == [
        ("Primary", "A", "TSU-1:advances:2:low"),
        ("Unconfirmed", "C", "TSU-1:advances:2:high"),
        ("Unsourced", "—", "TSU-1:advances:2:medium"),
    ]


def test_the_explorer_xlsx_export_carries_the_grade_column(reader, graded):
    from openpyxl import load_workbook

    response = reader.get("/developments/", {"kind": "graded", "sort": "title", "_export": "xlsx"})
    values = list(load_workbook(io.BytesIO(downloaded(response))).active.values)
    grade = values[0].index("Source grade")
    assert [row[grade] for row in values[1:]] == ["A", "C", "—"]


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_the_evidence_export_carries_confidence_and_grade(reader, graded, export_format):
    response = reader.get(
        "/recommendations/TSU-1/", {"actor": "JP", "kind": "graded", "_export": export_format}
    )
    rows = rows_of(response, export_format)
    assert sorted((r["Development"], r["Confidence"], r["Source grade"]) for r in rows) == [
        ("Primary", "low", "A"),
        ("Unconfirmed", "high", "C"),
        ("Unsourced", "medium", "—"),
    ]


# --- Query counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/developments/?confidence=low&reliability=primary&reliability=secondary",
        "/developments/?sort=source_grade",
        "/recommendations/TSU-1/?confidence=medium&reliability=secondary",
        "/recommendations/TSU-1/?sort=-source_grade",
        "/actors/JP/",
    ],
)
def test_grades_and_confidence_add_no_query_per_row(reader, assert_constant_queries, url):
    tsu1 = Recommendation.objects.get(code="TSU-1")

    def grow():
        for i in range(30):
            development = make_development(actors=("JP", "GB"))
            cite(development, ["primary", "secondary", "unconfirmed"][i % 3])
            make_evidence(development=development, recommendation=tsu1, confidence="low")

    assert_constant_queries(reader, url, grow)
