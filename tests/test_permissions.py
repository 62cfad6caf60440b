"""Who may do what: every kind of page, export, feed and admin action, for each role."""

import pytest
from django.urls import reverse

from tests.conftest import signed_in
from tests.factories import make_member
from tracker import snapshots
from tracker.models import Development, Recommendation, Snapshot
from tracker.roles import ANALYSTS, EDITORS

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "no role", "analyst", "editor", "administrator")

REPORTS = [
    "/",
    "/frameworks/tsuruoka-2015/",
    "/frameworks/tsuruoka-2015/?_export=json",
    "/methodology/",
    "/developments/",
    "/developments/?_export=csv",
    "/developments/{raa}/",
    "/recommendations/TSU-2/",
    "/recommendations/TSU-2/?_export=json",
    "/actors/",
    "/actors/JP/?_export=xlsx",
    "/reports/matrix/",
    "/reports/matrix/?_export=csv",
    "/timeline/",
    "/developments/feed/",
    "/recommendations/TSU-2/feed/",
    "/changes/",
    "/changes/?recommendation=TSU-2",
    "/changes/feed/",
    "/snapshots/",
    "/snapshots/{snapshot}/",
    "/snapshots/{snapshot}/?_export=csv",
]


def test_the_list_of_reports_covers_every_route_of_the_app():
    """A new page cannot skip the access test below: its route must be listed."""
    from django.urls import resolve

    from tracker import urls

    listed = {resolve(url.format(raa=1, snapshot="s").split("?")[0]).url_name for url in REPORTS}
    assert listed == {pattern.name for pattern in urls.urlpatterns}


@pytest.fixture
def people(seed, django_user_model):
    from django.test import Client

    return {
        "anonymous": Client(),
        "no role": signed_in(make_member("nobody")),
        "analyst": signed_in(make_member("analyst-1", ANALYSTS, is_staff=True)),
        "editor": signed_in(make_member("editor-1", EDITORS, is_staff=True)),
        "administrator": signed_in(make_member("admin-1", is_staff=True, is_superuser=True)),
    }


def raa_pk():
    return Development.objects.get(key="2023-01-11-japan-uk-raa").pk


def report_url(url: str) -> str:
    """One of REPORTS with its placeholders filled from the seed (and a snapshot of it)."""
    snapshot = Snapshot.objects.first() or snapshots.take("Access check")
    return url.format(raa=raa_pk(), snapshot=snapshot.slug)


@pytest.mark.parametrize("url", REPORTS)
def test_reports_exports_and_feeds_are_for_the_three_roles(people, url):
    url = report_url(url)
    expected = {
        "anonymous": 302,
        "no role": 403,
        "analyst": 200,
        "editor": 200,
        "administrator": 200,
    }
    for role in ROLES:
        assert people[role].get(url).status_code == expected[role], (role, url)


def test_public_reports_open_reading_but_not_the_admin(people, settings):
    settings.TRACKER_PUBLIC_REPORTS = True
    assert people["anonymous"].get("/reports/matrix/").status_code == 200
    assert people["anonymous"].get("/developments/feed/").status_code == 200
    assert people["anonymous"].get(reverse("admin:index")).status_code == 302


@pytest.mark.parametrize(
    ("page", "allowed"),
    [
        ("admin:tracker_development_changelist", {"analyst", "editor", "administrator"}),
        ("admin:tracker_development_add", {"editor", "administrator"}),
        ("admin:tracker_development_import", {"editor", "administrator"}),
        ("admin:tracker_development_deleted", {"editor", "administrator"}),
        ("admin:tracker_development_export", {"editor", "administrator"}),
        ("admin:tracker_backgroundjob_changelist", {"editor", "administrator"}),
        ("admin:tracker_assessment_add", {"editor", "administrator"}),
        ("admin:tracker_framework_add", {"administrator"}),
        ("admin:tracker_recommendation_add", {"administrator"}),
        ("admin:tracker_developmentkind_add", {"administrator"}),
        ("admin:tracker_proposal_changelist", {"editor", "administrator"}),
    ],
)
def test_admin_pages_by_role(people, page, allowed):
    url = reverse(page)
    for role in ROLES:
        status = people[role].get(url).status_code
        if role in allowed:
            assert status == 200, (role, page)
        elif role in ("anonymous", "no role"):
            assert status == 302, (role, page)  # to the admin's sign-in
        else:
            assert status == 403, (role, page)


def test_only_administrators_delete_recommendations_and_frameworks(people):
    recommendation = Recommendation.objects.get(code="TSU-1")
    for model, pk in (
        ("recommendation", recommendation.pk),
        ("framework", recommendation.framework_id),
    ):
        url = reverse(f"admin:tracker_{model}_delete", args=[pk])
        assert people["editor"].get(url).status_code == 403
        assert people["analyst"].get(url).status_code == 403
        assert people["administrator"].get(url).status_code == 200  # the protected-objects page


def test_analysts_cannot_run_admin_actions(people):
    pk = raa_pk()
    changelist = reverse("admin:tracker_development_changelist")
    for action in ("publish", "link_to_recommendation", "delete_selected"):
        response = people["analyst"].post(
            changelist, {"action": action, "_selected_action": [pk]}, follow=True
        )
        assert response.status_code in (200, 403)
        assert Development.objects.filter(pk=pk, published=True).exists()
    assert Development.objects.filter(pk=pk).exists()
    analyst_page = people["analyst"].get(changelist).content.decode()
    assert 'value="publish"' not in analyst_page
    assert 'value="delete_selected"' not in analyst_page
