"""Reports on paper: Chromium prints each page to an A4 PDF and the tests read the text
of every page, as a reader of the printout would. The PDFs are kept under screenshots/
(print-*.pdf) for a person to look at."""

from __future__ import annotations

import datetime
import io
import re
import unicodedata

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page
from pypdf import PdfReader

from tests.browser.conftest import SCREENSHOTS
from tracker.models import Evidence, Snapshot

# A4 less the print margins of site.css (@page: 14mm 10mm), in CSS pixels (96 to the inch).
A4_WITHIN_MARGINS = {
    "width": round((210 - 20) / 25.4 * 96),
    "height": round((297 - 28) / 25.4 * 96),
}
EVIDENCE_HEADERS = (
    "Date",
    "Development",
    "Kind",
    "Actors",
    "Stance",
    "Strength",
    "Confidence",
    "Source grade",
    "Rationale",
)
SNAPSHOT_HEADERS = (
    "Recommendation",
    "Status",
    "Status date",
    "Advancing",
    "Hindering",
    "Balance",
    "Links since assessment",
)


def plain(text: str) -> str:
    """Text as a reader sees it: ligatures ('ﬁ') as letters, every run of white space
    (a line break inside a cell, too) as one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def printed(page: Page, name: str) -> list[list[str]]:
    """The page printed on A4 by Chromium: each sheet's lines of text, in order.
    First, that nothing is wider than the sheet: Chromium would shrink the whole
    printout to fit it (or clip what scrolls), which the text alone would not show."""
    size = page.viewport_size
    page.emulate_media(media="print")
    page.set_viewport_size(A4_WITHIN_MARGINS)
    widest = page.evaluate("() => document.documentElement.scrollWidth")
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.table-wrap')]
            .filter(wrap => wrap.scrollWidth > wrap.clientWidth).length"""
    )
    page.emulate_media(media="null")  # as it was: page.pdf() prints with print media
    page.set_viewport_size(size)
    assert widest <= A4_WITHIN_MARGINS["width"], f"{widest}px is wider than the sheet"
    assert clipped == 0, "a table is wider than its box"
    pdf = page.pdf(format="A4")
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"print-{name}.pdf").write_bytes(pdf)
    sheets = PdfReader(io.BytesIO(pdf)).pages
    return [
        [plain(line) for line in sheet.extract_text().splitlines() if line.strip()]
        for sheet in sheets
    ]


def joined(lines: list[str]) -> str:
    """Lines as running text: a word broken after its hyphen ('next-' / 'generation',
    or a URL) joined again."""
    return "".join(line if line.endswith("-") else f"{line} " for line in lines).strip()


def whole(sheets: list[list[str]]) -> str:
    return joined([line for lines in sheets for line in lines])


def headings(page: Page) -> set[str]:
    texts = page.locator("main h1, main h2, main h3").all_inner_texts()
    return {plain(text) for text in texts}


def assert_no_heading_ends_a_sheet(sheets: list[list[str]], titles: set[str]) -> None:
    for number, lines in enumerate(sheets[:-1], start=1):
        assert lines[-1] not in titles, f"sheet {number} ends with the heading {lines[-1]!r}"


def assert_stamped_today(text: str, scope: str = "") -> None:
    # Read the date on both sides of the print, so a run across midnight still passes.
    days = {timezone.localdate(), timezone.localdate() - datetime.timedelta(days=1)}
    stamps = [f"Printed on {day.day} {day:%B %Y}, " for day in days]
    assert any(stamp in text for stamp in stamps), text[:300]
    assert scope in text


def test_a_recommendation_prints_every_column_and_each_rationale_whole(analyst_page: Page):
    page = analyst_page
    page.goto("/recommendations/TSU-2/")
    titles = headings(page)
    sheets = printed(page, "recommendation")
    text = whole(sheets)

    assert text.startswith("Printed on ")
    assert_stamped_today(text, "/recommendations/TSU-2/.")
    assert "TSU-2 Interoperability through joint exercises" in " ".join(sheets[0][:4])
    assert " ".join(EVIDENCE_HEADERS) in text  # every column, none cut short
    evidence = Evidence.objects.filter(recommendation__code="TSU-2")
    assert evidence.count() == 5
    for link in evidence:
        assert plain(link.rationale) in text, link.rationale
    assessment = page.locator("td.rationale").first.inner_text()
    assert plain(assessment) in text
    assert_no_heading_ends_a_sheet(sheets, titles)

    for screen_only in ("Atom feed", "Export these rows", "Click a column heading", "Filter"):
        assert screen_only not in text
    for name in EVIDENCE_HEADERS:
        assert f"{name} ▲" not in text and f"{name} ▼" not in text  # no sort arrows
    assert "Sign out" not in text and "Snapshots Methodology" not in text  # no menu


