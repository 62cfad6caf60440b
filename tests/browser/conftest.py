"""Real-browser tests: Debian's chromium driven by Playwright, against live_server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tracker.roles import ANALYSTS

# Playwright's sync API runs an event loop in the main thread; Django would
# otherwise refuse ORM calls from the test body (tests only, never settings).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Every browser test's users sign in with this password.
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url, "viewport": DESKTOP}


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under screenshots/ for a person to look at."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in_to_admin(page: Page, username: str) -> None:
    """Sign in on the admin's sign-in page."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Policy Recommendation Tracker")


def sign_in_to_reports(page: Page, username: str) -> None:
    """Sign in on the reports' sign-in page."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#id_password")).to_have_count(0)


@pytest.fixture
def analyst_page(page: Page, transactional_db, django_user_model) -> Page:
    """An analyst signed in, on the seed's reference data and Pollmann's developments."""
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    analyst = django_user_model.objects.create_user("analyst", password=PASSWORD)
    analyst.groups.add(Group.objects.get(name=ANALYSTS))
    sign_in_to_reports(page, "analyst")
    return page
