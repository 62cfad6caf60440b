"""Chains of developments (a pledge, the deed that fulfils it, its entry into force):
set in the admin, checked there, and shown in the admin and on the development page
with only published stages to readers."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from tests.factories import make_development, make_evidence
from tests.test_admin import admin_url
from tests.test_admin_write_sweep import replayed_form
from tracker.models import Development, FollowKind, Proposal, Recommendation

pytestmark = pytest.mark.django_db

MAR, JUN, AUG, OCT = (
    datetime.date(2023, month, day) for month, day in ((3, 1), (6, 11), (8, 1), (10, 15))
)


@pytest.fixture
def chain():
    """Announced → fulfilled → (a draft: in force) → superseded, earliest first."""
    pledge = make_development(title="Pledge to sign", date=MAR, status="announced")
    signing = make_development(
        title="Agreement signed", date=JUN, follows=pledge, follows_as=FollowKind.FULFILS
    )
    draft = make_development(
        title="Secret draft stage",
        date=AUG,
        follows=signing,
        follows_as=FollowKind.IN_FORCE,
        published=False,
    )
    successor = make_development(
        title="New agreement", date=OCT, follows=draft, follows_as=FollowKind.SUPERSEDES
    )
    return pledge, signing, draft, successor


def post_change(client, development, **changes):
    """The development's change form, as the browser shows it, posted back with changes."""
    url = admin_url(Development, "change", development.pk)
    data = replayed_form(client, url)
    assert data, "the change form is shown"
    data.update({name: [value] for name, value in changes.items()})
    return client.post(url, data)


# --- The admin ------------------------------------------------------------------------


def test_the_admin_saves_what_a_development_follows_and_shows_the_chain(admin_client):
    pledge = make_development(title="Pledge to sign", date=MAR, status="announced")
    deed = make_development(title="Agreement signed", date=JUN)
    response = post_change(
        admin_client, deed, follows=str(pledge.pk), follows_as=FollowKind.FULFILS
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    deed.refresh_from_db()
    assert (deed.follows, deed.follows_as) == (pledge, FollowKind.FULFILS)

    page = admin_client.get(admin_url(Development, "change", deed.pk)).content.decode()
    chain = page[page.index('class="development-chain"') :]
    assert chain.index("Pledge to sign") < chain.index("Agreement signed")
    assert f'href="{admin_url(Development, "change", pledge.pk)}"' in chain
    assert "<strong>Agreement signed</strong> (this development)" in chain
    assert "Announced" in chain
    assert "fulfils (does what it announced)" in chain
    # The earlier stage is chosen by autocomplete, as every other foreign key there.
    assert 'data-model-name="development"' in page and 'name="follows"' in page


def test_the_admin_refuses_a_loop_with_a_message_on_the_follows_field(admin_client):
    first = make_development(date=MAR)
    second = make_development(date=MAR, follows=first, follows_as=FollowKind.SUPERSEDES)
    response = post_change(
        admin_client, first, follows=str(second.pk), follows_as=FollowKind.SUPERSEDES
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["follows"] == [
        "That would make the chain a loop."
    ]
    first.refresh_from_db()
    assert first.follows is None


def test_the_admin_refuses_an_earlier_stage_dated_after_it(admin_client):
    later = make_development(date=OCT)
    development = make_development(date=MAR)
    response = post_change(
        admin_client, development, follows=str(later.pk), follows_as=FollowKind.FULFILS
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["follows"]
    assert errors == ["It follows a later development (15 October 2023)."]
    assert Development.objects.get(pk=development.pk).follows is None


def test_the_admin_asks_how_it_follows(admin_client):
    earlier = make_development(date=MAR)
    development = make_development(date=JUN)
    response = post_change(admin_client, development, follows=str(earlier.pk), follows_as="")
    assert response.status_code == 200
    assert "follows_as" in response.context["adminform"].form.errors


def test_an_editors_change_of_what_a_published_development_follows_waits_for_review(
    editor_client,
):
    pledge = make_development(date=MAR, status="announced")
    deed = make_development(date=JUN)
    response = post_change(
        editor_client, deed, follows=str(pledge.pk), follows_as=FollowKind.FULFILS
    )
    assert response.status_code == 302
    assert Development.objects.get(pk=deed.pk).follows is None  # the live row stays
    proposal = Proposal.objects.pending().get()
    assert (proposal.before["follows"], proposal.before["follows_as"]) == (None, "")
    assert (proposal.after["follows"], proposal.after["follows_as"]) == (pledge.key, "fulfils")


def test_analysts_see_no_draft_stage_in_the_admin_chain(chain, analyst_client, editor_client):
    successor = chain[-1]
    url = admin_url(Development, "change", successor.pk)
    seen = analyst_client.get(url).content.decode()
    assert "Pledge to sign" in seen and "Agreement signed" in seen
    assert "Secret draft stage" not in seen
    assert 'name="follows"' not in seen  # nor the field that would name the draft
    version = successor.history.latest("history_date").history_id
    old = analyst_client.get(
        reverse("admin:tracker_development_simple_history", args=[successor.pk, version])
    )
    assert old.status_code == 200
    assert "Agreement signed" in old.content.decode()
    assert "Secret draft stage" not in old.content.decode()
    # An editor sees the whole chain, the draft marked as one.
    edited = editor_client.get(url).content.decode()
    assert re.search(r"Secret draft stage</a> · Occurred · brings it into force · draft", edited)


# --- The development page --------------------------------------------------------------


def chain_on_page(content: str) -> str:
    """The text of the development page's chain, tags dropped."""
    match = re.search(r'<ol class="chain"[^>]*>(.*?)</ol>', content, re.S)
    assert match, "the page shows a chain"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_the_development_page_shows_the_published_chain_in_order(chain, analyst_client):
    pledge, signing, _draft, successor = chain
    content = analyst_client.get(signing.get_absolute_url()).content.decode()
    assert chain_on_page(content) == (
        "announced 1 March 2023 → fulfilled 11 June 2023 → superseded 15 October 2023"
    )
    assert f'<a href="{pledge.get_absolute_url()}" title="Pledge to sign">' in content
    assert f'<a href="{successor.get_absolute_url()}" title="New agreement">' in content
    assert '<strong aria-current="page" title="Agreement signed">fulfilled' in content
    assert "Secret draft stage" not in content
    assert "No longer counted" not in content  # only a draft follows it


def test_the_development_page_says_when_a_later_stage_takes_its_place(chain, analyst_client):
    pledge, signing = chain[:2]
    content = analyst_client.get(pledge.get_absolute_url()).content.decode()
    assert "No longer counted:" in content
    assert (
        f'<a href="{signing.get_absolute_url()}">Agreement signed</a> '
        '(<time datetime="2023-06-11">11 June 2023</time>) follows it' in content
    )
    assert "Secret draft stage" not in content


def test_a_development_outside_any_chain_shows_none(analyst_client):
    content = analyst_client.get(make_development().get_absolute_url()).content.decode()
    assert 'class="chain"' not in content
    assert "No longer counted" not in content


def test_the_development_page_query_count_does_not_grow_with_data(
    reader, assert_constant_queries, chain
):
    signing = chain[1]
    tsu1 = Recommendation.objects.get(code="TSU-1")
    make_evidence(development=signing, recommendation=tsu1)

    def grow():
        for _ in range(20):
            make_evidence(development=make_development(actors=("JP", "GB")), recommendation=tsu1)

    assert_constant_queries(reader, signing.get_absolute_url(), grow, most=20)
