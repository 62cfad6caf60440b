"""The audit trail: every change recorded, conflicts caught, deletions restorable."""

import io

import pytest
from django.urls import reverse

from tests.factories import make_development, make_evidence, make_source
from tests.test_admin import admin_url, development_post_data
from tests.test_importers import GOOD
from tracker.interchange import import_developments
from tracker.models import Citation, Correction, Development, DevelopmentActor, Evidence

pytestmark = pytest.mark.django_db


def change_data(development, **overrides):
    page = None
    data = development_post_data(
        key=development.key,
        kind=development.kind.pk,
        title=development.title,
        end_date="",
        participants=list(development.actors.values_list("pk", flat=True)),
    )
    data.update(overrides)
    return data, page


def test_an_admin_change_is_recorded_with_who_old_and_new_values(editor_client, editor):
    development = make_development(title="Old title", published=False)  # a draft: written
    form = editor_client.get(admin_url(Development, "change", development.pk))
    loaded_at = form.context["adminform"].form["loaded_at"].value()
    data, _ = change_data(development, title="New title", loaded_at=loaded_at)
    response = editor_client.post(admin_url(Development, "change", development.pk), data)
    assert response.status_code == 302
    latest, previous = development.history.order_by("-history_date")[:2]
    assert latest.history_user == editor
    delta = latest.diff_against(previous)
    changes = {c.field: (c.old, c.new) for c in delta.changes}
    assert changes["title"] == ("Old title", "New title")
    history = editor_client.get(admin_url(Development, "history", development.pk))
    assert history.status_code == 200
    assert "New title" in history.content.decode()


def test_a_later_save_does_not_silently_overwrite_an_earlier_one(
    editor_client, client, django_user_model
):
    development = make_development(title="Original")
    form = editor_client.get(admin_url(Development, "change", development.pk))
    loaded_at = form.context["adminform"].form["loaded_at"].value()

    other = django_user_model.objects.create_superuser("colleague", password="x-long-pass-1")
    client.force_login(other)
    theirs, _ = change_data(development, title="Their title", loaded_at=loaded_at)
    assert client.post(admin_url(Development, "change", development.pk), theirs).status_code == 302

    mine, _ = change_data(development, title="My title", loaded_at=loaded_at)
    response = editor_client.post(admin_url(Development, "change", development.pk), mine)
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.non_field_errors())
    assert "colleague saved this development" in message
    assert "changing: Title" in message
    development.refresh_from_db()
    assert development.title == "Their title"


def test_a_deleted_development_can_be_found_and_restored_with_its_links(admin_client):
    evidence = make_evidence(rationale="Kept for the record.")
    development = evidence.development
    Citation.objects.create(development=development, source=make_source(), quote="Q")
    pk, actors = development.pk, sorted(development.actors.values_list("code", flat=True))
    response = admin_client.post(
        admin_url(Development, "delete", pk), {"post": "yes", "change_reason": "A duplicate."}
    )
    assert response.status_code == 302
    assert not Development.objects.filter(pk=pk).exists()
    assert not Evidence.objects.exists()

    deleted = admin_client.get(reverse("admin:tracker_development_deleted"))
    record = next(r for r in deleted.context["records"] if r.id == pk)
    restored = admin_client.post(
        reverse("admin:tracker_development_deleted"), {"history_id": record.history_id}
    )
    assert restored.status_code == 302
    development = Development.objects.get(pk=pk)
    assert sorted(development.actors.values_list("code", flat=True)) == actors
    assert development.evidence.get().rationale == "Kept for the record."
    assert development.citations.get().quote == "Q"
    assert development.history.latest().history_change_reason.startswith("Restored")
    # Its deletion and its return are both in the corrections log, each with a reason
    # (the deletion's row lost its link to the development, which was gone).
    log = Correction.objects.filter(subject=development.title).order_by("made_at", "pk")
    assert [c.kind for c in log] == ["withdrawn", "added"]
    assert log.first().reason == "A duplicate."
    assert log.last().reason.startswith("Restored (deleted")
    assert log.last().reason.endswith(f", by {log.last().made_by}")
    again = admin_client.post(
        reverse("admin:tracker_development_deleted"), {"history_id": record.history_id}
    )
    assert again.status_code == 200
    assert not any(r.id == pk for r in again.context["records"])


def test_reverting_a_draft_to_an_earlier_version_in_the_admin(editor_client):
    development = make_development(title="First version", published=False)
    development.title = "Second version"
    development.save()
    first = development.history.earliest()
    url = reverse(
        "admin:tracker_development_simple_history", args=[development.pk, first.history_id]
    )
    page = editor_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["title"].value() == "First version"
    data, _ = change_data(development, title="First version", loaded_at=form["loaded_at"].value())
    assert editor_client.post(url, data).status_code == 302
    development.refresh_from_db()
    assert development.title == "First version"


def test_imports_leave_an_audit_trail_of_what_they_wrote(editor, reference_data):
    import_developments(
        io.BytesIO(GOOD.encode()), "csv", created_by=editor, reason="Imported from x.csv"
    )
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    record = raa.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        editor,
        "Imported from x.csv",
    )
    assert record.title == raa.title
    assert DevelopmentActor.history.filter(development_id=raa.pk, history_type="+").count() == 2
    assert Evidence.history.filter(development_id=raa.pk).count() == 1

    changed = GOOD.replace("JP;GB,", "JP;GB;AU,")
    import_developments(io.BytesIO(changed.encode()), "csv", reason="second")
    assert raa.history.filter(history_type="~").count() == 1
    assert DevelopmentActor.history.filter(development_id=raa.pk, history_type="-").count() == 2


@pytest.fixture
def reference_data(db):
    from django.core.management import call_command

    call_command("loaddata", "reference", verbosity=0)
