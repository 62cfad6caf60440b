"""The seed says what its article supports, no more (issue 12, item 8).

The seed codes Pollmann, "Japan's Pivot to Europe" (The Diplomat, 2023): its quotes
must be the article's words, and the facts an analyst's fact-check corrected must
stay corrected.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tracker.models import Citation, Development, Evidence, Framework, Recommendation, Source

# The free excerpt of the article the seed codes. It is not part of the repository;
# point SEED_ARTICLE at a copy to run the quote check elsewhere.
ARTICLE = Path(os.environ.get("SEED_ARTICLE", "/work/shared/seed/japans-pivot-to-europe.txt"))
needs_article = pytest.mark.skipif(not ARTICLE.is_file(), reason=f"needs the excerpt at {ARTICLE}")

POLLMANN = "pollmann-2023-diplomat"

# Each dated development, and the words of its quote that give the date.
DATE_PHRASES = {
    "2023-01-09-kishida-macron-paris": "On January 9",
    "2023-01-09-gulf-of-aden-drills": "From January 9 to January 14",
    "2022-12-new-caledonia-consular-office": "in December",
    "2023-01-10-japan-italy-strategic-partnership": "on January 10",
    "2022-12-japan-italy-uk-fighter-jet": "the December decision",
    "2023-01-11-japan-uk-raa": "The next day",
    "2023-01-08-paratroop-drill-uk-australia": "On January 8",
    "2023-01-30-japan-greece-strategic-partnership": "on January 30",
    "2023-01-stoltenberg-tokyo": "in late January",
    "2023-01-24-eu-japan-hotline": "On January 24",
    "2023-greece-coast-guard-port-call": "later this year",
    "2022-11-scholz-china-delegation": "in November",
}

# Links the article does not make itself: weak, and coded with low confidence.
WEAK_LINKS = {
    ("2022-12-new-caledonia-consular-office", "TSU-3"),
    ("2023-japan-support-ukraine", "TSU-1"),
    ("2023-greece-coast-guard-port-call", "TSU-3"),
}


def normalised(text: str) -> str:
    """The text with every run of whitespace as one space: line breaks in the
    excerpt are not part of the words."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def article() -> str:
    return normalised(ARTICLE.read_text(encoding="utf-8"))


def pollmann_quotes() -> dict[str, str]:
    citations = Citation.objects.filter(source__key=POLLMANN).select_related("development")
    return {c.development.key: c.quote for c in citations}


@needs_article
def test_every_quote_of_the_article_is_its_words_verbatim(seed, article):
    quotes = pollmann_quotes()
    assert quotes
    not_found = {key: quote for key, quote in quotes.items() if normalised(quote) not in article}
    assert not_found == {}


@needs_article
def test_tsuruokas_recommendations_are_quoted_as_the_article_quotes_them(seed, article):
    for recommendation in Recommendation.objects.filter(framework__code="tsuruoka-2015"):
        # The article quotes each inside a sentence, some without the final stop.
        assert normalised(recommendation.text).rstrip(".") in article, recommendation.code
        assert normalised(recommendation.elaboration) in article, recommendation.code


def test_quotes_that_support_a_date_include_it(seed):
    quotes = pollmann_quotes()
    missing = {
        key: phrase for key, phrase in DATE_PHRASES.items() if phrase not in quotes.get(key, "")
    }
    assert missing == {}


def test_the_eu_japan_hotline_is_only_reported(seed):
    hotline = Development.objects.get(key="2023-01-24-eu-japan-hotline")
    assert hotline.status == Development.Status.REPORTED


def test_ukraine_is_the_subject_of_moris_gaffe_not_an_actor(seed):
    gaffe = Development.objects.get(key="2023-01-mori-ukraine-gaffe")
    assert set(gaffe.actors.values_list("code", flat=True)) == {"JP"}


def test_ukraine_support_stays_one_record_as_the_article_gives_no_dates(seed):
    support = Development.objects.filter(kind__code="assistance")
    assert [d.key for d in support] == ["2023-japan-support-ukraine"]
    assert support.get().precision == Development.Precision.YEAR


def test_the_reciprocal_access_agreement_will_allow_exercises_and_nothing_follows_it(seed):
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    assert "will allow" in raa.summary
    # The article predates its entry into force: no later stage is in the seed.
    assert not raa.followed_by.exists()
    assert not Development.objects.exclude(follows=None).exists()


def test_tsu3_short_title_speaks_of_japans_relationships(seed):
    assert Recommendation.objects.get(code="TSU-3").title == (
        "Synergies between Japan’s relationships with NATO, the EU and individual countries"
    )


def test_tsuruokas_chapter_is_named_with_the_volume_and_its_editor(seed):
    framework = Framework.objects.select_related("source").get(code="tsuruoka-2015")
    assert framework.author == "Michito Tsuruoka"
    assert framework.title == (
        "Japan-Europe Relations: Toward a Full Political and Security Partnership"
    )
    source = framework.source
    assert source.author == "Michito Tsuruoka"
    assert source.title.startswith(framework.title)
    assert "Japan’s Global Diplomacy: Views from the Next Generation" in source.title
    assert source.title.endswith("ed. Yuki Tatsumi")
    assert source.publisher == "Stimson Center"


def test_weak_links_are_strength_one_low_confidence_and_say_why(seed):
    for development, recommendation in WEAK_LINKS:
        link = Evidence.objects.get(
            development__key=development, recommendation__code=recommendation
        )
        assert (link.strength, link.confidence) == (1, Evidence.Confidence.LOW), development
        assert "inferred" in link.rationale.lower(), development


def test_rationales_claim_no_stated_reason_the_article_does_not_give(seed):
    assert not Evidence.objects.filter(rationale__icontains="stated reason").exists()


def test_the_article_is_a_secondary_source(seed):
    assert Source.objects.get(key=POLLMANN).reliability == Source.Reliability.SECONDARY
