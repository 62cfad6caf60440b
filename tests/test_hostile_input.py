"""Hostile input: random queries and forms never break a page, stored text is escaped
everywhere it is shown, and exports never hand a spreadsheet a formula.

The property tests use Hypothesis. Each runs inside one pytest-django test (one
database, one client), so the examples of a test share their fixtures; the admin
test rolls each example back so that one example's saved row cannot change the next.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import operator
import xml.etree.ElementTree as ET

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import downloaded
from tests.factories import make_actor, make_development, make_evidence, make_kind, make_source
from tracker.models import Citation, Development, Recommendation

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKUP = ("<script>", "<img src=x")

# When this run began, as an edit token (`loaded_at`) would say it.
RUN_STARTED = datetime.datetime.now(datetime.UTC).replace(microsecond=0, tzinfo=None)


def assert_no_markup(body: bytes | str, where: str):
    text = body.decode() if isinstance(body, bytes) else body
    for needle in MARKUP:
        assert needle not in text, f"{needle!r} unescaped in {where}"


# --- Strategies -------------------------------------------------------------------

# Text of any plane but NUL (PostgreSQL refuses it in any query) and surrogates.
hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
control_text = st.text(
    alphabet=st.characters(min_codepoint=1, max_codepoint=0x1F) | st.sampled_from("\x7f\x85"),
    min_size=1,
    max_size=10,
)
long_text = st.builds(
    operator.mul,
    st.text(min_size=1, max_size=3).filter(lambda s: "\x00" not in s),
    st.integers(200, 20_000),
)
numbers = st.one_of(
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**100]),
).map(str)
iso_dates = st.dates().map(datetime.date.isoformat)
# Values at the edges of what the parsers take: numbers, dates, codes, choices,
# column names, quoting, markup and template syntax.
TRICKY = [
    "",
    " ",
    "0",
    "-0",
    "1e10",
    "NaN",
    "inf",
    "0x10",
    "1_000",
    "٣",  # Arabic-Indic three: isdigit() and int() both accept it
    "２",  # fullwidth two: likewise
    "2023-02-30",
    "2023-13-45",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2023-1-9",
    "csv",
    "xlsx",
    "json",
    "CSV",
    "TSU-1",
    "tsu-2",
    "JP",
    "jp",
    "NATO",
    "exercise",
    "advances",
    "hinders",
    "occurred",
    "-date",
    "date",
    "title",
    "kind",
    "net_score",
    "-development_count",
    "25",
    "50",
    "100",
    "%",
    "%%",
    "_",
    "\\",
    "'",
    '"',
    "' OR 1=1 --",
    SCRIPT,
    IMG,
    "{{ 7|add:1 }}",
    "{% debug %}",
    "\u202e\u200b\ufeff",
    "😀",
    "a\r\nb",
]
# str.isdigit() accepts these, int() refuses them (once a 500 on every paged table).
SUPERSCRIPT_DIGITS = ["²", "1²", "³", "①"]

param_values = st.one_of(
    hostile_text, control_text, long_text, numbers, iso_dates, st.sampled_from(TRICKY)
)
PARAM_NAMES = [
    "q",
    "date_after",
    "date_before",
    "kind",
    "status",
    "actor",
    "recommendation",
    "stance",
    "strength",
    "sort",
    "page",
    "per_page",
    "as_of",
    "group",
    "_export",
]
values_or_lists = st.one_of(param_values, st.lists(param_values, min_size=1, max_size=4))
queries = st.builds(
    lambda known, unknown, export: {**unknown, **known, **export},
    st.dictionaries(st.sampled_from(PARAM_NAMES), values_or_lists, max_size=6),
    st.dictionaries(hostile_text.filter(bool), values_or_lists, max_size=2),
    # Half the examples export, so that the exports see as much as the pages.
    st.one_of(st.just({}), st.sampled_from(["csv", "xlsx", "json"]).map(lambda f: {"_export": f})),
)


# --- 1. Random query strings to every report page ------------------------------

REPORT_PAGES = [
    "/",
    "/methodology/",
    "/developments/",
    "/developments/{pk}/",
    "/recommendations/TSU-1/",
    "/actors/",
    "/actors/JP/",
    "/reports/matrix/",
    "/timeline/",
    "/developments/feed/",
    "/recommendations/TSU-2/feed/",
]
HARMLESS = {200, 302, 400, 403, 404}


def seed_development_url(template: str) -> str:
    pk = Development.objects.get(key="2023-01-09-gulf-of-aden-drills").pk
    return template.format(pk=pk)


@pytest.mark.parametrize("url", REPORT_PAGES)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries)
@example(query={"as_of": "0001-01-01", "date_after": "0001-01-01", "date_before": "9999-12-31"})
@example(query={"as_of": "9999-12-31", "date_after": "2023-02-01", "date_before": "2023-01-01"})
@example(query={"page": "1000000", "per_page": "100", "sort": ["-nothing", "date", "title"]})
@example(query={"q": "x" * 10_000, "actor": ["JP", "jp", "XX"], "kind": ["exercise", SCRIPT]})
@example(query={"as_of": SCRIPT, "q": IMG, "group": "0", "sort": IMG, "_export": "json"})
@example(
    query={
        "strength": ["0", "4", "３", "2"],
        "stance": "advances",
        "status": ["occurred", "rumoured"],
        "recommendation": "tsu-1",
        "_export": "xlsx",
    }
)
def test_random_query_strings_never_break_a_report_page_or_export(
    analyst_client, seed, url, query
):
    response = analyst_client.get(seed_development_url(url), query)
    assert response.status_code in HARMLESS
    body = downloaded(response)
    if response.status_code != 200:
        return
    content_type = response["Content-Type"]
    if content_type.startswith("text/html"):
        assert_no_markup(body, f"{url} with {query!r}")
    elif content_type.startswith("application/json"):
        json.loads(body)
    elif content_type.startswith("application/atom+xml"):
        ET.fromstring(body)
    elif content_type.startswith("text/csv"):
        body.decode("utf-8")


@pytest.mark.parametrize(
    "url", ["/developments/", "/actors/", "/actors/JP/", "/recommendations/TSU-1/"]
)
def test_a_superscript_page_number_is_not_found_rather_than_an_error(analyst_client, seed, url):
    for number in SUPERSCRIPT_DIGITS:
        assert analyst_client.get(url, {"page": number}).status_code == 404, number


@pytest.mark.parametrize(
    "url", ["/developments/", "/actors/", "/actors/JP/", "/recommendations/TSU-1/"]
)
def test_a_page_number_of_thousands_of_digits_is_not_found_rather_than_an_error(
    analyst_client, seed, url
):
    assert analyst_client.get(url, {"page": "1" * 4301}).status_code == 404


# --- 2. Random values posted to every admin add form ---------------------------

TRACKER_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "tracker"),
    key=lambda model: model._meta.model_name,
)
# Proposals and corrections are made by changing records, background jobs by an
# import or export: nobody adds one by hand (tests say so).
ADDABLE_MODELS = [
    model
    for model in TRACKER_MODELS
    if model._meta.model_name not in ("proposal", "correction", "backgroundjob")
]


def is_autocomplete(form_field) -> bool:
    widget = getattr(form_field.widget, "widget", form_field.widget)  # unwrap the "+" link
    return isinstance(widget, AutocompleteMixin)


def existing_values(form_field) -> list[str]:
    """Values a model choice field would accept: the keys of some existing rows."""
    key = form_field.to_field_name or "pk"
    return [str(value) for value in form_field.queryset.values_list(key, flat=True)[:20]]


def field_values(form_field, name, model, hostile=False):
    """A strategy for one posted field: a value its type would accept, or a hostile one."""
    if hostile:
        return param_values
    if isinstance(form_field, forms.ModelChoiceField):  # and ModelMultipleChoiceField
        values = st.sampled_from(existing_values(form_field) or [""])
        if isinstance(form_field, forms.ModelMultipleChoiceField):
            return st.lists(values, min_size=1, max_size=3)
        return values
    if isinstance(form_field, forms.ChoiceField):
        choices = [str(key) for key, _ in form_field.choices if key not in ("", None)]
        return st.sampled_from(choices or [""])
    if isinstance(form_field, forms.DateTimeField):
        # Bounds fixed for the run: a strategy that moved with the clock drew
        # differently when a test crossed a second (hypothesis calls that flaky).
        return st.datetimes(RUN_STARTED - datetime.timedelta(days=1), RUN_STARTED).map(str)
    if isinstance(form_field, forms.DateField):
        strategy = st.dates(datetime.date(1890, 1, 1), datetime.date(2110, 12, 31)).map(str)
        taken = [str(v) for v in model.objects.values_list(name, flat=True)[:20] if v]
        return st.one_of(strategy, st.sampled_from(taken)) if taken else strategy
    if isinstance(form_field, forms.IntegerField):
        # Around the form's bounds, and around the model's (years 1900-2200, strength 1-3).
        low = -5 if form_field.min_value is None else form_field.min_value - 1
        high = 3000 if form_field.max_value is None else form_field.max_value + 1
        return st.one_of(st.integers(low, high), st.integers(-1, 4), st.integers(1895, 2205)).map(
            str
        )
    if isinstance(form_field, forms.BooleanField):
        return st.sampled_from(["on", ""])
    if isinstance(form_field, forms.URLField):
        return st.sampled_from(["", "https://example.com/", "example.com", "http://[::1"])
    strategies = [
        st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,15}\Z"),
        st.from_regex(r"\A[A-Z][A-Z0-9-]{0,10}\Z"),  # a code
        st.sampled_from(["NL", "PL", "SE", "KR", "IN", "ZZ"]),  # a country code, or not
        hostile_text.filter(str.strip),  # free text may hold anything
    ]
    model_field = next((f for f in model._meta.fields if f.name == name), None)
    if model_field is not None and model_field.unique:
        taken = [str(v) for v in model.objects.values_list(name, flat=True)[:20] if v]
        if taken:
            strategies.append(st.sampled_from(taken))  # a clash with a saved row
    return st.one_of(strategies)


@pytest.fixture
def add_form(admin_client, seed, model):
    """The admin add page of `model`, read once: its URL, form fields and inlines."""
    url = reverse(f"admin:tracker_{model._meta.model_name}_add")
    response = admin_client.get(url)
    assert response.status_code == 200
    fields = response.context["adminform"].form.fields
    inlines = [inline.formset for inline in response.context["inline_admin_formsets"]]
    return url, fields, inlines


@pytest.mark.parametrize("model", ADDABLE_MODELS, ids=lambda model: model._meta.model_name)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_values_posted_to_an_admin_add_form_never_give_an_error_page(
    admin_client, model, add_form, data
):
    url, fields, inlines = add_form
    post: dict = {}

    def fill(prefix, form_fields, form_model, skip=()):
        names = [name for name in form_fields if name not in skip]
        spoilt = data.draw(st.sets(st.sampled_from(names), max_size=2), label=f"{prefix}hostile")
        for name in names:
            field = form_fields[name]
            value = data.draw(
                field_values(field, name, form_model, hostile=name in spoilt),
                label=prefix + name,
            )
            if value or field.required or data.draw(st.booleans(), label=f"send {prefix}{name}"):
                post[prefix + name] = value

    fill("", fields, model)
    for formset in inlines:
        rows = data.draw(st.integers(0, 2), label=f"{formset.prefix} rows")
        post[f"{formset.prefix}-TOTAL_FORMS"] = str(rows)
        post[f"{formset.prefix}-INITIAL_FORMS"] = "0"
        for row in range(rows):
            fill(
                f"{formset.prefix}-{row}-",
                formset.empty_form.fields,
                formset.model,
                skip={"id", "DELETE", formset.fk.name},
            )
    with transaction.atomic():  # each example starts from the same rows
        response = admin_client.post(url, post)
        transaction.set_rollback(True)
    assert response.status_code in {200, 302}


def autocomplete_post(add_form, bad_id) -> dict:
    """A post that puts `bad_id` in every autocomplete field of the form and its inlines."""
    _url, fields, inlines = add_form
    post = {name: bad_id for name, field in fields.items() if is_autocomplete(field)}
    for formset in inlines:
        autocompletes = [n for n, f in formset.empty_form.fields.items() if is_autocomplete(f)]
        post[f"{formset.prefix}-TOTAL_FORMS"] = "1" if autocompletes else "0"
        post[f"{formset.prefix}-INITIAL_FORMS"] = "0"
        post.update({f"{formset.prefix}-0-{name}": bad_id for name in autocompletes})
    assert post, "no autocomplete field on this form"
    return post


AUTOCOMPLETE_MODELS = [
    model
    for model in TRACKER_MODELS
    if model._meta.model_name
    in {"assessment", "citation", "development", "developmentactor", "evidence", "framework"}
]


@pytest.mark.parametrize("model", AUTOCOMPLETE_MODELS, ids=lambda model: model._meta.model_name)
def test_a_non_numeric_id_in_an_autocomplete_field_is_refused_not_an_error(
    admin_client, model, add_form
):
    response = admin_client.post(add_form[0], autocomplete_post(add_form, ":"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", AUTOCOMPLETE_MODELS, ids=lambda model: model._meta.model_name)
def test_an_id_past_the_integer_range_in_an_autocomplete_field_is_refused_not_an_error(
    admin_client, model, add_form
):
    response = admin_client.post(add_form[0], autocomplete_post(add_form, str(2**63)))
    assert response.status_code == 200


# --- 3. Stored text is escaped everywhere it is shown --------------------------


@pytest.fixture
def hostile_development(seed):
    """A development whose every free-text field, and those of its links, is a payload."""
    kind = make_kind(code="hostile-kind", name=IMG)
    actor = make_actor(code="XSS", name=SCRIPT)
    development = make_development(
        actors=("JP", "XSS"),
        kind=kind,
        key="hostile-development",
        date=datetime.date(2023, 6, 1),  # newest, so on the dashboard's recent list
        title=SCRIPT,
        summary=IMG,
        location=SCRIPT + IMG,
    )
    for code in ("TSU-1", "TSU-2"):
        make_evidence(
            development=development,
            recommendation=Recommendation.objects.get(code=code),
            rationale=SCRIPT + IMG,
        )
    source = make_source(title=SCRIPT + IMG, publisher=IMG, url="https://example.com/?a=<b>")
    Citation.objects.create(development=development, source=source, quote=IMG, locator=SCRIPT)
    assert actor.developments.filter(pk=development.pk).exists()
    return development


def html_pages(development):
    return [
        "/",
        "/developments/",
        f"/developments/?q={SCRIPT}",
        f"/developments/{development.pk}/",
        "/recommendations/TSU-1/",
        "/recommendations/TSU-2/",
        "/actors/",
        "/actors/JP/",
        "/actors/XSS/",
        "/reports/matrix/",
        "/reports/matrix/?group=0",
        "/timeline/",
    ]


ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&lt;img src=x onerror=alert(1)&gt;"


def test_stored_payloads_are_escaped_on_every_report_page(analyst_client, hostile_development):
    for url in html_pages(hostile_development):
        response = analyst_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_no_markup(body, url)
        assert ESCAPED_SCRIPT in body, f"the payload is not shown on {url}"
    # Every field of the development, its evidence and its source shows, as text.
    development_page = analyst_client.get(hostile_development.get_absolute_url()).content.decode()
    assert development_page.count(ESCAPED_SCRIPT) >= 4  # title, location, rationale, source
    assert development_page.count(ESCAPED_IMG) >= 4  # summary, location, rationale, source


def test_the_timeline_svg_titles_hold_the_payload_as_text(analyst_client, hostile_development):
    body = analyst_client.get("/timeline/").content.decode()
    start, end = body.index("<svg"), body.index("</svg>", body.index("<svg")) + len("</svg>")
    svg = ET.fromstring(body[start:end])
    titles = [el.text or "" for el in svg.iter() if el.tag.rsplit("}", 1)[-1] == "title"]
    assert any(SCRIPT in title for title in titles)
    assert not any(el.tag.rsplit("}", 1)[-1] in {"script", "img"} for el in svg.iter())


def atom(response) -> ET.Element:
    assert response.status_code == 200
    return ET.fromstring(response.content)


@pytest.mark.parametrize("url", ["/developments/feed/", "/recommendations/TSU-1/feed/"])
def test_atom_feeds_carry_the_payload_only_as_text(analyst_client, hostile_development, url):
    body = analyst_client.get(url).content
    assert_no_markup(body, url)
    feed = atom(analyst_client.get(url))
    tags = {element.tag.rsplit("}", 1)[-1] for element in feed.iter()}
    assert not tags & {"script", "img"}
    texts = [element.text or "" for element in feed.iter()]
    assert any(SCRIPT in text for text in texts)


@pytest.mark.parametrize("url", ["/developments/feed/", "/recommendations/TSU-1/feed/"])
def test_atom_summaries_declared_as_html_hold_no_markup_from_stored_text(
    analyst_client, hostile_development, url
):
    """A feed reader renders a type="html" summary as HTML: stored text must be escaped in it."""
    feed = atom(analyst_client.get(url))
    summaries = [element.text or "" for element in feed.iter() if element.get("type") == "html"]
    assert summaries
    for summary in summaries:
        assert_no_markup(summary, f"{url} <summary type=html>")
    assert any(ESCAPED_SCRIPT in summary or ESCAPED_IMG in summary for summary in summaries)


def test_json_export_holds_the_payload_as_a_plain_string(analyst_client, hostile_development):
    for url in ("/developments/", "/recommendations/TSU-1/", "/actors/JP/"):
        response = analyst_client.get(url, {"_export": "json"})
        rows = json.loads(downloaded(response))
        values = [value for row in rows for value in row.values()]
        assert any(value == SCRIPT for value in values if isinstance(value, str)), url


def test_admin_changelist_and_change_form_escape_the_payload(admin_client, hostile_development):
    for url in (
        reverse("admin:tracker_development_changelist"),
        reverse("admin:tracker_development_changelist") + "?q=script",
        reverse("admin:tracker_development_change", args=[hostile_development.pk]),
        reverse("admin:tracker_evidence_changelist"),
        reverse("admin:tracker_citation_changelist"),
        reverse("admin:tracker_source_changelist"),
        reverse("admin:tracker_actor_changelist"),
        reverse("admin:tracker_developmentkind_changelist"),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_no_markup(response.content, url)
        body = response.content.decode()
        assert ESCAPED_SCRIPT in body or ESCAPED_IMG in body, f"the payload is not shown on {url}"


stored_text = st.one_of(hostile_text, control_text, st.sampled_from(TRICKY)).filter(str.strip)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=stored_text, summary=st.one_of(stored_text, long_text), rationale=stored_text)
def test_random_stored_text_never_breaks_a_page_a_feed_or_an_export(
    analyst_client, seed, title, summary, rationale
):
    from openpyxl import load_workbook

    with transaction.atomic():  # each example starts from the seed alone
        development = make_development(
            title=title[:200], summary=summary, location=title[:200], key="random-text"
        )
        make_evidence(
            development=development,
            recommendation=Recommendation.objects.get(code="TSU-1"),
            rationale=rationale,
        )
        for url in (development.get_absolute_url(), "/developments/", "/", "/timeline/"):
            assert analyst_client.get(url).status_code == 200, url
        for url in ("/developments/feed/", "/recommendations/TSU-1/feed/"):
            ET.fromstring(analyst_client.get(url).content)  # well-formed XML, control chars gone
        # Every development (not a search: on PostgreSQL '-x' means 'without x').
        rows = json.loads(downloaded(analyst_client.get("/developments/", {"_export": "json"})))
        assert title[:200] in [row["Title"] for row in rows]
        for export_format in ("csv", "xlsx"):
            response = analyst_client.get("/recommendations/TSU-1/", {"_export": export_format})
            content = downloaded(response)
            if export_format == "xlsx":
                load_workbook(io.BytesIO(content))
            else:
                content.decode("utf-8")
        transaction.set_rollback(True)


# --- 4. Exports never hand a spreadsheet a formula -----------------------------

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", '=HYPERLINK("http://evil","x")']


@pytest.fixture
def formula_rows(seed):
    kind = make_kind(code="formula-kind", name="=KIND()")
    make_actor(code="FORMULA", name="=ACTOR()")
    tsu1 = Recommendation.objects.get(code="TSU-1")
    for n, title in enumerate(FORMULAS):
        development = make_development(
            actors=("JP", "FORMULA"), kind=kind, key=f"formula-{n}", title=title
        )
        make_evidence(development=development, recommendation=tsu1, rationale=title)
    return FORMULAS


def exported_rows(client, url, export_format, query=None) -> list[list]:
    response = client.get(url, {**(query or {}), "_export": export_format})
    assert response.status_code == 200
    content = downloaded(response)
    if export_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    return [list(row) for row in sheet.values]


def column(rows, header) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_exports_write_formula_like_titles_with_a_leading_quote(
    analyst_client, formula_rows, export_format
):
    rows = exported_rows(analyst_client, "/developments/", export_format, {"kind": "formula-kind"})
    assert sorted(column(rows, "Title")) == sorted("'" + title for title in formula_rows)
    assert set(column(rows, "Kind")) == {"'=KIND()"}


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_every_table_export_neutralises_formula_cells(analyst_client, formula_rows, export_format):
    evidence = exported_rows(
        analyst_client, "/recommendations/TSU-1/", export_format, {"kind": "formula-kind"}
    )
    assert sorted(column(evidence, "Development")) == sorted("'" + t for t in formula_rows)
    assert sorted(column(evidence, "Rationale")) == sorted("'" + t for t in formula_rows)
    actors = exported_rows(analyst_client, "/actors/", export_format)
    assert "'=ACTOR()" in column(actors, "Name")
    actor = exported_rows(analyst_client, "/actors/FORMULA/", export_format)
    assert sorted(column(actor, "Title")) == sorted("'" + t for t in formula_rows)
    matrix = exported_rows(analyst_client, "/reports/matrix/", export_format)
    assert "'=ACTOR()" in column(matrix, "Actor")
    for rows in (evidence, actors, actor, matrix):
        for row in rows:
            for value in row:
                assert not (isinstance(value, str) and value.startswith(("=", "+", "@"))), value


formula_like = st.builds(
    lambda junk, trigger, rest: junk + trigger + rest,
    st.text(alphabet=st.sampled_from("\x01\x02\x08\x0b\x0c\x1b\x1f"), max_size=3),
    st.sampled_from(["=", "+", "-", "@", "\t", "\r"]),
    hostile_text,
)


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=formula_like)
def test_a_title_a_spreadsheet_would_run_is_always_exported_as_text(
    analyst_client, seed, export_format, title
):
    kind = make_kind(code="formula-kind")
    with transaction.atomic():  # each example starts from the seed alone
        make_development(title=title[:200], kind=kind, key="formula")
        rows = exported_rows(
            analyst_client, "/developments/", export_format, {"kind": "formula-kind"}
        )
        transaction.set_rollback(True)
    (cell,) = column(rows, "Title")
    assert cell.startswith("'"), repr(cell)


@pytest.mark.parametrize(
    ("value", "is_id"),
    [
        ("42", True),
        ("007", True),
        # Django int()s the text itself: thousands of leading zeros would be an error.
        ("0" * 5000 + "7", False),
        ("0" * 4301, False),
        ("9" * 5000, False),
        (str(2**63), False),
    ],
)
def test_ids_of_thousands_of_digits_are_refused_without_an_error(value, is_id):
    from tracker.admin_site import could_be_id

    assert could_be_id(value) is is_id


def test_a_search_without_a_word_matches_the_text_itself(analyst_client, seed):
    make_development(title="Signs only: ->>", key="signs")
    rows = analyst_client.get("/developments/", {"q": "->>"}).context["table"].rows
    assert [row.record.key for row in rows] == ["signs"]


def test_an_id_of_thousands_of_zeros_posted_to_an_autocomplete_is_a_form_error(admin_client, seed):
    """Found by the property test above on PostgreSQL: Django's autocomplete widget
    redrew the refused form by int() on the posted text, leading zeros and all."""
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:tracker_evidence_add"), {"development": "0" * 4301, "stance": "advances"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["development"]