@pytest.mark.parametrize("room", [100, 120])
def test_the_evidence_heading_never_ends_a_sheet_without_its_table(analyst_page: Page, room):
    """What happened with a brief whose top part ended near the foot of the first sheet:
    room enough there for the heading "Evidence", not for the table's first row. The
    test leaves that much room by standing a block of the right height in for the
    brief above it."""
    page = analyst_page
    page.goto("/recommendations/TSU-2/")
    page.evaluate(
        """([sheet, room]) => {
            document.querySelector("article.brief").style.display = "none";
            const filler = document.createElement("div");
            filler.style.height = `${sheet - room}px`;
            const heading = [...document.querySelectorAll("main > h2")]
                .find(h2 => h2.textContent === "Evidence");
            heading.before(filler);
        }""",
        [A4_WITHIN_MARGINS["height"], room],
    )
    sheets = printed(page, f"evidence-heading-{room}")
    assert len(sheets) == 2
    assert sheets[0][-1] != "Evidence"
    assert sheets[1][0] == "Evidence"


def test_an_as_of_printout_says_which_day_it_shows(analyst_page: Page):
    page = analyst_page
    page.goto("/recommendations/TSU-2/?as_of=2023-01-10")
    sheets = printed(page, "recommendation-as-of")
    text = whole(sheets)
    assert_stamped_today(
        text, ". It shows events dated up to 10 January 2023, as coded when printed."
    )
    assert "As of 10 January 2023: events dated up to that day" in text
    assert "Show the latest" not in text
    assert "Japan and the UK sign a Reciprocal Access Agreement" not in text  # 11 January


def test_a_long_evidence_table_repeats_its_header_and_keeps_rows_whole(analyst_page: Page):
    call_command("generate_demo_data", developments=120, frameworks=0, seed=5, verbosity=0)
    page = analyst_page
    page.goto("/recommendations/TSU-2/?per_page=50")
    titles = headings(page)
    rows = page.locator("table.report-table tbody tr")
    assert rows.count() > 25
    sheets = printed(page, "recommendation-long")
    text = whole(sheets)
    table_sheets = [lines for lines in sheets if " ".join(EVIDENCE_HEADERS) in joined(lines)]
    assert len(table_sheets) >= 2  # the table runs over sheets, headed on each
    for development in rows.locator("td:nth-child(2)").all_inner_texts():
        assert plain(development) in text
    for rationale in rows.locator("td.rationale").all_inner_texts():
        assert plain(rationale) in text
    assert_no_heading_ends_a_sheet(sheets, titles)


def test_the_dashboard_prints_its_title_and_each_recommendation_whole(analyst_page: Page):
    page = analyst_page
    titles = headings(page)
    sheets = printed(page, "dashboard")
    text = whole(sheets)
    assert_stamped_today(text)
    assert "Progress of recommendations" in text
    for title in page.locator(".progress-item h3").all_inner_texts():
        assert plain(title) in text
    ladder = "Not started In progress Substantially implemented Implemented"
    assert text.count(ladder) == 3  # each step's name whole, in each verdict
    assert "Export these figures" not in text
    assert_no_heading_ends_a_sheet(sheets, titles)
    # No recommendation is split over two sheets: each lies on one.
    for code in ("TSU-1", "TSU-2", "TSU-3"):
        assert sum(code in joined(lines) for lines in sheets) == 1, code


def test_a_snapshot_prints_its_name_and_every_column(analyst_page: Page):
    call_command("take_snapshot", title="2026 Q4 review", verbosity=0)
    page = analyst_page
    page.goto(Snapshot.objects.get().get_absolute_url())
    titles = headings(page)
    sheets = printed(page, "snapshot")
    text = whole(sheets)
    assert_stamped_today(text, ". It shows the snapshot “2026 Q4 review”, frozen on ")
    assert "These figures never change" in text
    assert " ".join(SNAPSHOT_HEADERS) in text
    for screen_only in ("Show today’s figures", "Export", "CSV"):
        assert screen_only not in text
    assert_no_heading_ends_a_sheet(sheets, titles)
