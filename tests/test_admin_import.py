"""Importing in the admin: upload, preview, confirm."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_development
from tests.test_importers import GOOD
from tracker import review
from tracker.interchange import import_developments
from tracker.models import Development, PendingImport, Proposal
from tracker.roles import EDITORS

pytestmark = pytest.mark.django_db
URL = reverse("admin:tracker_development_import")


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def upload(client, content: str, name="developments.csv", **extra):
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post(URL, {"file": file, **extra})


def test_changelist_offers_the_import_to_editors(editor_client):
    response = editor_client.get(reverse("admin:tracker_development_changelist"))
    assert URL in response.content.decode()


def test_preview_shows_what_would_happen_and_writes_nothing(editor_client, reference):
    response = upload(editor_client, GOOD)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    content = response.content.decode()
    assert "3 would be created" in content
    assert "2023-01-11-japan-uk-raa" in content
    assert not Development.objects.exists()
    assert PendingImport.objects.count() == 1


def test_confirm_performs_exactly_the_previewed_import(editor_client, editor, reference):
    pending = upload(editor_client, GOOD).context["pending"]
    response = editor_client.post(URL, {"confirm": "1", "pending": pending.pk}, follow=True)
    assert "3 were created" in response.content.decode()
    assert Development.objects.count() == 3
    assert set(Development.objects.values_list("created_by", flat=True)) == {editor.pk}
    assert not PendingImport.objects.exists()


def test_confirm_refuses_when_the_data_changed_since_the_preview(editor_client, reference):
    pending = upload(editor_client, GOOD).context["pending"]
    make_development(key="2023-01-11-japan-uk-raa", title="Entered meanwhile")
    response = editor_client.post(URL, {"confirm": "1", "pending": pending.pk})
    assert response.status_code == 200
    assert "The data changed since the preview" in response.content.decode()
    assert Development.objects.count() == 1
    fresh = response.context["report"]
    # The development entered meanwhile is published: the editor's file proposes its change.
    assert (fresh.created, fresh.updated, fresh.proposed) == (2, 0, 1)


def test_preview_lists_every_error_with_its_line(editor_client, reference):
    bad = "date,title,kind,actors\n2023,A,volcano,JP\n2023,B,meeting,ZZ\n"
    response = upload(editor_client, bad)
    content = response.content.decode()
    assert "line 2, kind: unknown kind &#x27;volcano&#x27;" in content
    assert "line 3, actors: unknown actor &#x27;ZZ&#x27;" in content
    assert 'name="confirm"' not in content
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("", "empty.csv", "The submitted file is empty."),
        (
            "key,date,title,kind,actors\n",
            "header.csv",
            "header.csv: The file has a header row but no records.",
        ),
        ("date,title\n", "x.txt", "Cannot tell the format"),
    ],
)
def test_unreadable_files_get_a_clear_message(editor_client, reference, content, name, message):
    response = upload(editor_client, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_analysts_may_not_import(analyst_client):
    assert analyst_client.get(URL).status_code == 403


def test_one_editor_cannot_confirm_another_editors_upload(
    editor_client, reference, django_user_model, client
):
    pending = upload(editor_client, GOOD).context["pending"]
    other = django_user_model.objects.create_superuser("other", password="x-long-password")
    client.force_login(other)
    response = client.post(URL, {"confirm": "1", "pending": pending.pk}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert not Development.objects.exists()


@pytest.mark.parametrize("bad", ["abc", "9" * 5000, "-1", "٣", "99999999999999999999"])
def test_a_confirmation_naming_no_waiting_upload_is_refused_with_a_message(
    editor_client, reference, bad
):
    response = editor_client.post(URL, {"confirm": "1", "pending": bad}, follow=True)
    assert response.status_code == 200
    assert "no longer waiting" in response.content.decode()


def test_uploads_left_unconfirmed_expire_after_a_day(editor_client, reference):
    import datetime

    from django.utils import timezone

    pending = upload(editor_client, GOOD).context["pending"]
    day_ago = timezone.now() - PendingImport.LIFETIME - datetime.timedelta(minutes=1)
    PendingImport.objects.filter(pk=pending.pk).update(created_at=day_ago)
    response = editor_client.post(URL, {"confirm": "1", "pending": pending.pk}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert not PendingImport.objects.exists()  # deleted, not only refused
    assert not Development.objects.exists()


CHAIN = "key,date,title,kind,actors,follows,follows_as,evidence,note\n"


def test_an_editors_upload_proposes_a_chain_and_a_confidence_for_a_published_development(
    editor_client, reference, django_user_model
):
    published = CHAIN + (
        "pledge,2022-03-01,Pledge,agreement,JP,,,,\n"
        "kept,2023-02-01,Kept,agreement,JP,,,TSU-2:advances:2,Keeps the pledge.\n"
    )
    import_developments(io.BytesIO(published.encode()), "csv")
    upload_text = published.replace(
        ",,,TSU-2:advances:2,", ",pledge,fulfils,TSU-2:advances:2:high,"
    )

    preview = upload(editor_client, upload_text)
    assert (preview.context["report"].updated, preview.context["report"].proposed) == (0, 1)
    editor_client.post(URL, {"confirm": "1", "pending": preview.context["pending"].pk})

    proposal = Proposal.objects.pending().get()
    assert (proposal.after["follows"], proposal.after["follows_as"]) == ("pledge", "fulfils")
    assert [e["confidence"] for e in proposal.after["evidence"]] == ["high"]
    assert [d.what for d in review.differences(proposal)] == [
        "Follows",
        "Follows as",
        "Evidence TSU-2",
    ]
    kept = Development.objects.get(key="kept")
    assert (kept.follows, kept.evidence.get().confidence) == (None, "medium")  # until approved

    reviewer = django_user_model.objects.create_user("rita", password="x-long-pass-1")
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(Group.objects.get(name=EDITORS))
    review.approve(proposal, reviewer, "The file is right.")
    kept.refresh_from_db()
    assert (kept.follows.key, kept.follows_as) == ("pledge", "fulfils")
    assert kept.evidence.get().confidence == "high"
