"""The explorer's filters in a real browser: checkboxes for kinds and statuses, and
the actors' finder over a long list, at desktop and phone widths; and the same list
working without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, SCREENSHOTS
from tests.browser.test_accessibility import described, violations
from tests.factories import make_development
from tracker.models import Actor, Development
from tracker.roles import ANALYSTS

# Forty more states, so the actors' list is long enough to scroll, as at scale;
# Austria and Australia share their first letters.
MORE_STATES = (
    "AT AR BE BR CA CL CO CZ DK EG ES FI HU ID IE IL IN IR KE KR "
    "MX MY NG NL NO NZ PH PK PL PT RO SA SE SG TH TR TW VN ZA CH"
)
WIDTHS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def sign_in(page: Page) -> None:
    page.goto("/developments/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Developments")


@pytest.fixture
def analyst(transactional_db, django_user_model):
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    for code in MORE_STATES.split():
        make_development(actors=(code,), title=f"Talks in {code}")
    user = django_user_model.objects.create_user("analyst", password=PASSWORD)
    user.groups.add(Group.objects.get(name=ANALYSTS))
    return user


@pytest.fixture
def explorer(page: Page, analyst) -> Page:
    sign_in(page)
    page.click("details.filter-box summary")
    return page


def rows(page: Page):
    return page.locator("table tbody tr")


@pytest.mark.parametrize("viewport", WIDTHS)
def test_kind_and_status_are_ticked_not_ctrl_clicked(explorer: Page, screenshot, viewport):
    page = explorer
    page.set_viewport_size(viewport)
    exercise = page.get_by_role("checkbox", name=re.compile(r"^Joint exercise"))
    occurred = page.get_by_role("checkbox", name=re.compile(r"^Occurred"))
    expect(exercise).to_be_visible()
    # Each choice says how many developments it has.
    expect(page.locator("#id_kind li", has_text="Joint exercise").locator(".count")).to_have_text(
        "2 developments"
    )
    screenshot(f"filters-{viewport['width']}")
    exercise.check()
    occurred.check()
    page.click("form.filters button[type=submit]")
    expected = Development.objects.filter(kind__code="exercise", status="occurred").count()
    expect(rows(page)).to_have_count(expected)
    expect(page.locator("details.filter-box summary")).to_have_text("Filter (2 active)")
    expect(exercise).to_be_checked()
    expect(occurred).to_be_checked()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_the_actor_finder_narrows_the_list_and_enter_ticks_the_one_match(
    explorer: Page, screenshot, viewport
):
    page = explorer
    page.set_viewport_size(viewport)
    finder = page.get_by_role("searchbox", name="Find an actor: type a name or code")
    actors = page.locator("#id_actor li")
    listed = Actor.objects.on_record().count()
    expect(actors).to_have_count(listed)
    # Listed by name (Argentina, Australia, Austria, ...), whatever their codes.
    expect(actors.nth(0)).to_contain_text("Argentina")

    finder.fill("aus")
    expect(actors.locator("visible=true")).to_have_count(2)  # Australia, Austria
    expect(page.locator(".finder-status")).to_have_text(f"2 of {listed} match.")
    finder.press("Enter")  # two match: Enter ticks neither, and sends nothing
    expect(page.locator("input[name=actor]:checked")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/developments/$"))

    finder.fill("jp")  # Japan by its code
    finder.press("Enter")
    expect(page.get_by_role("checkbox", name=re.compile(r"^Japan"))).to_be_checked()
    expect(finder).to_have_value("")
    expect(page.locator(".filters .chosen")).to_have_text("Chosen: Japan (JP)")

    finder.fill("austral")
    expect(actors.locator("visible=true")).to_have_count(2)  # Australia, and Japan ticked
    page.get_by_role("checkbox", name=re.compile(r"^Australia")).check()
    expect(page.locator(".filters .chosen")).to_have_text("Chosen: Australia (AU), Japan (JP)")
    screenshot(f"filters-actor-finder-{viewport['width']}")
    found = violations(page)  # the list narrowed, a box ticked
    assert not found, described(found)
    finder.fill("zzz")
    expect(page.locator(".finder-status")).to_have_text("Nothing matches “zzz”.")
    finder.press("Escape")
    expect(finder).to_have_value("")
    expect(actors.locator("visible=true")).to_have_count(listed)

    page.click("form.filters button[type=submit]")
    expected = Development.objects.filter(actors__code__in=["JP", "AU"]).distinct().count()
    expect(rows(page)).to_have_count(expected)
    expect(page.locator(".filters .chosen")).to_have_text("Chosen: Australia (AU), Japan (JP)")


def test_a_bad_date_says_which_box_and_how_to_write_it(explorer: Page, screenshot):
    page = explorer
    page.goto("/developments/?date_after=2023-02-30&date_before=2023-01-01")
    error = page.locator("#id_date_errors")
    expect(error).to_have_text("“From”: 2023-02-30 is not a day of the calendar.")
    expect(page.get_by_role("group", name="Date:")).to_have_attribute(
        "aria-describedby", "id_date_errors"
    )
    expect(page.get_by_label("From", exact=True)).to_be_visible()
    expect(page.get_by_label("To", exact=True)).to_have_value("2023-01-01")
    screenshot("filters-bad-date-1366")
    found = violations(page)
    assert not found, described(found)


def test_the_actors_list_works_without_javascript(browser: Browser, live_server, analyst):
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport=PHONE
    )
    page = context.new_page()
    try:
        sign_in(page)
        page.click("details.filter-box summary")
        expect(page.locator("input.finder")).to_have_count(0)  # no script, no finder
        page.get_by_role("checkbox", name=re.compile(r"^Japan")).check()
        page.get_by_role("checkbox", name=re.compile(r"^Norway")).check()
        page.click("form.filters button[type=submit]")
        expected = Development.objects.filter(actors__code__in=["JP", "NO"]).distinct().count()
        expect(rows(page)).to_have_count(expected)
        expect(page.get_by_role("checkbox", name=re.compile(r"^Norway"))).to_be_checked()
        # Both may be scrolled out of sight: the page names them.
        expect(page.locator(".filters .chosen")).to_have_text("Chosen: Japan (JP), Norway (NO)")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "filters-no-js-390.png"), full_page=True)
    finally:
        context.close()
