"""The Editors and Analysts groups, and what each may do in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import make_development, make_recommendation
from tracker.roles import ANALYSTS, EDITORS, ensure_roles

pytestmark = pytest.mark.django_db


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_migrate_creates_both_groups_with_their_permissions():
    editors, analysts = codenames(EDITORS), codenames(ANALYSTS)
    assert {"add_development", "change_evidence", "delete_evidence", "add_assessment"} <= editors
    assert not {"delete_recommendation", "delete_framework", "delete_actor"} & editors
    # What the scores rest on is changed by administrators only.
    assert not {"change_recommendation", "change_framework", "change_developmentkind"} & editors
    assert {"view_proposal", "change_proposal"} <= editors
    assert analysts == {p for p in editors if p.startswith("view_")} - {"view_proposal"}
    assert len(analysts) == 12  # eleven models, and the reports
    assert {"view_snapshot", "add_snapshot"} <= editors
    assert "change_snapshot" not in editors


def test_ensure_roles_is_idempotent_and_repairs_drift():
    group = Group.objects.get(name=EDITORS)
    group.permissions.clear()
    ensure_roles()
    ensure_roles()
    assert Group.objects.filter(name=EDITORS).count() == 1
    assert "add_development" in codenames(EDITORS)


def test_editor_may_change_developments_but_not_delete_recommendations(editor_client):
    development, recommendation = make_development(), make_recommendation()
    change = reverse("admin:tracker_development_change", args=[development.pk])
    assert editor_client.get(change).status_code == 200
    delete = reverse("admin:tracker_recommendation_delete", args=[recommendation.pk])
    assert editor_client.get(delete).status_code == 403
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403


def test_analyst_may_read_but_not_add_or_change(analyst_client):
    development = make_development()
    assert analyst_client.get(reverse("admin:tracker_development_changelist")).status_code == 200
    assert analyst_client.get(reverse("admin:tracker_development_add")).status_code == 403
    change = reverse("admin:tracker_development_change", args=[development.pk])
    response = analyst_client.post(change, {"title": "Renamed"})
    assert response.status_code == 403
    development.refresh_from_db()
    assert development.title != "Renamed"


def test_analyst_is_not_offered_the_bulk_link_action(analyst_client):
    response = analyst_client.get(reverse("admin:tracker_development_changelist"))
    assert "link_to_recommendation" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("admin:tracker_development_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_reading_reports_is_a_permission_so_renaming_a_group_locks_nobody_out(
    analyst_client, analyst, django_user_model
):
    Group.objects.filter(name=ANALYSTS).update(name="Readers")
    assert analyst_client.get("/").status_code == 200
    from django.contrib.auth.models import Permission

    loner = django_user_model.objects.create_user("loner", password="x-long-pass-1")
    from tests.conftest import signed_in

    client = signed_in(loner)
    assert client.get("/").status_code == 403
    loner.user_permissions.add(Permission.objects.get(codename="view_reports"))
    assert client.get("/").status_code == 200
