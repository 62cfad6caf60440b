"""Report tables on a phone (issue 14): their rows stack into cards and the column
headings are hidden, so a "Sort by" list sorts them; and the pages fit the screen."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, sign_in_to_reports
from tracker.models import Actor, Development
from tracker.roles import ANALYSTS, EDITORS


@pytest.fixture
def phone(page: Page, live_server, seed, django_user_model) -> Page:
    """An analyst signed in on the seed, on a phone."""
    analyst = django_user_model.objects.create_user("analyst", password=PASSWORD, is_staff=True)
    analyst.groups.add(Group.objects.get(name=ANALYSTS))
    sign_in_to_reports(page, "analyst")
    page.set_viewport_size(PHONE)
    return page


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 when it fits)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def tables_scrolled_sideways(page: Page) -> list[str]:
    """The tables that are wider than their box, so that a reader must scroll them
    sideways (the page itself may still fit)."""
    return page.evaluate(
        """[...document.querySelectorAll('.table-wrap')]
            .filter(wrap => wrap.scrollWidth > wrap.clientWidth)
            .map(wrap => wrap.querySelector('table').className || 'table')"""
    )


def card_titles(page: Page) -> list[str]:
    return page.locator("table.report-table tbody td[data-label=Title]").all_inner_texts()


def test_phone_readers_sort_the_explorer_by_a_column_in_card_layout(phone: Page, screenshot):
    page = phone
    page.goto("/developments/")
    table = page.locator("table.report-table")
    expect(table.locator("thead th a").first).not_to_be_in_viewport()  # the headings are gone
    sort_by = page.get_by_role("navigation", name="Sort the developments")
    expect(sort_by).to_be_visible()
    expect(sort_by.get_by_role("link")).to_have_text(
        ["Date (sorted descending)", "Title", "Kind", "Status", "Source grade"]
    )
    screenshot("phone-sort-by-date")

    sort_by.get_by_role("link", name="Title").click()
    expect(page).to_have_url("/developments/?sort=title")
    titles = sorted(Development.objects.published().values_list("title", flat=True))
    assert card_titles(page) == titles[:25]
    expect(sort_by.locator("a[aria-current]")).to_have_text("Title (sorted ascending)")

    sort_by.get_by_role("link", name="Title").click()
    expect(page).to_have_url("/developments/?sort=-title")
    assert card_titles(page) == titles[::-1][:25]
    screenshot("phone-sort-by-title-descending")
    assert overflow(page) <= 0


def test_the_sort_list_keeps_the_filters(phone: Page):
    page = phone
    page.goto("/developments/?kind=exercise")
    rows = page.locator("table.report-table tbody tr")
    count = rows.count()
    page.get_by_role("navigation", name="Sort the developments").get_by_role(
        "link", name="Title"
    ).click()
    expect(page).to_have_url("/developments/?kind=exercise&sort=title")
    expect(rows).to_have_count(count)


def test_on_a_desktop_the_column_headings_sort_and_the_list_is_hidden(phone: Page):
    page = phone
    page.set_viewport_size(DESKTOP)
    page.goto("/actors/")
    expect(page.get_by_role("navigation", name="Sort the actors")).to_be_hidden()
    expect(page.locator("table.report-table thead th a", has_text="Net score")).to_be_visible()


def test_the_actor_page_fits_a_phone(phone: Page, screenshot):
    # The actor with the most developments: the longest tables.
    actor = max(Actor.objects.on_record(), key=lambda a: a.developments.count())
    page = phone
    page.goto(f"/actors/{actor.code}/")
    expect(page.get_by_role("heading", name="Evidence per recommendation")).to_be_visible()
    assert overflow(page) <= 0
    assert tables_scrolled_sideways(page) == []
    figures = page.locator("table.by-recommendation tbody tr").first.locator("td[data-label]")
    expect(figures).to_have_count(3)  # advancing, hindering, net score: each labelled
    screenshot("phone-actor-detail")
    page.get_by_role("navigation", name="Sort the developments").get_by_role(
        "link", name="Kind"
    ).click()
    expect(page).to_have_url(f"/actors/{actor.code}/?sort=kind")
    assert overflow(page) <= 0


@pytest.mark.parametrize(
    "url", ["/developments/", "/actors/", "/recommendations/TSU-2/", "/snapshots/", "/changes/"]
)
def test_report_tables_fit_a_phone(phone: Page, url):
    phone.goto(url)
    assert overflow(phone) <= 0
    assert tables_scrolled_sideways(phone) == []


@pytest.fixture
def editor_on_empty_database(page: Page, live_server, django_user_model) -> Page:
    """An editor signed in on a database without a record (the tables start empty)."""
    editor = django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    sign_in_to_reports(page, "editor")
    return page


def test_an_empty_table_says_so_in_words_at_both_widths(editor_on_empty_database, screenshot):
    page = editor_on_empty_database
    page.goto("/developments/")
    empty = page.locator("table.report-table tbody td")
    expect(empty).to_have_text("No developments yet. Add a development in the admin.")
    expect(empty.get_by_role("link")).to_have_attribute("href", "/admin/tracker/development/add/")
    expect(page.locator("nav.pager")).to_have_count(0)  # no "No developments" beside it
    screenshot("empty-developments-desktop")
    page.set_viewport_size(PHONE)
    expect(empty).to_be_visible()
    expect(page.locator("nav.sort-by")).to_have_count(0)  # nothing to sort
    assert overflow(page) <= 0
    screenshot("empty-developments-phone")
    page.goto("/")
    expect(page.locator("main")).to_contain_text("No frameworks yet.")
    screenshot("empty-dashboard-phone")
