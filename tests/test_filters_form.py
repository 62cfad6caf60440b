"""The report filters' form: checkboxes rather than Ctrl-click list boxes, actors by
name, counts beside the kinds and statuses, date errors that name the box and the
format, and the query count that does not grow with the data."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import downloaded
from tests.factories import make_development, make_kind
from tracker.admin.filters import ActorListFilter
from tracker.models import Actor, Development, DevelopmentKind

pytestmark = pytest.mark.django_db

CHECKBOX = re.compile(r'<input type="checkbox" name="(\w+)" value="([^"]*)"')
COUNTED = re.compile(
    r'name="(kind|status)" value="([^"]*)"[^>]*>\s*<span class="choice-name">[^<]*</span> '
    r'<span class="count">([\d,]+)<'
)


def form_of(content: str) -> str:
    start = content.index('<form method="get" class="filters"')
    return content[start : content.index("</form>", start)]


def boxes(content: str, name: str) -> list[str]:
    """The values of the checkboxes called name, in page order."""
    return [value for field, value in CHECKBOX.findall(form_of(content)) if field == name]


def counts(content: str) -> dict[tuple[str, str], int]:
    return {
        (field, value): int(count.replace(",", ""))
        for field, value, count in COUNTED.findall(form_of(content))
    }


def test_explorer_multiple_choices_are_checkboxes_not_list_boxes(reader):
    content = reader.get("/developments/").content.decode()
    assert "<select" not in form_of(content).replace('<select name="stance"', "").replace(
        '<select id="per_page"', ""
    )
    assert set(boxes(content, "kind")) == set(
        DevelopmentKind.objects.values_list("code", flat=True)
    )
    assert boxes(content, "status") == Development.Status.values
    assert boxes(content, "confidence") == ["low", "medium", "high"]
    assert boxes(content, "reliability") == ["primary", "secondary", "unconfirmed"]


def test_ticked_boxes_filter_and_stay_ticked(reader):
    response = reader.get("/developments/", {"kind": ["exercise", "meeting"], "actor": "JP"})
    rows = {row.record.key for row in response.context["table"].page.object_list}
    assert rows == set(
        Development.objects.filter(kind__code__in=["exercise", "meeting"], actors__code="JP")
        .distinct()
        .values_list("key", flat=True)
    )
    form = form_of(response.content.decode())
    for name, value in (("kind", "exercise"), ("kind", "meeting"), ("actor", "JP")):
        assert re.search(rf'name="{name}" value="{value}" id="[^"]+" checked', form)
    assert not re.search(r'name="kind" value="statement" id="[^"]+" checked', form)
    assert '<p class="chosen">Chosen: Japan (JP)</p>' in form


def test_actors_are_listed_by_name_with_their_codes_and_a_finder(reader):
    content = reader.get("/developments/").content.decode()
    by_name = list(Actor.objects.on_record().order_by("name").values_list("code", flat=True))
    assert boxes(content, "actor") == by_name
    assert by_name != sorted(by_name)  # the seed tells the two orders apart
    assert 'data-finder="Find an actor"' in content
    assert '<span class="choice-name">Japan</span> <span class="code">JP</span>' in content
    assert "tracker/choice-finder.js" in content


def test_kinds_and_statuses_show_how_many_published_developments_each_has(reader):
    shown = counts(reader.get("/developments/").content.decode())
    published = Development.objects.published()
    for kind in DevelopmentKind.objects.all():
        assert shown["kind", kind.code] == published.filter(kind=kind).count()
    for status in Development.Status.values:
        assert shown["status", status] == published.filter(status=status).count()
    assert shown["status", "cancelled"] == 0  # a choice no development has says 0


def test_counts_follow_the_data_and_leave_drafts_out(reader):
    before = counts(reader.get("/developments/").content.decode())
    exercise = DevelopmentKind.objects.get(code="exercise")
    make_development(kind=exercise, status=Development.Status.ANNOUNCED)
    make_development(kind=exercise, published=False)
    after = counts(reader.get("/developments/").content.decode())
    assert after["kind", "exercise"] == before["kind", "exercise"] + 1
    assert after["status", "announced"] == before["status", "announced"] + 1
    assert after["status", "occurred"] == before["status", "occurred"]


def test_counts_are_of_all_developments_whatever_the_other_filters(reader):
    everything = counts(reader.get("/developments/").content.decode())
    response = reader.get("/developments/", {"actor": "JP", "kind": "exercise"})
    assert counts(response.content.decode()) == everything
    assert "whatever the other filters" in response.content.decode()


def test_explorer_query_count_stays_the_same_as_the_data_grows(reader, django_assert_num_queries):
    exercise = DevelopmentKind.objects.get(code="exercise")
    reader.get("/developments/")  # session and content types warm
    for size in ("seed", "seed and 40 more"):
        cache.clear()
        # Session, user, the user's and their groups' permissions (the role check);
        # the page: its rows' count, its rows, their actors, their evidence; the form:
        # the kinds and the actors on record; the counts: the data version, then the
        # one grouped count of kinds and statuses (kept until the data changes).
        with django_assert_num_queries(4 + 4 + 2 + 2):
            reader.get("/developments/", {"status": "occurred"})
        with django_assert_num_queries(4 + 4 + 2 + 1):  # counted already: the version only
            reader.get("/developments/", {"status": "occurred"})
        if size == "seed":
            for _ in range(40):
                make_development(actors=("JP", "GB", "FR"), kind=exercise)


def grouped_counts(queries) -> list[str]:
    return [
        q["sql"] for q in queries if 'AS "developments"' in q["sql"] and "GROUP BY" in q["sql"]
    ]


def test_exports_and_the_api_never_count(reader):
    with CaptureQueriesContext(connection) as page:
        reader.get("/developments/")
    assert len(grouped_counts(page.captured_queries)) == 1
    cache.clear()
    with CaptureQueriesContext(connection) as export:
        downloaded(reader.get("/developments/", {"kind": "exercise", "_export": "csv"}))
    with CaptureQueriesContext(connection) as api:
        response = reader.get("/api/v1/developments/", {"kind": "exercise", "actor": "FR"})
    assert response.status_code == 200
    assert grouped_counts(export.captured_queries) == grouped_counts(api.captured_queries) == []


def test_the_evidence_table_has_the_same_boxes_without_counts(reader):
    content = reader.get("/recommendations/TSU-2/").content.decode()
    assert boxes(content, "kind") and boxes(content, "actor")
    assert boxes(content, "strength") == ["1", "2", "3"]
    assert 'class="count"' not in form_of(content)
    assert boxes(content, "actor") == sorted(
        boxes(content, "actor"), key=lambda code: Actor.objects.get(code=code).name
    )


def test_the_date_range_is_two_labelled_boxes_in_a_fieldset(reader):
    form = form_of(reader.get("/developments/").content.decode())
    assert '<fieldset class="field field-date">' in form
    assert "<legend>Date:</legend>" in form
    assert '<label for="id_date_0">From</label><input type="date" name="date_after"' in form
    assert '<label for="id_date_1">To</label><input type="date" name="date_before"' in form


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            {"date_after": "nonsense"},
            "“From” must be a day written YYYY-MM-DD, such as 2023-01-31, not “nonsense”.",
            id="not-a-date",
        ),
        pytest.param(
            {"date_before": "2023-02-30"},
            "“To”: 2023-02-30 is not a day of the calendar.",
            id="no-such-day",
        ),
        pytest.param(
            # Django's American default would have read this as 2 January.
            {"date_after": "01/02/2023"},
            "“From” must be a day written YYYY-MM-DD, such as 2023-01-31, not “01/02/2023”.",
            id="ambiguous-slashes",
        ),
        pytest.param(
            {"date_after": "2023-02-01", "date_before": "2023-01-01"},
            "“From” (1 February 2023) is after “To” (1 January 2023); swap them.",
            id="reversed",
        ),
    ],
)
def test_a_bad_date_names_its_box_and_the_format(reader, query, message):
    response = reader.get("/developments/", query)
    content = response.content.decode()
    assert response.context["filter"].form.errors["date"] == [message]
    errors = re.search(r'<p class="errors" id="id_date_errors">(.*?)</p>', content)
    assert errors and errors.group(1) == message
    assert '<fieldset class="field field-date" aria-describedby="id_date_errors">' in content
    assert "Some filters could not be used" in content


def test_a_valid_range_narrows_the_rows_to_its_days(reader):
    table = reader.get(
        "/developments/", {"date_after": "2023-01-09", "date_before": "2023-01-10"}
    ).context["table"]
    assert {row.record.key for row in table.page.object_list} == set(
        Development.objects.filter(date__range=("2023-01-09", "2023-01-10")).values_list(
            "key", flat=True
        )
    )


def test_the_api_names_the_bad_end_of_a_range_too(reader):
    response = reader.get("/api/v1/developments/", {"date_before": "tomorrow"})
    assert response.status_code == 400
    assert response.json()["date"] == [
        "“To” must be a day written YYYY-MM-DD, such as 2023-01-31, not “tomorrow”."
    ]


def test_admin_actor_filter_lists_actors_by_name(admin_user, seed, rf):
    model_admin = admin.site.get_model_admin(Development)
    request = rf.get("/admin/tracker/development/")
    request.user = admin_user
    field = Development._meta.get_field("actors")
    choices = ActorListFilter(
        field, request, {}, Development, model_admin, field_path="actors"
    ).lookup_choices
    names = [name for _, name in choices]
    assert names == sorted(names)
    assert len(names) == Actor.objects.filter(developments__isnull=False).distinct().count()


def test_admin_development_list_uses_the_actor_filter_by_name(admin_client, seed):
    content = admin_client.get("/admin/tracker/development/").content.decode()
    listed = re.findall(r'href="\?actors__id__exact=\d+"[^>]*>([^<]+)</a>', content)
    assert listed and listed == sorted(listed)


def test_kind_choices_follow_new_kinds(reader):
    make_development(kind=make_kind("sanction", name="Sanction"))
    content = reader.get("/developments/").content.decode()
    assert "sanction" in boxes(content, "kind")
    assert counts(content)["kind", "sanction"] == 1


def test_counts_show_after_the_api_schema_has_built_the_filters_fields(reader):
    # drf-spectacular builds each filter's form field to describe it: the explorer
    # must still count its kinds and statuses afterwards.
    assert reader.get("/api/schema/").status_code == 200
    shown = counts(reader.get("/developments/").content.decode())
    assert shown["status", "occurred"] == (
        Development.objects.published().filter(status="occurred").count()
    )
