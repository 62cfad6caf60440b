"""Each evidence link's stored points, and each recommendation's and actor's tally
(tracker/figures.py), stay equal to a fresh count after every kind of write: saves
in the admin's way, deletes, chains, sources and their grades, kinds, actors taken
on and off, assessments, the bulk link action, imports, demo data, loaddata, and
long random sequences of all of them."""

from __future__ import annotations

import datetime
import io
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import (
    make_actor,
    make_development,
    make_evidence,
    make_kind,
    make_source,
)
from tracker import figures, progress
from tracker.interchange import import_developments
from tracker.models import (
    Actor,
    ActorTally,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    FollowKind,
    Recommendation,
    RecommendationTally,
    Source,
)

pytestmark = pytest.mark.django_db


def assert_current():
    assert figures.stale_links() == []
    assert figures.stale_tallies() == []


def points(link: Evidence) -> float | None:
    return Evidence.objects.values_list("points", flat=True).get(pk=link.pk)


def test_the_seed_arrives_with_every_links_points(seed):
    assert Evidence.objects.filter(points__isnull=False).exists()
    assert_current()


def test_a_link_counts_its_points_and_a_draft_none(seed):
    link = make_evidence(strength=3)  # an occurred verbal meeting, no source: 3 × 1 × 0.5
    assert points(link) == 1.5
    development = link.development
    development.published = False
    development.save()
    assert points(link) is None
    development.published = True
    development.kind = make_kind("exercise", nature=DevelopmentKind.Nature.MATERIAL)
    development.save()
    assert points(link) == 3.0
    assert_current()


def test_a_later_stage_replaces_the_one_it_follows_and_deleting_it_restores_it(seed):
    first = make_evidence(development=make_development(date=datetime.date(2023, 1, 1)))
    recommendation = first.recommendation
    later = make_development(date=datetime.date(2023, 6, 1))
    make_evidence(development=later, recommendation=recommendation)
    later.follows, later.follows_as = first.development, FollowKind.FULFILS
    later.save()
    assert points(first) is None  # a chain counts once, at its latest stage
    later.follows, later.follows_as = None, ""
    later.save()
    assert points(first) is not None  # no longer followed: the earlier stage counts
    later.follows, later.follows_as = first.development, FollowKind.FULFILS
    later.save()
    later.delete()
    assert points(first) is not None
    assert_current()


def test_a_source_and_its_grade_weigh_each_link_citing_it(seed):
    link = make_evidence(strength=2)
    assert points(link) == 1.0  # no source: halved
    source = make_source(reliability=Source.Reliability.UNCONFIRMED)
    citation = Citation.objects.create(development=link.development, source=source)
    assert points(link) == 1.0  # only an unconfirmed report: still halved
    source.reliability = Source.Reliability.PRIMARY
    source.save()
    assert points(link) == 2.0
    citation.delete()
    assert points(link) == 1.0
    link.development.sources.add(source)
    assert points(link) == 2.0
    link.development.sources.clear()
    assert points(link) == 1.0
    assert_current()


def test_a_kinds_nature_weighs_its_developments_links(seed):
    kind = make_kind("talks", nature=DevelopmentKind.Nature.VERBAL)
    link = make_evidence(development=make_development(kind=kind), strength=2)
    assert points(link) == 1.0
    kind.nature = DevelopmentKind.Nature.MATERIAL
    kind.save()
    assert points(link) == 2.0
    assert_current()


def test_the_bulk_link_action_gives_new_links_their_points(seed):
    developments = [make_development() for _ in range(3)]
    Evidence.objects.link(
        Development.objects.filter(pk__in=[d.pk for d in developments]),
        Recommendation.objects.get(code="TSU-1"),
        Evidence.Stance.ADVANCES,
        2,
        "Linked in bulk.",
    )
    assert not Evidence.objects.filter(development__in=developments, points=None).exists()
    assert_current()


def test_an_import_gives_its_links_points_and_recounts_the_stages_it_follows(seed):
    pledged = make_development(key="pledge", date=datetime.date(2022, 3, 1))
    pledge_link = make_evidence(
        development=pledged, recommendation=Recommendation.objects.get(code="TSU-2")
    )
    text = (
        "key,date,title,kind,actors,status,follows,follows_as,evidence,note\n"
        "kept,2023-06-01,Kept,agreement,JP,occurred,pledge,fulfils,TSU-2:advances:3,Kept.\n"
    )
    report = import_developments(io.BytesIO(text.encode()), "csv")
    assert report.ok, report.errors
    assert points(pledge_link) is None
    kept = Evidence.objects.get(development__key="kept")
    assert points(kept) is not None
    assert_current()


