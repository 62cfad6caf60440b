"""Drafts read as drafts in the admin: the status line on the form, the list's
"published" column in words, and the message after an editor saves one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from tests.conftest import signed_in
from tests.factories import make_member
from tests.test_admin import admin_url, development_post_data
from tracker.admin.drafts import reviewers, reviewers_text
from tracker.models import Assessment, Development, Proposal, Recommendation
from tracker.roles import ANALYSTS, EDITORS

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(seed, django_user_model, editor):
    """eddie-editor (the `editor`), a second editor, an administrator, an analyst and a
    staff member without a role (who may publish nothing)."""

    return {
        "editor": editor,
        "rita": make_member("rita", EDITORS, is_staff=True),
        "root": make_member("root", is_staff=True, is_superuser=True),
        "analyst": make_member("ana", ANALYSTS, is_staff=True),
        "staff": make_member("staff-only", is_staff=True),
        # Not staff: cannot reach the admin, so is not named.
        "away": make_member("away", EDITORS),
    }


@pytest.fixture
def draft(team):
    client = signed_in(team["editor"])
    response = client.post(
        admin_url(Development, "add"), development_post_data(title="Drafted drill"), follow=True
    )
    assert response.status_code == 200
    return Development.objects.get(title="Drafted drill"), response


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_reviewers_are_staff_who_may_publish_other_than_the_author(draft, team):
    development, _ = draft
    assert reviewers(development) == ["rita", "root"]
    development.drafted_by = team["rita"]
    assert reviewers(development) == ["eddie-editor", "root"]


def test_an_editors_save_says_the_draft_waits_for_review_and_by_whom(draft):
    development, response = draft
    assert not development.published
    said = messages_of(response)
    assert any("was added successfully" in message for message in said)
    assert (
        "It is a draft by eddie-editor: reports, exports and feeds leave it out until "
        "someone else publishes it. Who may: rita or root."
    ) in said


def test_saving_a_draft_again_says_so_again(draft, team):
    development, _ = draft
    client = signed_in(team["editor"])
    data = development_post_data(
        title="Drafted drill, renamed", loaded_at=development.updated_at.isoformat()
    )
    response = client.post(admin_url(Development, "change", development.pk), data, follow=True)
    assert any("Who may: rita or root." in message for message in messages_of(response))


def test_an_administrators_save_is_published_and_says_nothing_of_review(team):
    client = signed_in(team["root"])
    response = client.post(
        admin_url(Development, "add"), development_post_data(title="Live drill"), follow=True
    )
    assert Development.objects.get(title="Live drill").published
    assert not any("draft" in message for message in messages_of(response))


def test_an_editors_change_to_a_published_record_speaks_of_the_proposal_only(team):
    client = signed_in(team["editor"])
    assessment = Assessment.objects.published().first()
    response = client.post(
        admin_url(Assessment, "change", assessment.pk),
        {
            "recommendation": assessment.recommendation_id,
            "assessed_on": assessment.assessed_on.isoformat(),
            "status": assessment.status,
            "reason": assessment.reason,
            "rationale": assessment.rationale + " More.",
        },
        follow=True,
    )
    said = messages_of(response)
    assert any("waits for review by another editor" in message for message in said)
    assert not any("It is a draft" in message for message in said)
    assert Proposal.objects.pending().filter(assessment=assessment).exists()


def test_the_change_form_of_a_draft_says_whose_it_is_and_who_may_publish_it(draft, team):
    development, _ = draft
    url = admin_url(Development, "change", development.pk)
    author_page = signed_in(team["editor"]).get(url).content.decode()
    assert 'class="review-status draft"' in author_page
    assert "<strong>Draft</strong> by eddie-editor: reports, exports and feeds" in author_page
    assert "Who may: rita or root." in author_page
    assert "You wrote it last, so someone else must publish it." in author_page
    reviewer_page = signed_in(team["rita"]).get(url).content.decode()
    assert "You may publish it" in reviewer_page
    assert "You wrote it last" not in reviewer_page


def test_the_change_form_of_a_published_record_says_when_and_by_whom(draft, team):
    development, _ = draft
    Development.objects.filter(pk=development.pk).publish(team["rita"])
    page = signed_in(team["editor"]).get(admin_url(Development, "change", development.pk))
    content = page.content.decode()
    assert 'class="review-status"' in content
    assert "<strong>Published</strong> on " in content
    assert " by rita." in content


def test_the_status_line_names_changes_waiting_for_review(team):
    assessment = Assessment.objects.published().first()
    proposal = Proposal.objects.create(
        kind=Proposal.Kind.ASSESSMENT,
        assessment=assessment,
        subject=str(assessment),
        before={},
        after={},
        via="a test",
        proposed_by=team["editor"],
    )
    url = admin_url(Assessment, "change", assessment.pk)
    content = signed_in(team["rita"]).get(url).content.decode()
    assert f"proposal {proposal.pk} by eddie-editor" in content
    assert "Published</strong> as it was loaded or imported." in content
    # Analysts do not read proposals: the line leaves them out.
    analyst_page = signed_in(team["analyst"]).get(url).content.decode()
    assert "proposal" not in analyst_page.split('class="review-status"')[1].split("</div>")[0]


def test_the_add_form_says_what_becomes_of_a_new_record(team):
    url = admin_url(Assessment, "add")
    assert (
        "is a draft: reports leave it out" in signed_in(team["editor"]).get(url).content.decode()
    )
    assert "is published at once" in signed_in(team["root"]).get(url).content.decode()


@pytest.mark.parametrize("model", [Development, Assessment])
def test_the_lists_say_published_or_draft_in_words(draft, team, model):
    if model is Assessment:
        Assessment.objects.filter(pk=Assessment.objects.first().pk).update(
            published=False, drafted_by=team["editor"]
        )
    content = signed_in(team["rita"]).get(admin_url(model, "changelist")).content.decode()
    cells = content.split('class="field-review_state">')[1:]
    states = [cell.split("</td>")[0] for cell in cells]
    assert '<span class="review-state-draft">Draft</span>, by eddie-editor' in states
    assert "Published" in states
    assert len(states) == model.objects.count()


def test_nobody_to_review_is_said_with_what_to_do(db, django_user_model):
    lonely = django_user_model.objects.create_user("lonely", is_staff=True)
    lonely.groups.add(Group.objects.get(name=EDITORS))
    development = Development(published=False, drafted_by=lonely)
    assert reviewers_text(development).startswith("nobody yet")


def test_many_reviewers_are_counted_beyond_five(seed, django_user_model, editor):
    for n in range(7):
        user = django_user_model.objects.create_user(f"editor-{n}", is_staff=True)
        user.groups.add(Group.objects.get(name=EDITORS))
    development = Development(published=False, drafted_by=editor)
    assert reviewers_text(development) == (
        "editor-0, editor-1, editor-2, editor-3, editor-4 or 2 others"
    )


def test_editors_get_no_add_row_on_a_recommendation_they_may_only_read(team):
    recommendation = Recommendation.objects.get(code="TSU-2")
    url = admin_url(Recommendation, "change", recommendation.pk)
    editor_page = signed_in(team["editor"]).get(url)
    assert editor_page.context["inline_admin_formsets"][0].formset.total_form_count() == 1
    admin_page = signed_in(team["root"]).get(url)
    # The saved assessment and an empty row to add one.
    assert admin_page.context["inline_admin_formsets"][0].formset.total_form_count() == 2
