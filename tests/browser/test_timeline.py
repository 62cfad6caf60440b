"""The timeline and the other SVG charts as a reader's browser draws them: lane names
that stay in view, a phone that shows the whole span or says it scrolls, and no
chart text drawn under 10 px at phone or desktop width."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE
from tracker import progress

# Each <text> of each SVG chart on the page: the size it is drawn at on screen (its
# font size times the scale its SVG is drawn at) and the height of its box.
RENDERED_TEXT = """() => Array.from(document.querySelectorAll("svg text"))
  .filter(text => text.getBoundingClientRect().height > 0)
  .map(text => ({
    text: text.textContent,
    chart: text.closest("svg").getAttribute("class"),
    size: parseFloat(getComputedStyle(text).fontSize) * Math.abs(text.getScreenCTM().d),
    height: text.getBoundingClientRect().height,
  }))"""


@pytest.fixture
def bars(monkeypatch):
    """The timeline as at scale: bars counting links per period (the seed has 19)."""
    monkeypatch.setattr(progress, "MAX_TIMELINE_MARKS", 5)
    cache.clear()  # a timeline of marks drawn earlier from the same data
    yield
    cache.clear()


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_lane_names_stay_in_view_when_the_timeline_scrolls_sideways(
    analyst_page: Page, screenshot
):
    page = analyst_page
    page.set_viewport_size(PHONE)
    page.goto("/timeline/")
    scroller = page.locator(".timeline-scroll")
    before = box(page, ".timeline-labels li a")
    scroller.evaluate("element => { element.scrollLeft = element.scrollWidth }")
    assert scroller.evaluate("element => element.scrollLeft") > 300  # it did scroll
    label, frame = box(page, ".timeline-labels li a"), scroller.bounding_box()
    assert label == before
    assert frame["x"] <= label["x"] and label["x"] + label["width"] <= frame["x"] + frame["width"]
    # Drawn on top: the point at the label's middle is the label, not a mark scrolled under it.
    middle = (label["x"] + label["width"] / 2, label["y"] + label["height"] / 2)
    assert page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('.timeline-labels') !== null",
        list(middle),
    )
    expect(page.locator(".timeline-labels li").first).to_contain_text(
        "TSU-1 Intellectual foundation"
    )
    screenshot("timeline-phone-scrolled")


def test_each_lane_name_sits_level_with_its_lane(analyst_page: Page):
    page = analyst_page
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto("/timeline/")
        names = page.locator(".timeline-labels li").all()
        lines = page.locator("svg.timeline .lane-line").all()
        assert len(names) == len(lines) == 3
        for name, line in zip(names, lines, strict=True):
            name_box, line_box = name.bounding_box(), line.bounding_box()
            assert abs(name_box["y"] + name_box["height"] / 2 - line_box["y"]) <= 1.5


def test_a_phone_shows_the_whole_span_or_says_that_it_scrolls(analyst_page: Page, screenshot):
    page = analyst_page
    note = page.locator(".timeline-scrolls")
    for viewport, name in ((DESKTOP, "timeline-desktop"), (PHONE, "timeline-phone")):
        page.set_viewport_size(viewport)
        page.goto("/timeline/")
        scrolls = page.locator(".timeline-scroll").evaluate(
            "element => element.scrollWidth > element.clientWidth"
        )
        if scrolls:
            expect(note).to_be_visible()
        else:
            expect(note).to_be_hidden()
        screenshot(name)
    # At 1366 px the whole span fits; on a phone it cannot, and says so.
    page.set_viewport_size(DESKTOP)
    page.goto("/timeline/")
    expect(note).to_be_hidden()
    page.set_viewport_size(PHONE)
    expect(note).to_be_visible()


def test_marks_too_close_to_tell_apart_share_a_badge_that_lists_them(analyst_page: Page):
    page = analyst_page
    page.goto("/timeline/")
    # TSU-2's four advancing links of 8 to 11 January 2023, a few pixels apart.
    badge = page.locator('svg.timeline a.badge[href*="recommendation=TSU-2"]')
    expect(badge).to_have_count(1)
    expect(badge.locator("text")).to_have_text("4")
    badge.click()
    expect(page.locator("table tbody tr")).to_have_count(4)


def test_bars_at_scale_carry_their_count_scale(analyst_page: Page, bars, screenshot):
    page = analyst_page
    page.goto("/timeline/")
    expect(page.locator("svg.timeline a.mark rect").first).to_be_visible()
    scale = page.locator("svg.timeline text.scale")
    expect(scale).to_have_count(3)  # one per lane
    tallest = scale.first.text_content()
    assert tallest.isdigit() and int(tallest) > 0
    expect(page.locator(".timeline-chart")).to_contain_text(f"mark {tallest}, the most")
    screenshot("timeline-bars-desktop")
    page.set_viewport_size(PHONE)
    screenshot("timeline-bars-phone")
    # test_accessibility.py checks the timeline of marks; these are the bars.
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    assert Axe().run(page, options=options).response["violations"] == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    "url",
    ["/timeline/", "/", "/frameworks/tsuruoka-2015/", "/recommendations/TSU-2/"],
)
def test_no_chart_text_is_drawn_under_10px(analyst_page: Page, viewport, url):
    page = analyst_page
    page.set_viewport_size(viewport)
    page.goto(url)
    drawn = page.evaluate(RENDERED_TEXT)
    assert drawn, f"no chart text on {url}"
    small = [text for text in drawn if text["size"] < 10 or text["height"] < 10]
    assert not small, small


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_text_on_the_timelines_bars_is_drawn_under_10px(analyst_page: Page, bars, viewport):
    page = analyst_page
    page.set_viewport_size(viewport)
    page.goto("/timeline/")
    drawn = page.evaluate(RENDERED_TEXT)
    assert any(text["chart"] == "chart timeline" for text in drawn)
    small = [text for text in drawn if text["size"] < 10 or text["height"] < 10]
    assert not small, small
