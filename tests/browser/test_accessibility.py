"""axe-core finds no WCAG 2.1 A or AA violation on any report page, the sign-in page or
the main admin pages, at desktop and phone widths, on the seed data."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.urls import URLPattern, reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, sign_in_to_reports
from tracker import snapshots, urls
from tracker.interchange import export_developments
from tracker.models import Development, Framework, Recommendation
from tracker.roles import EDITORS

RAA = "2023-01-11-japan-uk-raa"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()

# Atom feeds: XML for feed readers, not pages.
NOT_PAGES = {"feed", "changes-feed", "recommendation-feed"}

# The arguments of the report pages that take some, from the seed.
ARGUMENTS: dict[str, Callable[[], dict]] = {
    "framework-dashboard": lambda: {"code": "tsuruoka-2015"},
    "development-detail": lambda: {"pk": Development.objects.get(key=RAA).pk},
    "actor-detail": lambda: {"code": "JP"},
    "recommendation-detail": lambda: {"code": "TSU-2"},
    "snapshot-detail": lambda: {"slug": snapshots.take("Accessibility check").slug},
}

# Every report page in tracker/urls.py: a page added there is checked without being listed.
REPORT_PAGES = [
    pattern.name
    for pattern in urls.urlpatterns
    if isinstance(pattern, URLPattern) and pattern.name not in NOT_PAGES
]


def violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it stands."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    return AXE.run(page, options=options).response["violations"]


def described(found: list[dict]) -> str:
    """Each violation with the first few elements at fault and what axe says of them."""
    lines = []
    for violation in found:
        lines.append(f"{violation['id']}: {violation['help']} ({len(violation['nodes'])})")
        for node in violation["nodes"][:6]:
            summary = " ".join(node["failureSummary"].split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible_at_both_widths(page: Page, screenshot, name: str) -> None:
    report = []
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        if found := violations(page):
            report.append(f"{name} at {width} width ({page.url}):\n{described(found)}")
        screenshot(f"a11y-{name}-{width}")
    page.set_viewport_size(DESKTOP)
    if report:
        pytest.fail("\n".join(report), pytrace=False)


@pytest.fixture
def editor_page(page: Page, live_server, seed, django_user_model) -> Page:
    """Signed in as an editor, on the seed: reports and the admin as editors see them."""
    editor = django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    sign_in_to_reports(page, "editor")
    return page


def test_every_page_of_the_tracker_urls_is_checked_or_not_a_page():
    names = {pattern.name for pattern in urls.urlpatterns}
    assert names - NOT_PAGES == set(REPORT_PAGES)
    with_arguments = {
        pattern.name for pattern in urls.urlpatterns if pattern.pattern.regex.groups
    } - NOT_PAGES
    assert with_arguments <= set(ARGUMENTS), "give the new page's arguments in ARGUMENTS"


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_report_page_has_no_wcag_violation(editor_page: Page, screenshot, name):
    page = editor_page
    url = reverse(f"tracker:{name}", kwargs=ARGUMENTS.get(name, dict)())
    response = page.goto(url)
    assert response is not None and response.status == 200, url

    assert_accessible_at_both_widths(page, screenshot, name)


def test_filters_as_open_on_the_explorer_have_no_wcag_violation(editor_page: Page, screenshot):
    page = editor_page
    page.goto("/developments/?kind=exercise")
    page.click("details.filter-box summary")

    assert_accessible_at_both_widths(page, screenshot, "development-list-filters")


def test_a_report_as_of_a_date_has_no_wcag_violation(editor_page: Page, screenshot):
    page = editor_page
    page.goto("/recommendations/TSU-2/?as_of=2023-02-01")
    expect(page.locator(".banner")).to_be_visible()

    assert_accessible_at_both_widths(page, screenshot, "recommendation-detail-as-of")


def test_portfolio_of_several_frameworks_has_no_wcag_violation(editor_page: Page, screenshot):
    framework = Framework.objects.create(
        code="second", title="A second framework", author="An Author", year=2020
    )
    Recommendation.objects.create(
        framework=framework, code="SEC-1", ordinal=1, title="Talk more", text="Talk more."
    )
    page = editor_page
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("ortfolio")

    assert_accessible_at_both_widths(page, screenshot, "portfolio")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "url"), [("sign-in", "/"), ("admin-sign-in", "/admin/")])
def test_sign_in_page_has_no_wcag_violation(page: Page, live_server, screenshot, name, url):
    page.goto(url)  # sent on to sign in
    expect(page.locator("#id_password")).to_be_visible()
    assert_accessible_at_both_widths(page, screenshot, name)

    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong-password")
    page.click("[type=submit]")
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    assert_accessible_at_both_widths(page, screenshot, f"{name}-refused")


ADMIN_PAGES: dict[str, Callable[[], str]] = {
    "index": lambda: reverse("admin:index"),
    "development-changelist": lambda: reverse("admin:tracker_development_changelist"),
    "development-change": lambda: reverse(
        "admin:tracker_development_change", args=[Development.objects.get(key=RAA).pk]
    ),
    "recommendation-change": lambda: reverse(
        "admin:tracker_recommendation_change",
        args=[Recommendation.objects.get(code="TSU-2").pk],
    ),
    "development-import": lambda: reverse("admin:tracker_development_import"),
}


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_page_has_no_wcag_violation(page: Page, live_server, seed, screenshot, name):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    sign_in_to_reports(page, "root")
    response = page.goto(ADMIN_PAGES[name]())
    assert response is not None and response.status == 200

    assert_accessible_at_both_widths(page, screenshot, f"admin-{name}")


def test_admin_import_preview_has_no_wcag_violation(
    page: Page, live_server, seed, screenshot, tmp_path
):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    exported = io.StringIO()
    export_developments(exported, "csv", Development.objects.all())
    upload = tmp_path / "developments.csv"  # one title changed: the preview lists an update
    upload.write_text(exported.getvalue().replace("Access Agreement", "Access Agreement (RAA)"))
    sign_in_to_reports(page, "root")
    page.goto(reverse("admin:tracker_development_import"))
    page.set_input_files("input[type=file]", str(upload))
    page.click("input[type=submit][value=Preview]")
    expect(page.locator("h2", has_text="Preview of")).to_be_visible()

    assert_accessible_at_both_widths(page, screenshot, "admin-development-import-preview")
