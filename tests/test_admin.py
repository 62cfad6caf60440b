"""The admin, as an editor uses it all day."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    make_actor,
    make_development,
    make_evidence,
    make_kind,
    make_recommendation,
)
from tracker import corrections, review, snapshots
from tracker.models import (
    BackgroundJob,
    Citation,
    Correction,
    Development,
    Evidence,
    Proposal,
)

pytestmark = pytest.mark.django_db


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_changelist_add_and_change_page_answers_200(admin_client, seed, editor):
    snapshots.take("Every page")
    development = Development.objects.first()
    after = {**review.development_record(development), "title": "Proposed title"}
    review.propose_development(development, after, editor, "a test")
    corrections.record(
        [corrections.Change("recoded", "TSU-2", "A development", None, None)],
        reason="A test.",
    )
    BackgroundJob.objects.create(
        kind="export", name="all.csv", file_format="csv", created_by=editor
    )
    ours = [m for m in admin.site._registry if m._meta.app_label in ("tracker", "auth")]
    checked = 0
    for model in ours:
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200, model
        # Proposals and corrections are made by changing records, never added by hand;
        # background jobs, by importing or exporting.
        add = 403 if model in (Proposal, Correction, BackgroundJob) else 200
        assert admin_client.get(admin_url(model, "add")).status_code == add, model
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200, model
            checked += 1
    # Every one of our models in the admin has rows here, so every change page was seen.
    assert checked == len(ours)


def test_development_changelist_shows_dates_in_precision_actors_and_evidence(admin_client, seed):
    response = admin_client.get(admin_url(Development, "changelist"))
    content = response.content.decode()
    assert "9–14 January 2023" in content
    assert "December 2022" in content
    assert "FR, JP, US" in content


def test_development_changelist_filters_by_recommendation_and_stance(admin_client, seed):
    response = admin_client.get(
        admin_url(Development, "changelist"), {"recommendation": "TSU-1", "stance": "hinders"}
    )
    shown = {d.key for d in response.context["cl"].result_list}
    expected = set(
        Evidence.objects.filter(recommendation__code="TSU-1", stance="hinders").values_list(
            "development__key", flat=True
        )
    )
    assert shown == expected
    assert "2023-01-mori-ukraine-gaffe" in shown
    assert "2023-01-11-japan-uk-raa" not in shown


def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, seed
):
    url = admin_url(Development, "changelist")
    admin_client.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(url)
    for _ in range(30):
        make_evidence(development=make_development(actors=("JP", "FR")))
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url)


def development_post_data(**overrides):
    kind = make_kind("exercise")
    japan, france = make_actor("JP"), make_actor("FR")
    data = {
        "title": "Japan-France naval drill",
        "key": "2023-01-09-japan-france-drill",
        "kind": kind.pk,
        "status": "occurred",
        "participants": [japan.pk, france.pk],
        "location": "Gulf of Aden",
        "summary": "",
        "date": "2023-01-09",
        "precision": "day",
        "end_date": "2023-01-14",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def with_evidence(data, *rows):
    data["evidence-TOTAL_FORMS"] = str(len(rows))
    for i, (recommendation, stance, strength, rationale) in enumerate(rows):
        data[f"evidence-{i}-recommendation"] = recommendation.pk
        data[f"evidence-{i}-stance"] = stance
        data[f"evidence-{i}-strength"] = strength
        data[f"evidence-{i}-rationale"] = rationale
    return data


def test_adding_a_development_saves_actors_evidence_citation_and_author(admin_client, admin_user):
    recommendation = make_recommendation(code="TSU-2")
    data = with_evidence(
        development_post_data(), (recommendation, "advances", "3", "Forces train together.")
    )
    from tests.factories import make_source

    source = make_source()
    data.update(
        {
            "citations-TOTAL_FORMS": "1",
            "citations-0-source": source.pk,
            "citations-0-locator": "paragraph 5",
            "citations-0-quote": "conducted joint drills",
        }
    )
    response = admin_client.post(admin_url(Development, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    development = Development.objects.get(key="2023-01-09-japan-france-drill")
    assert development.date_display == "9–14 January 2023"
    assert sorted(development.actors.values_list("code", flat=True)) == ["FR", "JP"]
    evidence = development.evidence.get()
    assert (evidence.recommendation, evidence.strength) == (recommendation, 3)
    assert evidence.created_by == admin_user
    assert development.created_by == admin_user
    assert development.citations.get().locator == "paragraph 5"


def test_changing_a_development_replaces_its_actors(admin_client):
    development = make_development(actors=("JP", "FR"))
    make_actor("IT")
    data = development_post_data(
        key=development.key,
        kind=development.kind.pk,
        participants=[make_actor("JP").pk, make_actor("IT").pk],
        end_date="",
        loaded_at=development.updated_at.isoformat(),
    )
    response = admin_client.post(admin_url(Development, "change", development.pk), data)
    assert response.status_code == 302
    assert sorted(development.actors.values_list("code", flat=True)) == ["IT", "JP"]


def test_an_end_date_before_the_start_is_shown_on_its_field_and_nothing_is_saved(admin_client):
    recommendation = make_recommendation()
    data = with_evidence(
        development_post_data(end_date="2023-01-01"), (recommendation, "advances", "2", "Why.")
    )
    response = admin_client.post(admin_url(Development, "add"), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"end_date": ["The end date cannot be before the start date."]}
    assert not Development.objects.exists()
    assert not Evidence.objects.exists()


def test_two_evidence_rows_for_one_recommendation_are_refused_and_nothing_is_saved(admin_client):
    recommendation = make_recommendation()
    data = with_evidence(
        development_post_data(),
        (recommendation, "advances", "2", "One."),
        (recommendation, "hinders", "1", "Two."),
    )
    response = admin_client.post(admin_url(Development, "add"), data)
    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not Development.objects.exists()


def test_a_development_without_actors_or_title_is_refused(admin_client):
    data = development_post_data(participants=[], title="")
    response = admin_client.post(admin_url(Development, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"participants", "title"}
    assert not Development.objects.exists()


def test_bulk_action_asks_for_stance_and_strength_then_links(admin_client):
    recommendation = make_recommendation(code="TSU-3")
    first, second = make_development(), make_development()
    already = make_evidence(development=second, recommendation=recommendation, strength=3)
    changelist = admin_url(Development, "changelist")
    selected = {"action": "link_to_recommendation", "_selected_action": [first.pk, second.pk]}

    confirmation = admin_client.post(changelist, selected)
    assert confirmation.status_code == 200
    assert "Link these 2 developments" in confirmation.content.decode()
    assert not Evidence.objects.filter(development=first).exists()

    applied = admin_client.post(
        changelist,
        {
            **selected,
            "apply": "1",
            "recommendation": recommendation.pk,
            "stance": "advances",
            "strength": "1",
            "rationale": "Both show synergy.",
        },
        follow=True,
    )
    assert "Linked 1 development(s) to TSU-3; 1 already linked" in applied.content.decode()
    link = Evidence.objects.get(development=first)
    assert (link.recommendation, link.strength, link.rationale) == (
        recommendation,
        1,
        "Both show synergy.",
    )
    already.refresh_from_db()
    assert already.strength == 3


def test_bulk_action_with_missing_choices_shows_errors_and_writes_nothing(admin_client):
    development = make_development()
    response = admin_client.post(
        admin_url(Development, "changelist"),
        {
            "action": "link_to_recommendation",
            "_selected_action": [development.pk],
            "apply": "1",
            "stance": "sideways",
            "strength": "9",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"recommendation", "stance", "strength", "rationale"}
    assert not Evidence.objects.exists()


def test_recommendation_page_shows_evidence_counts_and_assessment_history(admin_client, seed):
    from tracker.models import Recommendation

    recommendation = Recommendation.objects.get(code="TSU-1")
    advancing = recommendation.evidence.filter(stance="advances").count()
    hindering = recommendation.evidence.filter(stance="hinders").count()
    response = admin_client.get(admin_url(Recommendation, "change", recommendation.pk))
    content = response.content.decode()
    assert f"{advancing} advancing, {hindering} hindering" in content
    assert "2023-03-01" in content  # the seeded assessment, in the history inline


def test_citation_and_evidence_admins_link_to_developments(admin_client):
    evidence = make_evidence()
    response = admin_client.get(admin_url(Evidence, "changelist"))
    assert evidence.development.title in response.content.decode()
    assert admin_client.get(admin_url(Citation, "changelist")).status_code == 200


def test_admin_dates_use_iso_input(admin_client):
    development = make_development(date=datetime.date(2023, 1, 30))
    response = admin_client.get(admin_url(Development, "change", development.pk))
    assert 'value="2023-01-30"' in response.content.decode()


def test_evidence_saved_meanwhile_by_someone_else_is_an_error_not_a_crash(admin_client):
    recommendation = make_recommendation()
    development = make_development()
    # Another editor links it while this form is open (the form did not show it).
    make_evidence(development=development, recommendation=recommendation)
    data = with_evidence(
        development_post_data(
            key=development.key,
            kind=development.kind.pk,
            title=development.title,
            end_date="",
        ),
        (recommendation, "hinders", "1", "Mine."),
    )
    response = admin_client.post(admin_url(Development, "change", development.pk), data)
    assert response.status_code == 200
    assert "already evidence for that recommendation" in response.content.decode()
    assert development.evidence.get().stance == "advances"


def test_admin_refuses_ambiguous_day_month_dates(admin_client):
    response = admin_client.post(
        admin_url(Development, "add"), development_post_data(date="01/02/2023", end_date="")
    )
    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert not Development.objects.exists()
