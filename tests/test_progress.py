import datetime

import pytest

from tests.factories import make_recommendation
from tracker.models import Assessment
from tracker.progress import display_percentages

pytestmark = pytest.mark.django_db


def assess(recommendation, month, status, reason=""):
    return Assessment.objects.create(
        recommendation=recommendation,
        assessed_on=datetime.date(2023, month, 1),
        status=status,
        reason=reason,
        rationale="Judged.",
    )


def test_each_status_maps_to_its_percentage_and_stalled_keeps_the_last():
    recommendation = make_recommendation()
    S, R = Assessment.Status, Assessment.Reason
    assess(recommendation, 5, S.STALLED, R.NOT_PRIORITISED)
    assess(recommendation, 1, S.NOT_STARTED)
    assess(recommendation, 2, S.IN_PROGRESS)
    assess(recommendation, 3, S.SUBSTANTIAL)
    assess(recommendation, 4, S.STALLED, R.NO_MAJORITY)
    assess(recommendation, 6, S.IMPLEMENTED)
    assess(recommendation, 7, S.NOT_IMPLEMENTED, R.CHANGED_COURSE)
    history = recommendation.assessments.chronological()
    assert display_percentages(history) == [0, 25, 75, 75, 75, 100, 0]


def test_stalled_before_any_progress_draws_nothing():
    recommendation = make_recommendation()
    assess(recommendation, 1, Assessment.Status.STALLED, Assessment.Reason.OTHER)
    assert display_percentages(recommendation.assessments.chronological()) == [0]
