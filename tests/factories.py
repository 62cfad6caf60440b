"""Plain builders for test data: each makes one valid row, overridable by keyword."""

from __future__ import annotations

import datetime
import itertools
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tracker.models import (
    Actor,
    Development,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Source,
)

_sequence = itertools.count(1)


def make_kind(code="meeting", nature=DevelopmentKind.Nature.VERBAL, **fields):
    kind, _ = DevelopmentKind.objects.get_or_create(
        code=code, defaults={"name": code.title(), "nature": nature, **fields}
    )
    return kind


def make_actor(code="JP", **fields):
    if "kind" not in fields:
        fields["kind"] = Actor.Kind.STATE if len(code) == 2 else Actor.Kind.ORGANISATION
    if fields["kind"] != Actor.Kind.STATE:
        fields.setdefault("name", f"Organisation {code}")
    actor, _ = Actor.objects.get_or_create(code=code, defaults=fields)
    return actor


def make_framework(code="test-2020", **fields):
    fields = {"title": "Test framework", "author": "A. Author", "year": 2020, **fields}
    framework, _ = Framework.objects.get_or_create(code=code, defaults=fields)
    return framework


def make_recommendation(code=None, framework=None, **fields):
    framework = framework or make_framework()
    n = next(_sequence)
    fields = {
        "ordinal": n,
        "title": f"Recommendation {n}",
        "text": f"Do thing {n}.",
        **fields,
    }
    return Recommendation.objects.create(code=code or f"REC-{n}", framework=framework, **fields)


def make_source(**fields):
    n = next(_sequence)
    fields = {"key": f"source-{n}", "title": f"Source {n}", "publisher": "Publisher", **fields}
    return Source.objects.create(**fields)


def make_development(actors=("JP",), **fields):
    n = next(_sequence)
    fields = {
        "key": f"development-{n}",
        "date": datetime.date(2023, 1, 9),
        "title": f"Development {n}",
        **fields,
    }
    fields.setdefault("kind", make_kind())
    development = Development.objects.create(**fields)
    development.actors.set([make_actor(code) for code in actors])
    return development


def make_evidence(development=None, recommendation=None, **fields):
    fields = {
        "stance": Evidence.Stance.ADVANCES,
        "strength": Evidence.Strength.MODERATE,
        "rationale": "Because it does.",
        **fields,
    }
    return Evidence.objects.create(
        development=development or make_development(),
        recommendation=recommendation or make_recommendation(),
        **fields,
    )


def links_drawn(timeline_html: str) -> int:
    """How many evidence links a timeline page draws: each a mark of its own, or
    counted in the badge of marks too close to tell apart."""
    badges = re.findall(r'class="mark badge">.*?class="count">(\d+)</text>', timeline_html)
    return timeline_html.count('class="mark"') + sum(int(count) for count in badges)


def make_member(name: str, group: str | None = None, password: str = "x-long-pass-1", **flags):
    """A user, in the group of a role (EDITORS, ANALYSTS) when one is given."""
    user = get_user_model().objects.create_user(name, password=password, **flags)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user
