"""Analyst reports in a real browser, with screenshots at desktop and phone widths."""

import csv
import io
from pathlib import Path

from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import links_drawn
from tracker.models import Development, Evidence


def test_dashboard_leads_each_recommendation_with_its_verdict(analyst_page: Page, screenshot):
    page = analyst_page
    items = page.locator(".progress-item")
    expect(items).to_have_count(3)
    for code in ("TSU-1", "TSU-2", "TSU-3"):
        item = page.locator(f'.progress-item[data-code="{code}"]')
        expect(item.locator(".verdict .badge")).to_be_visible()
        expect(item.locator(".ladder li")).to_have_count(4)
        expect(item.locator(".ladder li[aria-current=step]")).to_have_count(1)
    screenshot("dashboard-desktop")
    page.set_viewport_size(PHONE)
    screenshot("dashboard-phone")


def test_filtering_the_explorer_narrows_the_rows(analyst_page: Page, screenshot):
    page = analyst_page
    page.goto("/developments/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(14)
    screenshot("explorer-desktop")
    page.click("details.filter-box summary")
    page.check("input[name=kind][value=exercise]")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(2)
    page.set_viewport_size(PHONE)
    screenshot("explorer-phone")
    page.set_viewport_size(DESKTOP)


def test_csv_export_downloads_exactly_the_filtered_rows(analyst_page: Page):
    page = analyst_page
    page.goto("/developments/?kind=exercise")
    expect(page.locator("table tbody tr")).to_have_count(2)
    with page.expect_download() as download_info:
        page.click("text=CSV")
    download = download_info.value
    assert download.suggested_filename.startswith("developments-")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    assert sorted(r["Title"] for r in rows) == sorted(
        Development.objects.filter(kind__code="exercise").values_list("title", flat=True)
    )


def test_recommendation_page_shows_its_chart_and_prints_as_a_brief(analyst_page: Page, screenshot):
    page = analyst_page
    page.goto("/recommendations/TSU-2/")
    chart = page.locator("svg.chart.cumulative")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(page.locator(".site-header")).to_be_visible()
    screenshot("recommendation-desktop")
    page.set_viewport_size(PHONE)
    screenshot("recommendation-phone")
    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("details.filter-box")).to_be_hidden()
    expect(chart).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Interoperability")
    screenshot("recommendation-print")


def test_matrix_and_timeline_show_actors_and_lanes(analyst_page: Page, screenshot):
    page = analyst_page
    page.goto("/reports/matrix/")
    expect(page.locator("table.matrix tr.group")).to_have_count(3)
    expect(page.locator("table.matrix th[scope=row]", has_text="North Atlantic")).to_be_visible()
    screenshot("matrix-desktop")
    page.set_viewport_size(PHONE)
    screenshot("matrix-phone")
    page.set_viewport_size(DESKTOP)
    page.goto("/timeline/")
    expect(page.locator("ol.timeline-labels li")).to_have_count(3)
    expect(page.locator("svg.chart.timeline .lane-line")).to_have_count(3)
    # each link a mark of its own or counted in a badge of marks too close to tell apart
    assert links_drawn(page.content()) == Evidence.objects.count()
    screenshot("timeline-desktop")


def test_a_busy_timeline_draws_bars_that_open_their_developments(analyst_page: Page, screenshot):
    # No demo frameworks: every link goes to Tsuruoka's three, too many to mark each.
    call_command("generate_demo_data", developments=300, frameworks=0, seed=3, verbosity=0)
    page = analyst_page
    page.goto("/timeline/")
    expect(page.locator(".muted").first).to_contain_text("bars count them per period")
    bars = page.locator('svg.timeline a.mark[href^="/developments/?recommendation=TSU-2"]')
    assert bars.count() > 1
    screenshot("timeline-busy-desktop")
    page.set_viewport_size(PHONE)
    screenshot("timeline-busy-phone")
    page.set_viewport_size(DESKTOP)
    bar = bars.first
    count = int(bar.locator("title").text_content().split(": ")[1].split(" ")[0])
    bar.click()
    expect(page.locator("h1")).to_have_text("Developments")
    expect(page.locator("table tbody tr")).to_have_count(min(count, 25))
