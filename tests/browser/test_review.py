"""Review in a real browser: an editor's change waits; a colleague reads the
difference in the review queue and approves it with a reason."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, PHONE, sign_in_to_admin
from tracker.models import Development, Proposal
from tracker.roles import EDITORS

RAA = "2023-01-11-japan-uk-raa"


@pytest.fixture
def editors(transactional_db, django_user_model):
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    people = []
    for name in ("eddie-editor", "rita-reviewer"):
        user = django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=EDITORS))
        people.append(user)
    return people


def sign_out(page: Page):
    page.locator("#logout-form button").click()


def test_a_change_waits_then_a_colleague_approves_it(page: Page, editors, screenshot):
    raa = Development.objects.get(key=RAA)
    sign_in_to_admin(page, "eddie-editor")
    page.goto(f"/admin/tracker/development/{raa.pk}/change/")
    expect(page.locator("#id_key")).to_be_disabled()
    page.fill("#id_title", "Japan and the UK sign and ratify a Reciprocal Access Agreement")
    page.select_option("#id_evidence-0-strength", "2")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .warning")).to_contain_text("waits for review")
    expect(page.locator("#id_title")).to_have_value(raa.title)  # the live version
    sign_out(page)

    sign_in_to_admin(page, "rita-reviewer")
    page.goto("/admin/tracker/proposal/")
    expect(page.locator(".review-counts")).to_contain_text("Changes to developments: 1")
    screenshot("admin-review-queue-desktop")
    page.locator("#result_list a", has_text="Reciprocal Access").first.click()
    diff = page.locator(".proposal-diff")
    expect(diff).to_contain_text("sign and ratify")
    expect(diff).to_contain_text("Evidence TSU-2")
    screenshot("admin-review-proposal-desktop")
    page.set_viewport_size(PHONE)
    screenshot("admin-review-proposal-phone")
    page.fill("#id_reason", "The ratification is in the source.")
    page.click("input[name=_approve]")
    expect(page.locator(".messagelist .success")).to_contain_text("Approved")

    raa.refresh_from_db()
    assert raa.title == "Japan and the UK sign and ratify a Reciprocal Access Agreement"
    assert raa.evidence.get().strength == 2
    assert Proposal.objects.get().state == "approved"