def test_an_import_that_rewrites_a_development_recounts_what_it_bore_on_before(seed):
    """The writer replaces an updated development's actors and links: the actor and
    the recommendation it no longer names lose them from their tallies."""
    header = "key,date,title,kind,actors,status,evidence,note\n"
    first = header + "swap,2023-06-01,Swap,agreement,FR,occurred,TSU-1:advances:3,First.\n"
    assert import_developments(io.BytesIO(first.encode()), "csv").ok
    france = ActorTally.objects.get(actor__code="FR")
    tsu1 = RecommendationTally.objects.get(recommendation__code="TSU-1")
    second = header + "swap,2023-06-01,Swap,agreement,GB,occurred,TSU-2:hinders:1,Again.\n"
    report = import_developments(io.BytesIO(second.encode()), "csv")
    assert report.ok, report.errors
    assert ActorTally.objects.get(actor__code="FR").development_count == (
        france.development_count - 1
    )
    assert RecommendationTally.objects.get(recommendation__code="TSU-1").advancing == (
        tsu1.advancing - 1
    )
    assert_current()


def test_a_new_recommendation_and_actor_have_an_empty_tally(seed):
    actor = Actor.objects.create(code="XX", name="Nowhere", kind=Actor.Kind.ORGANISATION)
    assert ActorTally.objects.filter(actor=actor, development_count=0).exists()
    recommendation = Recommendation.objects.create(
        code="NEW-1", framework=Recommendation.objects.first().framework, ordinal=99, title="New"
    )
    assert RecommendationTally.objects.filter(
        recommendation=recommendation, advancing=0, status=""
    ).exists()
    assert_current()


def test_refresh_figures_finds_and_mends_a_stale_tally(seed):
    RecommendationTally.objects.filter(recommendation__code="TSU-1").update(advancing=999)
    with pytest.raises(CommandError, match="1 tallies are out of date"):
        call_command("refresh_figures", check=True, verbosity=0)
    call_command("refresh_figures", verbosity=0)
    assert_current()


def test_demo_data_and_loaddata_arrive_with_points(seed, tmp_path):
    call_command("generate_demo_data", developments=40, frameworks=1, seed=2, verbosity=0)
    assert_current()
    Evidence.objects.update(points=None)
    call_command("loaddata", "pollmann-2023", verbosity=0)  # reloading refreshes all
    assert_current()


def test_refresh_figures_finds_and_mends_stale_points(seed):
    link = Evidence.objects.filter(points__isnull=False).first()
    Evidence.objects.filter(pk=link.pk).update(points=99)  # as raw SQL might leave it
    with pytest.raises(CommandError, match="1 evidence link"):
        call_command("refresh_figures", check=True, verbosity=0)
    call_command("refresh_figures", verbosity=0)
    call_command("refresh_figures", check=True, verbosity=0)
    assert points(link) != 99


def test_today_s_figures_from_stored_points_equal_those_computed_on_read(seed):
    """The dashboard sums stored points; as of today, the same rule computes them
    on read: the two agree."""
    today = datetime.date.today() + datetime.timedelta(days=400)  # every date has passed
    stored = {r.pk: r.net_score for r in progress.annotate_evidence(Recommendation.objects, None)}
    computed = {
        r.pk: r.net_score for r in progress.annotate_evidence(Recommendation.objects, today)
    }
    assert stored == pytest.approx(computed)


