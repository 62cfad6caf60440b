"""Review before publication: editors' drafts stay out of reports until published."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import signed_in
from tests.factories import make_recommendation
from tests.test_admin import admin_url, development_post_data, with_evidence
from tests.test_importers import GOOD
from tracker.interchange import import_developments
from tracker.models import Assessment, Development, Recommendation
from tracker.roles import EDITORS

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_editor_client(django_user_model, seed):
    other = django_user_model.objects.create_user(
        "second-editor", password="x-long-pass-1", is_staff=True
    )
    other.groups.add(Group.objects.get(name=EDITORS))
    return signed_in(other)


@pytest.fixture
def draft(editor_client, seed):
    recommendation = make_recommendation(code="TSU-9")
    data = with_evidence(
        development_post_data(title="Drafted drill"), (recommendation, "advances", "3", "Why.")
    )
    assert editor_client.post(admin_url(Development, "add"), data).status_code == 302
    return Development.objects.get(title="Drafted drill")


def test_an_editors_new_development_is_a_draft_left_out_of_reports(draft, analyst_client):
    assert not draft.published
    explorer = analyst_client.get("/developments/", {"q": "Drafted"})
    assert len(explorer.context["table"].page.object_list) == 0
    assert analyst_client.get(draft.get_absolute_url()).status_code == 404
    assert b"Drafted drill" not in analyst_client.get("/developments/feed/").content
    assert b"Drafted drill" not in analyst_client.get("/timeline/").content
    export = analyst_client.get("/developments/", {"_export": "csv"})
    assert b"Drafted drill" not in b"".join(export.streaming_content)


def test_editors_see_their_draft_flagged(draft, editor_client):
    page = editor_client.get(draft.get_absolute_url())
    assert page.status_code == 200
    assert "Draft:" in page.content.decode()
    changelist = editor_client.get(admin_url(Development, "changelist"), {"published__exact": "0"})
    assert [d.pk for d in changelist.context["cl"].result_list] == [draft.pk]


def test_the_author_cannot_publish_their_own_draft(draft, editor_client):
    response = editor_client.post(
        admin_url(Development, "changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "another editor (or an administrator) must publish" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.published


def test_another_editor_publishes_it_and_reports_count_it(draft, other_editor_client):
    response = other_editor_client.post(
        admin_url(Development, "changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "Published 1." in response.content.decode()
    draft.refresh_from_db()
    assert draft.published
    assert draft.published_by.username == "second-editor"
    assert draft.history.latest().history_change_reason == "Published"
    explorer = other_editor_client.get("/developments/", {"q": "Drafted"})
    assert len(explorer.context["table"].page.object_list) == 1


def test_administrators_publish_as_they_create(admin_client, seed):
    data = development_post_data(title="Admin's development")
    assert admin_client.post(admin_url(Development, "add"), data).status_code == 302
    development = Development.objects.get(title="Admin's development")
    assert development.published


def test_an_editors_assessment_is_a_draft_until_published(editor_client, analyst_client, seed):
    tsu1 = Recommendation.objects.get(code="TSU-1")
    response = editor_client.post(
        admin_url(Assessment, "add"),
        {
            "recommendation": tsu1.pk,
            "assessed_on": "2024-06-01",
            "status": "substantial",
            "reason": "",
            "rationale": "Much done.",
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(assessed_on=datetime.date(2024, 6, 1))
    assert not assessment.published
    data = analyst_client.get("/").context["data"]
    tsu1_progress = next(
        i for f in data.frameworks for i in f.recommendations if i.recommendation.code == "TSU-1"
    )
    assert tsu1_progress.standing.status == "in_progress"  # the seed's, not the draft


def test_an_editors_upload_makes_drafts_and_an_administrators_publishes(
    editor_client, admin_client, seed
):
    url = reverse("admin:tracker_development_import")
    text = GOOD.replace("2023-01-11-japan-uk-raa", "uploaded-raa")
    file = SimpleUploadedFile("up.csv", text.encode(), content_type="text/csv")
    pending = editor_client.post(url, {"file": file}).context["pending"]
    editor_client.post(url, {"confirm": "1", "pending": pending.pk})
    assert not Development.objects.get(key="uploaded-raa").published

    text = text.replace("uploaded-raa", "admin-raa")
    file = SimpleUploadedFile("up2.csv", text.encode(), content_type="text/csv")
    pending = admin_client.post(url, {"file": file}).context["pending"]
    admin_client.post(url, {"confirm": "1", "pending": pending.pk})
    assert Development.objects.get(key="admin-raa").published


def test_command_line_imports_and_fixtures_publish_directly(seed):
    assert not Development.objects.filter(published=False).exists()
    import_developments(io.BytesIO(GOOD.replace("2023-01-11-japan-uk-raa", "cli").encode()), "csv")
    assert Development.objects.get(key="cli").published
