"""An editor signs in and records a development with its evidence, in a real browser."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, PHONE, sign_in_to_admin
from tracker.models import Development


@pytest.fixture
def superuser(transactional_db, django_user_model):
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    return django_user_model.objects.create_superuser("editor-in-chief", password=PASSWORD)


def choose_autocomplete(page: Page, select_id: str, term: str, option: str):
    """Pick an option in one of the admin's select2 autocomplete widgets."""
    page.locator(f"#{select_id} + .select2").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(term)
    page.locator(".select2-results__option", has_text=option).first.click()


def test_editor_adds_a_development_with_one_evidence_link(page: Page, superuser, screenshot):
    sign_in_to_admin(page, superuser.username)
    page.goto("/admin/tracker/development/add/")

    page.fill("#id_date", "2023-09-18")
    page.locator("#id_title").press_sequentially(
        "Japan and Germany hold their first joint fighter drill"
    )
    # The key is filled in from the date and the title as the editor types.
    expect(page.locator("#id_key")).to_have_value(
        "2023-09-18-japan-and-germany-hold-their-first-joint-fighter-drill"
    )
    page.select_option("#id_kind", label="Joint exercise")
    choose_autocomplete(page, "id_participants", "Japan", "Japan")
    choose_autocomplete(page, "id_participants", "DE", "Germany")
    choose_autocomplete(page, "id_evidence-0-recommendation", "TSU-2", "TSU-2")
    page.select_option("#id_evidence-0-stance", "advances")
    page.select_option("#id_evidence-0-strength", "3")
    page.fill("#id_evidence-0-rationale", "Air forces trained together in Japan.")
    screenshot("admin-development-add-desktop")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    development = Development.objects.get(
        key="2023-09-18-japan-and-germany-hold-their-first-joint-fighter-drill"
    )
    assert sorted(development.actors.values_list("code", flat=True)) == ["DE", "JP"]
    evidence = development.evidence.get()
    assert (evidence.recommendation.code, evidence.stance, evidence.strength) == (
        "TSU-2",
        "advances",
        3,
    )
    assert development.created_by == superuser
    screenshot("admin-development-changelist-desktop")

    page.set_viewport_size(PHONE)
    page.goto(f"/admin/tracker/development/{development.pk}/change/")
    expect(page.locator("#id_title")).to_have_value(development.title)
    screenshot("admin-development-change-phone")


def test_invalid_dates_are_explained_in_the_browser_and_nothing_is_saved(page: Page, superuser):
    sign_in_to_admin(page, superuser.username)
    page.goto("/admin/tracker/development/add/")
    page.fill("#id_title", "Backwards drill")
    page.fill("#id_date", "2023-01-14")
    page.fill("#id_end_date", "2023-01-09")
    page.select_option("#id_kind", label="Joint exercise")
    choose_autocomplete(page, "id_participants", "JP", "Japan")
    page.click("input[name=_save]")

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-end_date .errorlist")).to_contain_text(
        "The end date cannot be before the start date."
    )
    assert not Development.objects.filter(title="Backwards drill").exists()
