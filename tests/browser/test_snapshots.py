"""Snapshots in a real browser: an editor freezes the figures, an administrator then
recodes a link, and the snapshot still shows what it froze, with the change listed."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, PHONE, sign_in_to_admin
from tests.browser.test_review import sign_out
from tracker.models import Development, Snapshot
from tracker.roles import EDITORS

RAA = "2023-01-11-japan-uk-raa"


@pytest.fixture
def people(transactional_db, django_user_model):
    call_command("loaddata", "reference", "pollmann-2023", verbosity=0)
    editor = django_user_model.objects.create_user(
        "eddie-editor", password=PASSWORD, is_staff=True
    )
    editor.groups.add(Group.objects.get(name=EDITORS))
    django_user_model.objects.create_superuser("ada-admin", password=PASSWORD)


def test_a_snapshot_stays_as_taken_and_lists_a_later_recoding(page: Page, people, screenshot):
    sign_in_to_admin(page, "eddie-editor")
    page.goto("/admin/tracker/snapshot/add/")
    page.fill("#id_title", "2026 Q4 review")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    snapshot = Snapshot.objects.get()
    frozen = next(f for f in snapshot.figures if f["code"] == "TSU-2")
    sign_out(page)

    raa = Development.objects.get(key=RAA)
    link = raa.evidence.get(recommendation__code="TSU-2")
    sign_in_to_admin(page, "ada-admin")
    page.goto(f"/admin/tracker/development/{raa.pk}/change/")
    row = page.locator("#evidence-group tr.form-row", has_text="TSU-2")
    row.locator("select[name$=-strength]").select_option(str(link.strength - 1))
    page.fill("#id_change_reason", "The source calls it a step, not a leap.")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    page.goto(snapshot.get_absolute_url())
    expect(page.locator(".banner")).to_contain_text("These figures never change")
    figures = page.locator("table tbody tr", has_text="TSU-2")
    expect(figures).to_contain_text(f"+{frozen['balance']}")  # as frozen, not as today
    change = page.locator('.snapshot-change[data-code="TSU-2"]')
    expect(change).to_contain_text(f"Recoded: {raa.title}")
    expect(change).to_contain_text(f"strength {link.strength} → {link.strength - 1}")
    page.goto("/changes/")
    expect(page.locator("main")).to_contain_text("The source calls it a step, not a leap.")
    page.goto(snapshot.get_absolute_url())
    expect(page.locator('.snapshot-change[data-code="TSU-1"]')).to_contain_text(
        "Nothing has changed."
    )
    screenshot("snapshot-desktop")
    page.set_viewport_size(PHONE)
    screenshot("snapshot-phone")
