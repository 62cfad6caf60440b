"""The portfolio, and a framework of 50 recommendations in the scoped matrix and
timeline, in a real browser at desktop and phone widths."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE


@pytest.fixture
def portfolio_page(analyst_page: Page):
    call_command(
        "generate_demo_data",
        developments=400,
        frameworks=3,
        recommendations=50,
        seed=4,
        verbosity=0,
    )
    return analyst_page


def test_the_portfolio_leads_to_each_frameworks_dashboard(portfolio_page: Page, screenshot):
    page = portfolio_page
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Portfolio of frameworks")
    rows = page.locator("table.portfolio tbody tr")
    expect(rows).to_have_count(4)  # Tsuruoka's and three demo frameworks
    expect(page.locator(".pager .count").first).to_have_text("Frameworks 1–4 of 4")
    first_bar = rows.first.locator("svg.status-bar")
    expect(first_bar).to_have_attribute("role", "img")
    assert first_bar.locator("rect").count() >= 1
    screenshot("portfolio-desktop")
    page.set_viewport_size(PHONE)
    screenshot("portfolio-phone")
    # On a phone each framework is a card: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    page.fill("#q", "seed 4")
    page.click("form.search button")
    expect(rows).to_have_count(3)
    rows.filter(has_text="Demo framework 2").locator("a").first.click()
    expect(page).to_have_url("/frameworks/demo-4-2/")
    expect(page.locator(".breadcrumb")).to_contain_text("All frameworks")
    expect(page.locator(".progress-item")).to_have_count(50)
    assert "TSU-" not in page.locator("main").text_content()


def test_a_scoped_matrix_pages_and_keeps_its_headers_in_view(portfolio_page: Page, screenshot):
    page = portfolio_page
    page.goto("/reports/matrix/?framework=demo-4-1")
    header = page.locator("table.matrix thead th")
    expect(header).to_have_count(21)  # the actor column and 20 recommendations
    expect(page.locator(".pager .count").nth(1)).to_have_text("Recommendations 1–20 of 50")
    assert "TSU-" not in page.locator("main").text_content()
    # Scrolled down and across, the header row and the actor column stay in view.
    wrap = page.locator(".matrix-wrap")
    wrap.evaluate("el => { el.scrollTop = 400; el.scrollLeft = 600; }")
    wrap_box = wrap.bounding_box()
    header_box = header.nth(3).bounding_box()
    assert abs(header_box["y"] - wrap_box["y"]) < 2
    actor_box = page.locator("table.matrix tbody th[scope=row]").nth(10).bounding_box()
    assert abs(actor_box["x"] - wrap_box["x"]) < 2
    screenshot("matrix-scoped-desktop")
    page.set_viewport_size(PHONE)
    screenshot("matrix-scoped-phone")
    page.set_viewport_size(DESKTOP)
    page.locator(".pager", has_text="Recommendations").get_by_role("link", name="Last »").click()
    expect(header).to_have_count(11)
    expect(page.locator(".pager .count").nth(1)).to_have_text("Recommendations 41–50 of 50")
    assert "framework=demo-4-1" in page.url


def test_a_scoped_timeline_pages_its_lanes(portfolio_page: Page, screenshot):
    page = portfolio_page
    page.goto("/timeline/")
    page.select_option("#framework", "demo-4-3")
    page.click("form.framework-choice button")
    expect(page.locator("ol.timeline-labels li")).to_have_count(10)
    expect(page.locator(".pager .count")).to_have_text("Recommendations 1–10 of 50")
    assert "TSU-" not in page.locator("main").text_content()
    screenshot("timeline-scoped-desktop")
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator(".pager .count")).to_have_text("Recommendations 11–20 of 50")
    expect(page.locator("ol.timeline-labels li").first).to_contain_text("D4-3-11")
    page.set_viewport_size(PHONE)
    screenshot("timeline-scoped-phone")
