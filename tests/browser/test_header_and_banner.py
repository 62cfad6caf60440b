"""The top of every page in a real browser: the menu on a phone is one line that
scrolls sideways, and a view that is not today's says so above its title."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, SCREENSHOTS, sign_in_to_reports
from tracker.models import Snapshot
from tracker.roles import EDITORS

MENU = (
    "Dashboard",
    "Developments",
    "Actors",
    "Matrix",
    "Timeline",
    "Corrections",
    "Snapshots",
    "Methodology",
)


@pytest.fixture
def editor_page(page: Page, transactional_db, django_user_model):
    """Signed in as a staff editor: the longest menu (Admin, Sign out) there is."""
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    editor = django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    sign_in_to_reports(page, "editor")
    return page


def top_of_page(page: Page, name: str) -> None:
    """What a reader sees first, without scrolling, at full size (screenshots/)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_on_a_phone_the_menu_is_one_line_that_scrolls(editor_page: Page):
    page = editor_page
    page.set_viewport_size(PHONE)
    nav = page.locator(".site-header nav")
    link = box(page, ".site-header nav a")
    assert box(page, ".site-header nav")["height"] < 2 * link["height"]  # one line
    assert box(page, ".site-header")["height"] < 100
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert nav.evaluate("nav => nav.scrollWidth > nav.clientWidth")  # the rest scrolls
    top_of_page(page, "header-phone")

    # Every link is there to scroll to, the last ones included.
    sign_out = nav.get_by_role("button", name="Sign out editor")
    sign_out.scroll_into_view_if_needed()
    expect(sign_out).to_be_in_viewport()
    top_of_page(page, "header-phone-scrolled")
    methodology = nav.get_by_role("link", name="Methodology")
    methodology.click()
    expect(page.locator("h1")).to_contain_text("Codebook")
    expect(nav.locator("a[aria-current=page]")).to_have_text("Methodology")


def test_on_a_desktop_the_menu_is_one_line_beside_the_name(editor_page: Page):
    page = editor_page
    page.set_viewport_size(DESKTOP)
    nav = page.locator(".site-header nav")
    for name in (*MENU, "Admin"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    assert box(page, ".site-header")["height"] < 60
    assert nav.evaluate("nav => nav.scrollWidth <= nav.clientWidth")
    top_of_page(page, "header-desktop")


def test_an_as_of_view_says_so_above_its_title_and_leads_back_to_today(editor_page: Page):
    page = editor_page
    page.set_viewport_size(PHONE)
    page.goto("/recommendations/TSU-2/?as_of=2023-01-10")
    banner = page.locator(".banner")
    expect(banner).to_be_in_viewport()
    expect(banner).to_contain_text("As of 10 January 2023")
    assert box(page, ".banner")["y"] < box(page, "h1")["y"]
    top_of_page(page, "banner-as-of-phone")
    banner.get_by_role("link", name="Show the latest").click()
    expect(page).to_have_url(page.url.split("?")[0])
    expect(page.locator(".banner")).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("Interoperability")


def test_a_snapshot_says_so_above_its_title_and_leads_to_today(editor_page: Page):
    call_command("take_snapshot", title="2026 Q4 review", verbosity=0)
    page = editor_page
    page.goto(Snapshot.objects.get().get_absolute_url())
    banner = page.locator(".banner")
    expect(banner).to_contain_text("A snapshot, frozen on")
    assert box(page, ".banner")["y"] < box(page, "h1")["y"]
    top_of_page(page, "banner-snapshot-desktop")
    page.set_viewport_size(PHONE)
    expect(banner).to_be_in_viewport()
    top_of_page(page, "banner-snapshot-phone")
    banner.get_by_role("link", name="Show today’s figures").click()
    expect(page.locator("h1")).to_have_text("Progress of recommendations")
