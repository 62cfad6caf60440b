"""Readers see what passed review, in the admin as on the report pages; the audit
trail keeps the first version of every row; reverting works outside a test's
transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from tests.factories import make_development, make_evidence
from tests.test_admin import admin_url
from tests.test_admin_write_sweep import replayed_form
from tests.test_importers import GOOD
from tracker.interchange import import_developments
from tracker.models import (
    Actor,
    Assessment,
    Development,
    DevelopmentKind,
    Evidence,
    Recommendation,
)

RAA = "2023-01-11-japan-uk-raa"


@pytest.fixture
def draft(seed, editor):
    development = make_development(title="Secret draft", published=False, created_by=editor)
    make_evidence(development=development, recommendation=Recommendation.objects.first())
    return development


@pytest.mark.django_db
def test_analysts_do_not_see_drafts_in_admin_lists_forms_or_history(draft, analyst_client):
    changelist = analyst_client.get(admin_url(Development, "changelist"))
    assert draft not in changelist.context["cl"].result_list
    assert "Secret draft" not in changelist.content.decode()
    assert analyst_client.get(admin_url(Development, "change", draft.pk)).status_code == 302
    assert analyst_client.get(admin_url(Development, "history", draft.pk)).status_code == 404
    version = draft.history.get().history_id
    revert = reverse("admin:tracker_development_simple_history", args=[draft.pk, version])
    assert analyst_client.get(revert).status_code == 404
    evidence = analyst_client.get(admin_url(Evidence, "changelist"))
    assert all(e.development.published for e in evidence.context["cl"].result_list)


@pytest.mark.django_db
def test_analysts_do_not_find_drafts_by_autocomplete(draft, analyst_client):
    response = analyst_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Secret draft",
            "app_label": "tracker",
            "model_name": "evidence",
            "field_name": "development",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_analysts_see_only_published_assessments_inline_and_in_figures(seed, analyst_client):
    tsu1 = Recommendation.objects.get(code="TSU-1")
    Assessment.objects.create(
        recommendation=tsu1,
        assessed_on="2024-05-01",
        status="implemented",
        rationale="A draft judgement.",
        published=False,
    )
    page = analyst_client.get(admin_url(Recommendation, "change", tsu1.pk))
    assert "A draft judgement." not in page.content.decode()
    changelist = analyst_client.get(admin_url(Recommendation, "changelist"))
    row = next(r for r in changelist.context["cl"].result_list if r.pk == tsu1.pk)
    assert row.current_status != "implemented"


@pytest.mark.django_db
def test_editors_still_see_drafts(draft, editor_client):
    assert editor_client.get(admin_url(Development, "change", draft.pk)).status_code == 200


@pytest.mark.django_db
def test_a_country_a_draft_import_creates_stays_off_the_reports_until_published(
    seed, editor, analyst_client
):
    text = GOOD.replace("JP;GB,", "JP;GB;TV,").replace(RAA, "draft-raa")
    report = import_developments(
        io.BytesIO(text.encode()), "csv", created_by=editor, publish=False
    )
    assert report.ok, report.errors
    assert Actor.objects.filter(code="TV").exists()
    assert b"Tuvalu" not in analyst_client.get("/actors/").content
    assert analyst_client.get("/actors/TV/").status_code == 404
    assert b"Tuvalu" not in analyst_client.get("/developments/").content  # the filter's choices
    Development.objects.filter(key="draft-raa").update(published=True)
    assert b"Tuvalu" in analyst_client.get("/actors/").content
    assert analyst_client.get("/actors/TV/").status_code == 200


@pytest.mark.django_db
def test_fixture_rows_get_a_first_version_so_an_edit_keeps_the_original(seed):
    tsu2 = Recommendation.objects.get(code="TSU-2")
    original = tsu2.text
    tsu2.text = "Edited."
    tsu2.save()
    versions = list(tsu2.history.order_by("history_date"))
    assert [v.history_type for v in versions] == ["+", "~"]
    assert versions[0].text == original
    assert versions[0].history_change_reason == "Loaded from a fixture"
    for model in (Development, Evidence, Assessment, DevelopmentKind, Actor):
        assert model.history.count() >= model.objects.count() > 0, model


@pytest.mark.django_db
def test_loading_a_fixture_again_adds_no_second_first_version(seed):
    from django.core.management import call_command

    call_command("loaddata", "reference", verbosity=0)
    tsu2 = Recommendation.objects.get(code="TSU-2")
    assert tsu2.history.count() == 1


@pytest.mark.django_db(transaction=True)
def test_reverting_a_development_works_outside_a_test_transaction(django_user_model, client):
    """On PostgreSQL the edit-conflict check locks the row (select_for_update), which
    needs a transaction: a revert used to answer 500 there."""
    admin = django_user_model.objects.create_superuser("root", password="x-long-pass-1")
    client.force_login(admin)
    development = make_development(title="First")
    development.title = "Second"
    development.save()
    first = development.history.order_by("history_date").first()
    url = reverse(
        "admin:tracker_development_simple_history", args=[development.pk, first.history_id]
    )
    data = replayed_form(client, url)
    assert client.post(url, data).status_code == 302
    development.refresh_from_db()
    assert development.title == "First"