class RandomWrites:
    """Writes of every kind a link's points depend on, drawn at random."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.recommendations = list(Recommendation.objects.all())
        self.kinds = [
            make_kind("meeting"),
            make_kind("exercise", nature=DevelopmentKind.Nature.MATERIAL),
        ]
        self.sources = [make_source(reliability=r) for r in Source.Reliability.values]
        self.developments = [
            make_development(date=datetime.date(2020, 1, 1 + n)) for n in range(4)
        ]
        self.actors = [make_actor(code) for code in ("JP", "FR", "EU")]

    def some(self, model):
        rows = list(model.objects.all())
        return self.rng.choice(rows) if rows else None

    def save(self, row, **changes):
        if row is None or not type(row).objects.filter(pk=row.pk).exists():
            return  # deleted earlier in the sequence
        row.refresh_from_db()
        for name, value in changes.items():
            setattr(row, name, value)
        row.save()

    def new_development(self):
        rng = self.rng
        development = make_development(
            date=datetime.date(2021, rng.randint(1, 12), 1),
            status=rng.choice(Development.Status.values),
            kind=rng.choice(self.kinds),
            published=rng.random() < 0.8,
        )
        for recommendation in rng.sample(self.recommendations, rng.randint(1, 2)):
            make_evidence(development=development, recommendation=recommendation)
        self.developments.append(development)

    def follow(self):
        earlier, later = sorted(self.rng.sample(self.developments, 2), key=lambda d: d.pk)
        if Development.objects.filter(pk=earlier.pk).exists():
            self.save(later, follows_id=earlier.pk, follows_as=self.rng.choice(FollowKind.values))

    def unfollow(self):
        self.save(self.rng.choice(self.developments), follows_id=None, follows_as="")

    def publish_or_withdraw(self):
        self.save(self.rng.choice(self.developments), published=self.rng.random() < 0.5)

    def set_status(self):
        self.save(self.some(Development), status=self.rng.choice(Development.Status.values))

    def recode(self):
        rng = self.rng
        self.save(
            self.some(Evidence),
            stance=rng.choice(Evidence.Stance.values),
            strength=rng.randint(1, 3),
            confidence=rng.choice(Evidence.Confidence.values),
        )

    def unlink(self):
        link = self.some(Evidence)
        if link:
            link.delete()

    def delete_leaf(self):
        leaf = Development.objects.filter(followed_by__isnull=True).order_by("?").first()
        if leaf and leaf.key.startswith("development-"):
            leaf.delete()

    def cite(self):
        development = self.some(Development)
        Citation.objects.get_or_create(
            development=development, source=self.rng.choice(self.sources)
        )

    def uncite(self):
        citation = self.some(Citation)
        if citation:
            citation.delete()

    def regrade(self):
        self.save(
            self.rng.choice(self.sources), reliability=self.rng.choice(Source.Reliability.values)
        )

    def renature(self):
        self.save(
            self.rng.choice(self.kinds), nature=self.rng.choice(DevelopmentKind.Nature.values)
        )

    def act(self):
        development = self.some(Development)
        if development:
            development.actors.add(self.rng.choice(self.actors))

    def unact(self):
        development = self.some(Development)
        if development and self.rng.random() < 0.5:
            development.actors.remove(self.rng.choice(self.actors))
        elif development:
            development.actors.clear()

    def drop_actor_link(self):
        link = self.some(DevelopmentActor)
        if link:
            link.delete()  # as the admin's inline deletes it

    def move_link(self):
        link = self.some(Evidence)
        if link is None:
            return
        taken = set(
            Evidence.objects.filter(development_id=link.development_id).values_list(
                "recommendation_id", flat=True
            )
        )
        free = [r for r in self.recommendations if r.pk not in taken]
        if free:
            self.save(link, recommendation=self.rng.choice(free))

    def assess(self):
        status = self.rng.choice(Assessment.Status.values)
        Assessment.objects.create(
            recommendation=self.rng.choice(self.recommendations),
            status=status,
            reason=Assessment.Reason.values[0] if status in Assessment.NEEDS_REASON else "",
            assessed_on=datetime.date(2021, self.rng.randint(1, 12), 15),
            rationale="Judged so.",
            published=self.rng.random() < 0.7,
        )

    def reassess(self):
        assessment = self.some(Assessment)
        if assessment is None:
            return
        if self.rng.random() < 0.5:
            self.save(assessment, published=not assessment.published)
        else:
            assessment.delete()

    def any(self):
        writes = [
            self.act,
            self.unact,
            self.drop_actor_link,
            self.move_link,
            self.assess,
            self.reassess,
            self.new_development,
            self.follow,
            self.unfollow,
            self.publish_or_withdraw,
            self.set_status,
            self.recode,
            self.unlink,
            self.delete_leaf,
            self.cite,
            self.uncite,
            self.regrade,
            self.renature,
        ]
        write = self.rng.choice(writes)
        write()
        return write.__name__


@pytest.mark.parametrize("seed_number", [1, 2, 3])
def test_points_stay_current_through_a_random_sequence_of_writes(seed, seed_number):
    writes = RandomWrites(random.Random(seed_number))
    done = []
    for _ in range(40):
        done.append(writes.any())
        assert figures.stale_links() == [], f"stale after {done}"
        assert figures.stale_tallies() == [], f"stale after {done}"
