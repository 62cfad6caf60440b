"""The rules the data keeps, enforced by the database itself and explained by clean()."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tests.factories import (
    make_actor,
    make_development,
    make_evidence,
    make_recommendation,
    make_source,
)
from tracker.models import (
    Actor,
    ActorKind,
    Assessment,
    AssessmentStatus,
    Citation,
    DatePrecision,
    Development,
    DevelopmentStatus,
    Evidence,
    EvidenceStance,
    Proposal,
    ProposalState,
)

pytestmark = pytest.mark.django_db


def assert_rejected_by_database(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_database_rejects_end_date_before_start():
    development = make_development(date=datetime.date(2023, 1, 14))
    assert_rejected_by_database(
        lambda: Development.objects.filter(pk=development.pk).update(
            end_date=datetime.date(2023, 1, 9)
        )
    )


def test_database_rejects_strength_outside_one_to_three():
    evidence = make_evidence()
    for strength in (0, 4):
        assert_rejected_by_database(
            lambda strength=strength: Evidence.objects.filter(pk=evidence.pk).update(
                strength=strength
            )
        )


def test_database_rejects_a_second_evidence_link_for_the_same_pair():
    evidence = make_evidence()
    assert_rejected_by_database(
        lambda: make_evidence(
            development=evidence.development,
            recommendation=evidence.recommendation,
            stance=Evidence.Stance.HINDERS,
        )
    )


def test_database_rejects_an_unknown_stance_and_an_empty_rationale():
    evidence = make_evidence()
    assert_rejected_by_database(
        lambda: Evidence.objects.filter(pk=evidence.pk).update(stance="supports")
    )
    assert_rejected_by_database(
        lambda: Evidence.objects.filter(pk=evidence.pk).update(rationale="")
    )


def test_database_rejects_citing_the_same_source_twice():
    development, source = make_development(), make_source()
    Citation.objects.create(development=development, source=source)
    assert_rejected_by_database(
        lambda: Citation.objects.create(development=development, source=source)
    )


def test_database_rejects_a_state_whose_code_is_not_two_letters():
    assert_rejected_by_database(
        lambda: Actor.objects.create(code="JPN", name="Japan", kind=Actor.Kind.STATE)
    )


def test_database_rejects_duplicate_development_keys_and_unknown_status():
    development = make_development(key="2023-01-11-japan-uk-raa")
    assert_rejected_by_database(lambda: make_development(key="2023-01-11-japan-uk-raa"))
    assert_rejected_by_database(
        lambda: Development.objects.filter(pk=development.pk).update(status="rumoured")
    )


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Assessment.Status.STALLED, ""),
        (Assessment.Status.NOT_IMPLEMENTED, ""),
        (Assessment.Status.IN_PROGRESS, Assessment.Reason.NOT_PRIORITISED),
    ],
)
def test_database_rejects_a_reason_that_does_not_fit_the_status(status, reason):
    recommendation = make_recommendation()
    assessment = Assessment(
        recommendation=recommendation,
        assessed_on=datetime.date(2023, 3, 1),
        status=status,
        reason=reason,
        rationale="Judged so.",
    )
    with pytest.raises(ValidationError) as error:
        assessment.full_clean()
    assert "reason" in error.value.message_dict
    assert_rejected_by_database(assessment.save)


def test_a_stalled_assessment_with_a_reason_is_accepted():
    assessment = Assessment.objects.create(
        recommendation=make_recommendation(),
        assessed_on=datetime.date(2023, 3, 1),
        status=Assessment.Status.STALLED,
        reason=Assessment.Reason.NO_MAJORITY,
        rationale="No coalition for it.",
    )
    assessment.full_clean()


def test_clean_puts_the_end_date_error_on_the_end_date_field():
    development = Development(
        key="x",
        title="Drills",
        kind=make_development().kind,
        date=datetime.date(2023, 1, 14),
        end_date=datetime.date(2023, 1, 9),
    )
    with pytest.raises(ValidationError) as error:
        development.full_clean()
    assert error.value.message_dict == {
        "end_date": ["The end date cannot be before the start date."]
    }


def test_month_and_year_precision_dates_are_stored_as_the_first_of_their_period():
    december = make_development(date=datetime.date(2022, 12, 9), precision="month")
    later_this_year = make_development(date=datetime.date(2023, 6, 30), precision="year")
    december.refresh_from_db()
    later_this_year.refresh_from_db()
    assert december.date == datetime.date(2022, 12, 1)
    assert december.date_display == "December 2022"
    assert later_this_year.date == datetime.date(2023, 1, 1)
    assert later_this_year.date_display == "2023"


def test_recommendation_source_and_actor_in_use_cannot_be_deleted():
    evidence = make_evidence()
    source = make_source()
    Citation.objects.create(development=evidence.development, source=source)
    actor = evidence.development.actors.get()
    for protected in (evidence.recommendation, source, actor):
        with pytest.raises(ProtectedError):
            protected.delete()
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert evidence.development.actors.filter(pk=actor.pk).exists()


def test_deleting_a_development_removes_its_links_but_not_what_they_point_to():
    evidence = make_evidence()
    development = evidence.development
    development.delete()
    assert not Evidence.objects.exists()
    assert Actor.objects.filter(code="JP").exists()
    assert evidence.recommendation.__class__.objects.filter(pk=evidence.recommendation.pk).exists()


def test_state_actors_take_their_name_from_the_country_list():
    greece = make_actor("GR")
    assert greece.name == "Greece"
    britain = Actor(code="gb", kind=Actor.Kind.STATE, name="Blighty")
    britain.full_clean()
    assert (britain.code, britain.name) == ("GB", "United Kingdom")


def test_an_unknown_country_code_is_a_field_error():
    actor = Actor(code="XQ", kind=Actor.Kind.STATE)
    with pytest.raises(ValidationError) as error:
        actor.full_clean()
    assert "not an ISO 3166-1 alpha-2 country code" in error.value.message_dict["code"][0]


def test_evidence_link_creates_missing_links_once_and_keeps_existing_ones():
    recommendation = make_recommendation()
    linked = make_evidence(recommendation=recommendation, strength=3, rationale="Original.")
    fresh = make_development()
    result = Evidence.objects.link(
        Development.objects.filter(pk__in=[linked.development.pk, fresh.pk]),
        recommendation=recommendation,
        stance=Evidence.Stance.HINDERS,
        strength=1,
        rationale="Bulk.",
    )
    assert (result.created, result.existing) == (1, 1)
    linked.refresh_from_db()
    assert (linked.stance, linked.strength, linked.rationale) == ("advances", 3, "Original.")
    assert Evidence.objects.get(development=fresh).stance == "hinders"


def test_dates_outside_1900_to_2100_are_refused():
    development = make_development()
    assert_rejected_by_database(
        lambda: Development.objects.filter(pk=development.pk).update(date=datetime.date(23, 1, 11))
    )
    development.date = datetime.date(2999, 1, 1)
    with pytest.raises(ValidationError) as error:
        development.full_clean()
    assert error.value.message_dict["date"] == ["Give a date between 1900 and 2100."]


def test_the_choices_are_reachable_under_their_model_too():
    assert Development.Status is DevelopmentStatus
    assert Development.Precision is DatePrecision
    assert Actor.Kind is ActorKind
    assert Evidence.Stance is EvidenceStance
    assert Assessment.Status is AssessmentStatus
    assert Proposal.State is ProposalState


def test_database_accepts_every_status_and_precision_the_choices_offer():
    development = make_development()
    for status in DevelopmentStatus.values:
        Development.objects.filter(pk=development.pk).update(status=status)
    for precision in DatePrecision.values:
        Development.objects.filter(pk=development.pk).update(precision=precision)
    assert_rejected_by_database(
        lambda: Development.objects.filter(pk=development.pk).update(precision="week")
    )
