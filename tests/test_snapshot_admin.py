"""Taking a snapshot in the admin: editors may, analysts may not, nobody changes one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tracker.models import Snapshot

pytestmark = pytest.mark.django_db

ADD = reverse("admin:tracker_snapshot_add")


def test_an_editor_takes_a_snapshot_by_its_title(editor_client, seed):
    response = editor_client.post(ADD, {"title": "2026 Q4 review"})
    assert response.status_code == 302
    snapshot = Snapshot.objects.get()
    assert snapshot.title == "2026 Q4 review"
    assert snapshot.taken_by.username == "eddie-editor"
    assert len(snapshot.figures) == 3 and snapshot.links
    page = editor_client.get(reverse("admin:tracker_snapshot_change", args=[snapshot.pk]))
    assert page.status_code == 200
    assert snapshot.get_absolute_url() in page.content.decode()
    assert b'name="title"' not in page.content  # read-only: a snapshot never changes


def test_nobody_changes_or_an_editor_deletes_a_snapshot(editor_client, admin_client, seed):
    editor_client.post(ADD, {"title": "Frozen"})
    snapshot = Snapshot.objects.get()
    change = reverse("admin:tracker_snapshot_change", args=[snapshot.pk])
    assert editor_client.post(change, {"title": "Thawed"}).status_code == 403
    assert admin_client.post(change, {"title": "Thawed"}).status_code == 403
    delete = reverse("admin:tracker_snapshot_delete", args=[snapshot.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert Snapshot.objects.get().title == "Frozen"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Snapshot.objects.exists()


def test_analysts_read_snapshots_but_do_not_take_them(analyst_client, seed):
    assert analyst_client.post(ADD, {"title": "Mine"}).status_code == 403
    assert analyst_client.get(reverse("admin:tracker_snapshot_changelist")).status_code == 200
    assert not Snapshot.objects.exists()
