"""The matrix's shades and groups and the ladder's steps, as plain functions.

Models here are built in memory and never saved: none of these tests touches
the database.
"""

from __future__ import annotations

import pytest

from tracker.models import Actor, Assessment
from tracker.progress import LADDER, MATRIX_GROUPS, _shade, matrix_group, reached_step

S = Assessment.Status


# --- _shade: the matrix cell's colour class ------------------------------------------


@pytest.mark.parametrize(
    ("net_score", "strongest"),
    [
        pytest.param(0, 12, id="no-score"),
        pytest.param(0, 0, id="no-score-anywhere"),
        pytest.param(5, 0, id="no-strongest"),
    ],
)
def test_a_cell_without_a_score_is_not_shaded(net_score, strongest):
    assert _shade(net_score, strongest) == ""


@pytest.mark.parametrize(
    ("net_score", "strongest", "expected"),
    [
        pytest.param(12, 12, "adv-4", id="the-strongest-advancing"),
        pytest.param(-12, 12, "hin-4", id="the-strongest-hindering"),
        pytest.param(1, 12, "adv-1", id="the-weakest-advancing"),
        pytest.param(-1, 12, "hin-1", id="the-weakest-hindering"),
        pytest.param(1, 1000, "adv-1", id="tiny-still-shows-as-level-1"),
        pytest.param(-1, 1000, "hin-1", id="tiny-hindering-still-shows"),
        pytest.param(4, 12, "adv-1", id="a-third-is-level-1"),
        pytest.param(6, 12, "adv-2", id="half-is-level-2"),
        pytest.param(9, 12, "adv-3", id="three-quarters-is-level-3"),
        pytest.param(11, 12, "adv-4", id="eleven-twelfths-is-level-4"),
        pytest.param(30, 12, "adv-4", id="beyond-the-strongest-stays-at-4"),
    ],
)
def test_shade_grows_with_the_score_from_level_1_to_4(net_score, strongest, expected):
    assert _shade(net_score, strongest) == expected


@pytest.mark.parametrize("net_score", range(1, 13))
def test_hindering_is_shaded_as_deeply_as_advancing(net_score):
    advancing, hindering = _shade(net_score, 12), _shade(-net_score, 12)
    assert advancing.startswith("adv-")
    assert hindering.startswith("hin-")
    assert advancing.removeprefix("adv-") == hindering.removeprefix("hin-")


def test_shade_never_falls_as_the_score_rises():
    levels = [int(_shade(score, 40).removeprefix("adv-")) for score in range(1, 41)]
    assert levels == sorted(levels)
    assert set(levels) == {1, 2, 3, 4}


# --- matrix_group: which block of the matrix an actor sits in -------------------------


@pytest.mark.parametrize(
    ("kind", "region", "group"),
    [
        pytest.param(Actor.Kind.ORGANISATION, Actor.Region.GLOBAL, "Organisations", id="org"),
        pytest.param(Actor.Kind.ORGANISATION, Actor.Region.EUROPE, "Organisations", id="eu-org"),
        pytest.param(Actor.Kind.INSTITUTION, Actor.Region.EUROPE, "Organisations", id="inst"),
        pytest.param(Actor.Kind.STATE, Actor.Region.EUROPE, "European states", id="eu-state"),
        pytest.param(Actor.Kind.STATE, Actor.Region.ASIA_PACIFIC, "Other states", id="asia"),
        pytest.param(Actor.Kind.STATE, Actor.Region.AMERICAS, "Other states", id="americas"),
        pytest.param(Actor.Kind.STATE, "", "Other states", id="state-without-region"),
    ],
)
def test_matrix_group_puts_states_by_region_and_the_rest_together(kind, region, group):
    assert matrix_group(Actor(code="XX", kind=kind, region=region)) == group
    assert group in MATRIX_GROUPS


# --- reached_step: where on the ladder a recommendation stands -------------------------


def history(*statuses):
    return [Assessment(status=status) for status in statuses]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param((), None, id="no-assessments"),
        pytest.param((S.IMPLEMENTED,), S.IMPLEMENTED, id="a-single-assessment"),
        pytest.param((S.STALLED,), None, id="stalled-before-any-progress"),
        pytest.param((S.SUBSTANTIAL, S.STALLED, S.STALLED), S.SUBSTANTIAL, id="stalled-keeps"),
        pytest.param(
            (S.IN_PROGRESS, S.NOT_IMPLEMENTED), S.IN_PROGRESS, id="not-implemented-keeps"
        ),
        pytest.param(
            (S.SUBSTANTIAL, S.NOT_STARTED, S.STALLED), S.NOT_STARTED, id="stalled-keeps-a-reset"
        ),
        pytest.param(
            (S.IMPLEMENTED, S.IN_PROGRESS), S.IN_PROGRESS, id="a-later-assessment-may-lower-it"
        ),
    ],
)
def test_the_step_reached_follows_the_statuses_in_order(statuses, expected):
    assert reached_step(history(*statuses)) == expected


def test_every_status_is_on_the_ladder_or_stops_a_recommendation():
    assert set(LADDER) | set(Assessment.NEEDS_REASON) == set(S)
