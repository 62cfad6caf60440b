"""The API's docs page in a real browser: Swagger UI renders the schema from this
site's own files, under the site's Content-Security-Policy, with no violation and
no error in the console, and its "Try it out" reads the API with the session."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect


@pytest.fixture
def complaints(page: Page):
    """Every console error, page error, CSP violation and request off this site."""
    found: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and found.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: found.append(f"page error: {exc}"))

    def outside(request):
        if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:")):
            found.append(f"off-site request: {request.url}")

    page.on("request", outside)
    return found


def test_the_docs_page_renders_under_the_sites_csp(
    analyst_page: Page,
    complaints,
    screenshot,
):
    page = analyst_page
    # Every CSP violation is reported to the page as an event: record them.
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto("/api/docs/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Policy Recommendation Tracker API"
    )
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 16  # a list and a detail for each of the eight
    screenshot("api-docs")

    # Try a list out: Swagger UI reads it with the session's cookie.
    page.locator(".opblock-get", has_text="/api/v1/frameworks/").first.locator(
        ".opblock-summary"
    ).click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table .response .response-col_status")).to_contain_text(
        "200"
    )

    assert page.evaluate("window.__violations") == []
    assert complaints == []
