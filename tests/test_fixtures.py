"""The seed fixtures: what the article reports, loadable again and again."""

import datetime
import json

import pytest
from django.core.management import call_command

from tracker.management.commands.seed import SEED_FIXTURES
from tracker.models import (
    Actor,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Source,
    country_name,
)

SEED_MODELS = (
    Actor,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Source,
)

# The developments the seed article reports (Pollmann, The Diplomat, 2023).
ARTICLE_DEVELOPMENTS = {
    "2023-01-09-kishida-macron-paris": ("9 January 2023", {"JP", "FR"}),
    "2023-01-09-gulf-of-aden-drills": ("9–14 January 2023", {"JP", "FR", "US"}),
    "2022-12-new-caledonia-consular-office": ("December 2022", {"JP", "FR"}),
    "2023-01-10-japan-italy-strategic-partnership": ("10 January 2023", {"JP", "IT"}),
    "2022-12-japan-italy-uk-fighter-jet": ("December 2022", {"JP", "IT", "GB"}),
    "2023-01-11-japan-uk-raa": ("11 January 2023", {"JP", "GB"}),
    "2023-01-08-paratroop-drill-uk-australia": ("8 January 2023", {"JP", "GB", "AU"}),
    "2023-01-30-japan-greece-strategic-partnership": ("30 January 2023", {"JP", "GR"}),
    "2023-01-stoltenberg-tokyo": ("January–February 2023", {"JP", "NATO"}),
    "2023-01-24-eu-japan-hotline": ("24 January 2023", {"JP", "EU", "EEAS"}),
    "2023-japan-support-ukraine": ("2023", {"JP", "UA"}),
    "2023-greece-coast-guard-port-call": ("2023", {"JP", "GR"}),
    "2022-11-scholz-china-delegation": ("November 2022", {"DE", "CN"}),
    "2023-01-mori-ukraine-gaffe": ("January 2023", {"JP"}),
}


def counts():
    return {model.__name__: model.objects.count() for model in SEED_MODELS}


@pytest.mark.django_db
def test_seed_loads_twice_without_duplicates():
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    first = counts()
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    assert counts() == first
    assert first["Development"] == len(ARTICLE_DEVELOPMENTS)


@pytest.mark.django_db
def test_seed_command_fills_an_empty_database_and_never_overwrites_edits():
    call_command("seed", verbosity=0)
    assert Development.objects.count() == len(ARTICLE_DEVELOPMENTS)
    Development.objects.filter(key="2023-01-11-japan-uk-raa").update(summary="Edited.")
    Development.objects.filter(key="2023-01-mori-ukraine-gaffe").delete()
    call_command("seed", verbosity=0)
    assert Development.objects.get(key="2023-01-11-japan-uk-raa").summary == "Edited."
    assert Development.objects.count() == len(ARTICLE_DEVELOPMENTS) - 1


def test_seed_holds_every_development_the_article_reports(seed):
    developments = Development.objects.prefetch_related("actors")
    found = {d.key: (d.date_display, {a.code for a in d.actors.all()}) for d in developments}
    assert found == ARTICLE_DEVELOPMENTS


def test_seed_holds_tsuruokas_three_recommendations_verbatim(seed):
    framework = Framework.objects.get(code="tsuruoka-2015")
    recommendations = list(framework.recommendations.order_by("ordinal"))
    assert [r.code for r in recommendations] == ["TSU-1", "TSU-2", "TSU-3"]
    assert recommendations[0].text == (
        "Build a solid intellectual foundation for Japan-Europe cooperation."
    )
    assert recommendations[1].text == (
        "Enhance interoperability between Japanese and European forces through joint exercises."
    )
    assert recommendations[2].text == (
        "Ensure synergies between Japan’s relationship with NATO and with the EU, "
        "as well as with individual countries."
    )
    assert "Why does Europe matter to Japan/Asia?" in recommendations[0].elaboration
    assert framework.source.author == "Michito Tsuruoka"


def test_seed_statuses_and_precisions_follow_the_article(seed):
    port_call = Development.objects.get(key="2023-greece-coast-guard-port-call")
    assert (port_call.status, port_call.precision) == ("announced", "year")
    drills = Development.objects.get(key="2023-01-09-gulf-of-aden-drills")
    assert (drills.date, drills.end_date) == (
        datetime.date(2023, 1, 9),
        datetime.date(2023, 1, 14),
    )
    assert Development.objects.get(key="2022-12-new-caledonia-consular-office").precision == (
        "month"
    )


def test_only_scholz_and_mori_hinder(seed):
    hindering = set(
        Evidence.objects.filter(stance="hinders").values_list("development__key", flat=True)
    )
    assert hindering == {"2022-11-scholz-china-delegation", "2023-01-mori-ukraine-gaffe"}


def test_every_seed_development_has_a_cited_source_and_reasoned_evidence(seed):
    pollmann = Source.objects.get(key="pollmann-2023-diplomat")
    assert pollmann.author == "Mina Erika Pollmann"
    for development in Development.objects.all():
        assert development.citations.filter(source=pollmann).exclude(quote="").exists()
        evidence = list(development.evidence.all())
        assert evidence, development.key
        assert all(e.rationale for e in evidence)


def test_seed_has_the_organisations_and_kinds_reports_rely_on(seed):
    assert set(Actor.objects.exclude(kind=Actor.Kind.STATE).values_list("code", flat=True)) >= {
        "NATO",
        "EU",
        "EEAS",
        "G7",
    }
    assert set(DevelopmentKind.objects.values_list("code", flat=True)) == {
        "meeting",
        "agreement",
        "exercise",
        "defence-industry",
        "institutional",
        "assistance",
        "statement",
        "other",
    }
    assert DevelopmentKind.objects.get(code="exercise").nature == "material"
    assert DevelopmentKind.objects.get(code="statement").nature == "verbal"


def test_state_names_in_the_seed_come_from_the_country_list(seed):
    for actor in Actor.objects.filter(kind=Actor.Kind.STATE):
        assert actor.name == country_name(actor.code)


def dump(path):
    call_command(
        "dumpdata",
        "tracker",
        "auth.user",
        "auth.group",
        natural_foreign=True,
        natural_primary=True,
        indent=1,
        output=str(path),
        verbosity=0,
    )
    # The JSON dump keeps times to the millisecond: a time within the first
    # millisecond of its second is written "…:34.000Z" once and "…:34Z" after a
    # round trip. Both are the same instant.
    return json.loads(path.read_text().replace('.000Z"', 'Z"'))


@pytest.mark.django_db(transaction=True)
def test_dumpdata_loads_into_an_empty_database_without_loss(tmp_path, django_user_model):
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    editor = django_user_model.objects.create_user("editor")
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    raa.created_by, raa.summary = editor, "Edited, so the audit trail has a version."
    raa.save()
    before = dump(tmp_path / "before.json")
    before_counts = counts()

    call_command("flush", interactive=False, verbosity=0)
    assert counts()["Development"] == 0
    call_command("loaddata", str(tmp_path / "before.json"), verbosity=0)

    assert counts() == before_counts
    assert dump(tmp_path / "after.json") == before
    assert Development.objects.get(key="2023-01-11-japan-uk-raa").created_by.username == "editor"
    # Its first version (from the seed) and the edit: restored, none added.
    versions = Development.history.filter(key="2023-01-11-japan-uk-raa").order_by("history_date")
    assert versions.first().history_change_reason == "Loaded from a fixture"
    assert versions.count() == 2
