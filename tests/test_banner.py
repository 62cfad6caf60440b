"""A page that does not show today's figures says so at the top, above its title, with
a way back to today's: an as-of view (?as_of=) and a frozen snapshot alike. On paper
the link gives way to a stamp that says when and from where the page was printed."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import strip_tags

from tests.factories import make_framework
from tracker.models import Snapshot

pytestmark = pytest.mark.django_db

AS_OF_PAGES = [
    "/",
    "/frameworks/tsuruoka-2015/",
    "/recommendations/TSU-2/",
    "/reports/matrix/",
    "/timeline/",
]


def banner(content: str) -> str:
    """The banner's HTML, and that it comes before the page's title."""
    assert content.count('class="banner"') == 1
    assert content.index('class="banner"') < content.index("<h1")
    return content.split('class="banner"')[1].split("</p>")[0]


def latest_link(banner_html: str) -> str:
    return re.search(r'<a href="([^"]*)">Show the latest</a>', banner_html).group(1)


@pytest.mark.parametrize("url", AS_OF_PAGES)
def test_an_as_of_page_says_so_at_the_top_and_links_to_today(reader, url):
    html = banner(reader.get(url, {"as_of": "2023-01-20"}).content.decode())
    assert "As of 20 January 2023" in strip_tags(html)
    assert '<time datetime="2023-01-20">' in html
    assert latest_link(html) == url


def test_the_way_back_to_today_keeps_the_other_choices_but_not_the_page(reader):
    response = reader.get("/reports/matrix/", {"as_of": "2023-01-20", "group": "0", "page": "1"})
    assert latest_link(banner(response.content.decode())) == "/reports/matrix/?group=0"


def test_the_portfolio_as_of_says_so_at_the_top(reader):
    make_framework()
    html = banner(reader.get("/", {"as_of": "2023-01-20"}).content.decode())
    assert "As of 20 January 2023" in strip_tags(html)
    assert latest_link(html) == "/"


def test_a_page_of_today_has_no_banner(reader):
    for url in AS_OF_PAGES:
        assert 'class="banner"' not in reader.get(url).content.decode()


def test_a_snapshot_says_at_the_top_that_it_is_frozen_and_links_to_today(reader):
    call_command("take_snapshot", title="2026 Q3 review", stdout=io.StringIO())
    # A snapshot never changes once saved; the test moves its moment in SQL.
    Snapshot.objects.update(taken_at=datetime.datetime(2026, 10, 1, 9, 30, tzinfo=datetime.UTC))
    content = reader.get(Snapshot.objects.get().get_absolute_url()).content.decode()
    html = banner(content)
    assert "A snapshot, frozen on" in html and "1 October 2026, 09:30" in html
    assert "These figures never change" in html
    assert '<a href="/">Show today’s figures</a>' in html


def test_the_print_stamp_says_when_and_what(reader):
    before = timezone.localtime()
    content = reader.get("/recommendations/TSU-2/", {"as_of": "2023-01-20"}).content.decode()
    after = timezone.localtime()
    stamp = strip_tags(content.split('class="print-only print-stamp">')[1].split("</p>")[0])
    moments = {f"{moment.day} {moment:%B %Y, %H:%M}" for moment in (before, after)}
    assert stamp in {
        f"Printed on {moment} UTC from "
        "http://testserver/recommendations/TSU-2/?as_of=2023-01-20. "
        "It shows events dated up to 20 January 2023, as coded when printed."
        for moment in moments
    }
    today = reader.get("/recommendations/TSU-2/").content.decode()
    assert "from http://testserver/recommendations/TSU-2/.</p>" in today
