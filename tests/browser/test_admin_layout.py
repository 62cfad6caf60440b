"""The admin's pages fit a laptop's 1366 px without sideways scrolling, and drafts
read as drafts, in a real browser; each page is also photographed at phone width.

Screenshots go to screenshots/admin-layout-*.png (ADMIN_SHOTS_PREFIX changes the
prefix, e.g. to keep a "before" set beside an "after" one).
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, sign_in_to_admin
from tests.factories import make_development, make_evidence
from tracker.models import Assessment, Development, Recommendation
from tracker.roles import EDITORS

PREFIX = os.environ.get("ADMIN_SHOTS_PREFIX", "admin-layout")
LONG_TITLE = (
    "Japan and the European Union agree to deepen their security and defence partnership "
    "with a new framework for consultations on maritime security and cyber defence"
)

CSV_VALID = (
    "key,date,title,kind,actors,evidence,note\n"
    "2023-01-11-japan-uk-raa,2023-01-11,Japan and the UK sign a Reciprocal Access "
    "Agreement (renamed),agreement,JP;GB,TSU-2:advances:3:high,Signed in London.\n"
    "preview-new,2023-05-02,Japan and Lithuania open a security dialogue,meeting,JP;LT,"
    "TSU-1:advances:1,A first step.\n"
)
CSV_WITH_ERRORS = CSV_VALID + "broken,2023-13-45,,meeting,JP,TSU-9:advances,\n"


@pytest.fixture
def people(transactional_db, django_user_model):
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    root = django_user_model.objects.create_superuser("editor-in-chief", password=PASSWORD)
    eddie = django_user_model.objects.create_user("eddie", password=PASSWORD, is_staff=True)
    eddie.groups.add(Group.objects.get(name=EDITORS))
    rita = django_user_model.objects.create_user("rita", password=PASSWORD, is_staff=True)
    rita.groups.add(Group.objects.get(name=EDITORS))
    draft = make_development(title=LONG_TITLE, published=False, created_by=eddie, drafted_by=eddie)
    make_evidence(
        development=draft,
        recommendation=Recommendation.objects.get(code="TSU-2"),
        rationale="A long rationale that takes several lines in the inline's box. " * 4,
    )
    Assessment.objects.filter(pk=Assessment.objects.first().pk).update(
        published=False, drafted_by=eddie
    )
    return {"root": root, "eddie": eddie, "rita": rita, "draft": draft}


OVERFLOW = """() => {
  const found = {};
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) found.page = root.scrollWidth - root.clientWidth;
  for (const element of document.querySelectorAll("body *")) {
    const style = getComputedStyle(element);
    if (!["auto", "scroll"].includes(style.overflowX) || element.clientWidth === 0) continue;
    if (element.scrollWidth > element.clientWidth + 1) {
      found[element.id || element.className || element.tagName] =
        element.scrollWidth - element.clientWidth;
    }
  }
  return found;
}"""


def overflow(page: Page) -> dict[str, int]:
    """What scrolls sideways, and by how many pixels: the page, or a box within it
    (the admin's list scrolls its own table when it is too wide)."""
    return page.evaluate(OVERFLOW)


def pages(people) -> list[tuple[str, str]]:
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    tsu2 = Recommendation.objects.get(code="TSU-2")
    evidence = people["draft"].evidence.first()
    return [
        ("development-changelist", "/admin/tracker/development/"),
        ("development-draft", f"/admin/tracker/development/{people['draft'].pk}/change/"),
        ("development-published", f"/admin/tracker/development/{raa.pk}/change/"),
        ("recommendation-change", f"/admin/tracker/recommendation/{tsu2.pk}/change/"),
        ("recommendation-changelist", "/admin/tracker/recommendation/"),
        ("assessment-changelist", "/admin/tracker/assessment/"),
        (
            "assessment-change",
            f"/admin/tracker/assessment/{Assessment.objects.first().pk}/change/",
        ),
        ("evidence-changelist", "/admin/tracker/evidence/"),
        ("evidence-change", f"/admin/tracker/evidence/{evidence.pk}/change/"),
        ("citation-changelist", "/admin/tracker/citation/"),
        ("source-changelist", "/admin/tracker/source/"),
        ("import", "/admin/tracker/development/import/"),
        ("development-add", "/admin/tracker/development/add/"),
        ("framework-change", f"/admin/tracker/framework/{tsu2.framework_id}/change/"),
        *(
            (f"{name}-changelist", f"/admin/tracker/{name}/")
            for name in (
                "actor",
                "framework",
                "proposal",
                "correction",
                "snapshot",
                "backgroundjob",
                "developmentactor",
                "developmentkind",
            )
        ),
    ]


def preview(page: Page, tmp_path, name: str, content: str):
    upload = tmp_path / name
    upload.write_text(content)
    page.goto("/admin/tracker/development/import/")
    page.set_input_files("#id_file", str(upload))
    page.click("input[value=Preview]")
    expect(page.locator("h2").first).to_contain_text("Preview of")


@pytest.mark.parametrize("username", ["editor-in-chief", "rita"])
def test_admin_pages_fit_a_laptop_and_are_photographed_at_both_widths(
    page: Page, people, screenshot, tmp_path, username
):
    """An administrator sees every form editable; an editor reads some."""
    sign_in_to_admin(page, username)
    who = "admin" if username == "editor-in-chief" else "editor"
    wide = {}
    for name, url in pages(people):
        page.set_viewport_size(DESKTOP)
        page.goto(url)
        wide[name] = overflow(page)
        screenshot(f"{PREFIX}-{who}-{name}-desktop")
        page.set_viewport_size(PHONE)
        page.goto(url)
        screenshot(f"{PREFIX}-{who}-{name}-phone")
    for name, content in (("valid", CSV_VALID), ("errors", CSV_WITH_ERRORS)):
        page.set_viewport_size(DESKTOP)
        preview(page, tmp_path, f"{name}.csv", content)
        wide[f"import-preview-{name}"] = overflow(page)
        screenshot(f"{PREFIX}-{who}-import-preview-{name}-desktop")
        page.set_viewport_size(PHONE)
        screenshot(f"{PREFIX}-{who}-import-preview-{name}-phone")
    assert {name: found for name, found in wide.items() if found} == {}


def test_an_editor_saving_a_draft_is_told_who_may_publish_it(page: Page, people, screenshot):
    sign_in_to_admin(page, "eddie")
    page.goto(f"/admin/tracker/development/{people['draft'].pk}/change/")
    expect(page.locator(".review-status")).to_contain_text(
        "You wrote it last, so someone else must publish it."
    )
    page.fill("#id_location", "Brussels")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .warning")).to_contain_text(
        "It is a draft by eddie: reports, exports and feeds leave it out until someone else "
        "publishes it. Who may: editor-in-chief or rita."
    )
    screenshot(f"{PREFIX}-editor-draft-saved-desktop")
    page.set_viewport_size(PHONE)
    screenshot(f"{PREFIX}-editor-draft-saved-phone")
