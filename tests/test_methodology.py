"""The scoring rules of methodology v2, each with figures worked out by hand.

A link's points: sign × strength × nature (material 2, verbal 1) × status
(occurred 1, announced 0.5, reported 0.25, cancelled 0 but 1 when hindering) ×
confidence (low 0.5) × reliability of the best source (unconfirmed or none 0.5).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tests.factories import make_development, make_evidence, make_kind, make_recommendation
from tracker import methodology, progress
from tracker.models import (
    Citation,
    Development,
    DevelopmentKind,
    DevelopmentStatus,
    EvidenceConfidence,
    EvidenceStance,
    FollowKind,
    Recommendation,
    SourceReliability,
)

ADVANCES, HINDERS = EvidenceStance.ADVANCES, EvidenceStance.HINDERS
MATERIAL, VERBAL = DevelopmentKind.Nature.MATERIAL, DevelopmentKind.Nature.VERBAL
JAN, FEB, MAR = (datetime.date(2023, month, 10) for month in (1, 2, 3))


@pytest.mark.parametrize(
    ("stance", "strength", "nature", "status", "confidence", "reliability", "expected"),
    [
        (ADVANCES, 3, MATERIAL, "occurred", "high", "primary", "6"),  # 3 × 2
        (ADVANCES, 2, VERBAL, "occurred", "medium", "secondary", "2"),
        (ADVANCES, 3, MATERIAL, "announced", "medium", "secondary", "3"),  # 6 × 0.5
        (ADVANCES, 2, MATERIAL, "reported", "medium", "secondary", "1"),  # 4 × 0.25
        (ADVANCES, 3, MATERIAL, "cancelled", "high", "primary", "0"),
        (HINDERS, 2, VERBAL, "cancelled", "medium", "secondary", "-2"),  # a setback, in full
        (HINDERS, 3, MATERIAL, "occurred", "low", "secondary", "-3"),  # 6 × 0.5
        (ADVANCES, 2, VERBAL, "occurred", "medium", "unconfirmed", "1"),  # 2 × 0.5
        (ADVANCES, 1, VERBAL, "reported", "low", "unconfirmed", "0.0625"),  # 0.25 × 0.5 × 0.5
    ],
)
def test_points_of_one_link(stance, strength, nature, status, confidence, reliability, expected):
    points = methodology.points(stance, strength, nature, status, confidence, reliability)
    assert points == Decimal(expected)


def test_the_version_names_the_weights_in_the_code():
    """Changing a weight without a new version fails here: cited figures would
    silently mean something else."""
    assert methodology.WEIGHTS_DIGEST[methodology.VERSION] == methodology.digest(), (
        "The weights changed: add a version to WEIGHTS_DIGEST and set VERSION to it."
    )


def test_changing_a_weight_changes_the_digest(monkeypatch):
    before = methodology.digest()
    monkeypatch.setitem(methodology.STATUS_WEIGHTS, DevelopmentStatus.ANNOUNCED, Decimal("0.6"))
    assert methodology.digest() != before


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (7.0, False, "7"),
        (7.5, True, "+7.5"),
        (-2.0, True, "-2"),
        (0.0, True, "0"),
        (None, False, "0"),
    ],
)
def test_scores_read_as_analysts_cite_them(value, signed, text):
    assert methodology.format_points(value, signed=signed) == text


def _sourced(development, reliability=SourceReliability.SECONDARY):
    from tests.factories import make_source

    Citation.objects.create(development=development, source=make_source(reliability=reliability))
    return development


def _net(recommendation, as_of=None) -> float:
    row = progress.annotate_evidence(
        Recommendation.objects.filter(pk=recommendation.pk), as_of
    ).get()
    return row.net_score


def _link(recommendation, *, status="occurred", nature=MATERIAL, date=JAN, **fields):
    kind = make_kind(f"kind-{nature}", nature=nature)
    development = _sourced(make_development(kind=kind, status=status, date=date))
    stance = fields.pop("stance", ADVANCES)
    strength = fields.pop("strength", 3)
    return make_evidence(development, recommendation, stance=stance, strength=strength, **fields)


@pytest.mark.django_db
def test_the_database_sums_what_the_rule_says():
    """Every status, nature, stance, confidence and grade at once: the SQL total is
    the sum of methodology.points over the links."""
    recommendation = make_recommendation()
    expected = Decimal(0)
    for i, (status, nature, stance, confidence, reliability) in enumerate(
        [
            ("occurred", MATERIAL, ADVANCES, "high", "primary"),
            ("announced", VERBAL, ADVANCES, "medium", "secondary"),
            ("reported", MATERIAL, ADVANCES, "low", "secondary"),
            ("cancelled", MATERIAL, ADVANCES, "high", "primary"),
            ("cancelled", VERBAL, HINDERS, "medium", "secondary"),
            ("occurred", VERBAL, HINDERS, "low", "unconfirmed"),
        ]
    ):
        kind = make_kind(f"kind-{nature}", nature=nature)
        development = _sourced(
            make_development(kind=kind, status=status, date=JAN + datetime.timedelta(days=i)),
            reliability,
        )
        make_evidence(
            development, recommendation, stance=stance, strength=2, confidence=confidence
        )
        expected += methodology.points(stance, 2, nature, status, confidence, reliability)
    # By hand: 4 + 1 + 0.5 + 0 - 2 - 0.5 = 3
    assert expected == 3
    assert _net(recommendation) == 3


@pytest.mark.django_db
def test_a_cancelled_exercise_adds_nothing_and_a_hindering_cancellation_counts():
    recommendation = make_recommendation()
    _link(recommendation, status="cancelled", strength=3)
    assert _net(recommendation) == 0
    _link(recommendation, status="cancelled", stance=HINDERS, strength=1, nature=VERBAL)
    assert _net(recommendation) == -1


@pytest.mark.django_db
def test_an_announcement_weighs_half_a_deed_and_a_report_a_quarter():
    recommendation = make_recommendation()
    _link(recommendation, status="announced", strength=3)  # 6 × 0.5
    _link(recommendation, status="reported", strength=2)  # 4 × 0.25
    assert _net(recommendation) == 4


@pytest.mark.django_db
def test_a_chain_counts_once_at_its_latest_stage_and_as_of_sees_the_stage_of_its_day():
    recommendation = make_recommendation()
    pledge = _link(recommendation, status="announced", strength=3, date=JAN).development
    deed = _link(recommendation, status="occurred", strength=3, date=MAR).development
    deed.follows, deed.follows_as = pledge, FollowKind.FULFILS
    deed.save()
    assert _net(recommendation) == 6  # the deed alone, not 3 + 6
    assert _net(recommendation, as_of=FEB) == 3  # the pledge, before the deed
    counts = progress.annotate_evidence(Recommendation.objects.filter(pk=recommendation.pk), None)
    assert counts.get().advancing == 1


@pytest.mark.django_db
def test_a_cancellation_ends_what_it_cancels_even_without_links_of_its_own():
    recommendation = make_recommendation()
    pledge = _link(recommendation, status="announced", strength=2, date=JAN).development
    assert _net(recommendation) == 2
    _sourced(
        make_development(
            status="cancelled", date=MAR, follows=pledge, follows_as=FollowKind.CANCELS
        )
    )
    assert _net(recommendation) == 0
    assert _net(recommendation, as_of=FEB) == 2


@pytest.mark.django_db
def test_a_draft_stage_does_not_end_the_published_one():
    recommendation = make_recommendation()
    pledge = _link(recommendation, status="announced", strength=2).development
    make_development(
        status="occurred", date=MAR, follows=pledge, follows_as=FollowKind.FULFILS, published=False
    )
    assert _net(recommendation) == 2


@pytest.mark.django_db
def test_low_confidence_and_weak_sources_halve_a_link_and_one_good_source_is_enough():
    recommendation = make_recommendation()
    _link(recommendation, strength=2, confidence=EvidenceConfidence.LOW)  # 4 × 0.5
    assert _net(recommendation) == 2
    rumour = make_development(kind=make_kind("kind-m", nature=MATERIAL), date=FEB)
    _sourced(rumour, SourceReliability.UNCONFIRMED)
    make_evidence(rumour, recommendation, strength=1)  # 2 × 0.5
    assert _net(recommendation) == 3
    _sourced(rumour, SourceReliability.PRIMARY)
    assert _net(recommendation) == 4
    unsourced = make_development(kind=make_kind("kind-m", nature=MATERIAL), date=FEB)
    make_evidence(unsourced, recommendation, strength=1)  # no source: as unconfirmed
    assert _net(recommendation) == 5


@pytest.mark.django_db
def test_a_chain_refuses_loops_and_earlier_stages_dated_later():
    from django.core.exceptions import ValidationError

    first = make_development(date=JAN)
    second = make_development(date=MAR, follows=first, follows_as=FollowKind.FULFILS)
    first.follows, first.follows_as = second, FollowKind.SUPERSEDES
    with pytest.raises(ValidationError, match="It follows a later development"):
        first.full_clean()
    first.date = MAR
    with pytest.raises(ValidationError, match="loop"):
        first.full_clean()
    third = Development(date=FEB, follows=second, follows_as=FollowKind.FULFILS)
    with pytest.raises(ValidationError, match="later development"):
        third.clean_chain()
    assert [d.pk for d in second.chain()] == [first.pk, second.pk]
