"""Analyst reports in a real browser, with screenshots at desktop and phone widths."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def analyst_page(page: Page, transactional_db, django_user_model):
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    django_user_model.objects.create_user("analyst", password=PASSWORD)
    page.goto("/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Progress of recommendations")
    return page


def test_dashboard_lists_three_recommendations_with_their_bars(analyst_page: Page, screenshot):
    page = analyst_page
    items = page.locator(".progress-item")
    expect(items).to_have_count(3)
    for code in ("TSU-1", "TSU-2", "TSU-3"):
        item = page.locator(f'.progress-item[data-code="{code}"]')
        expect(item.locator("svg.progress-bar")).to_be_visible()
    screenshot("dashboard-desktop")
    page.set_viewport_size(PHONE)
    screenshot("dashboard-phone")


def test_filtering_the_explorer_narrows_the_rows(analyst_page: Page, screenshot):
    page = analyst_page
    page.goto("/developments/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(14)
    screenshot("explorer-desktop")
    page.select_option("#id_kind", ["exercise"])
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(2)
    page.set_viewport_size(PHONE)
    screenshot("explorer-phone")
    page.set_viewport_size(DESKTOP)


def test_recommendation_page_prints_without_navigation(analyst_page: Page, screenshot):
    page = analyst_page
    page.goto("/recommendations/TSU-2/")
    expect(page.locator(".site-header")).to_be_visible()
    screenshot("recommendation-desktop")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("h1")).to_contain_text("Interoperability")
