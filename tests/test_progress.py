import datetime

import pytest

from tests.factories import make_recommendation
from tracker.models import Assessment
from tracker.progress import reached_step, standing_of

pytestmark = pytest.mark.django_db


def assess(recommendation, month, status, reason=""):
    return Assessment.objects.create(
        recommendation=recommendation,
        assessed_on=datetime.date(2023, month, 1),
        status=status,
        reason=reason,
        rationale="Judged.",
    )


def test_the_ladder_step_follows_the_statuses_and_stopping_keeps_the_last():
    recommendation = make_recommendation()
    S, R = Assessment.Status, Assessment.Reason
    steps = []
    for day, status, reason in [
        (1, S.NOT_STARTED, ""),
        (2, S.IN_PROGRESS, ""),
        (3, S.SUBSTANTIAL, ""),
        (4, S.STALLED, R.NO_MAJORITY),
        (6, S.IMPLEMENTED, ""),
        (7, S.NOT_IMPLEMENTED, R.CHANGED_COURSE),
    ]:
        assess(recommendation, day, status, reason)
        steps.append(reached_step(recommendation.assessments.chronological()))
    assert steps == [
        S.NOT_STARTED,
        S.IN_PROGRESS,
        S.SUBSTANTIAL,
        S.SUBSTANTIAL,
        S.IMPLEMENTED,
        S.IMPLEMENTED,
    ]
    standing = standing_of(list(recommendation.assessments.chronological()))
    assert (standing.status, standing.reached, standing.off_ladder) == (
        S.NOT_IMPLEMENTED,
        S.IMPLEMENTED,
        True,
    )


def test_stalled_before_any_progress_stands_on_no_step():
    recommendation = make_recommendation()
    assess(recommendation, 1, Assessment.Status.STALLED, Assessment.Reason.OTHER)
    assert reached_step(recommendation.assessments.chronological()) is None
