"""The dashboard's monthly charts against the figures on the same cards."""

from __future__ import annotations

import datetime
import pickle
import re
import xml.etree.ElementTree as ET

from tests.factories import make_development, make_evidence
from tracker import progress
from tracker.models import Evidence, Recommendation

TITLE = re.compile(
    r"(?P<month>\w+ \d{4}): (?P<advancing>\d+) advancing, (?P<hindering>\d+) hindering"
)


def card(data, code):
    return next(
        item
        for framework in data.frameworks
        for item in framework.recommendations
        if item.recommendation.code == code
    )


def month_titles(chart) -> list[re.Match]:
    bars = ET.fromstring(str(chart)).find("svg")
    return [TITLE.fullmatch(month.find("title").text) for month in bars.iter("g")]


def test_the_seed_tsu1_charts_months_add_up_to_its_cards_counts(reader):
    response = reader.get("/")
    data = response.context["data"]
    tsu1 = card(data, "TSU-1")
    titles = month_titles(tsu1.chart)
    # The seed's evidence all falls within the months shown, so nothing is cut off.
    assert [title["month"] for title in titles] == [f"{m:%B %Y}" for m in data.months]
    advancing = sum(int(title["advancing"]) for title in titles)
    hindering = sum(int(title["hindering"]) for title in titles)
    assert (advancing, hindering) == (tsu1.advancing, tsu1.hindering) == (3, 2)
    # November 2022 has only hindering evidence, December none.
    assert titles[0].group(0) == "November 2022: 0 advancing, 1 hindering"
    assert titles[1].group(0) == "December 2022: 0 advancing, 0 hindering"
    assert "Evidence links per month:" in response.content.decode()


def test_the_dashboards_month_counts_come_in_one_query_whatever_the_stances(
    seed, django_assert_num_queries
):
    # The recommendations with their figures, their assessments, and the links
    # counted per recommendation, stance and month.
    with django_assert_num_queries(3):
        progress.dashboard()
    tsu1 = Recommendation.objects.get(code="TSU-1")
    for month in (2, 3, 4):
        development = make_development(date=datetime.date(2023, month, 10))
        make_evidence(development, tsu1, stance=Evidence.Stance.HINDERS)
        make_evidence(development, Recommendation.objects.get(code="TSU-2"))
    with django_assert_num_queries(3):
        data = progress.dashboard()
    assert card(data, "TSU-1").monthly[-3:] == [progress.MonthLinks(0, 1)] * 3


def test_the_dashboards_monthly_counts_survive_the_cache(seed):
    data = progress.dashboard()
    kept = pickle.loads(pickle.dumps(data))
    assert card(kept, "TSU-1").monthly == card(data, "TSU-1").monthly
    assert card(kept, "TSU-1").monthly[0].hindering == 1
