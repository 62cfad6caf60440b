"""Every change to published content is reviewed: an editor's change waits as a
proposal, the live record stays as it is, and another editor approves or rejects it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.conftest import downloaded, signed_in
from tests.test_admin import admin_url
from tracker import review
from tracker.models import (
    Assessment,
    Citation,
    DataVersion,
    Development,
    Evidence,
    Proposal,
    Recommendation,
    Source,
)
from tracker.roles import EDITORS

pytestmark = pytest.mark.django_db
RAA = "2023-01-11-japan-uk-raa"


@pytest.fixture
def reviewer(seed, django_user_model):
    user = django_user_model.objects.create_user("rita-reviewer", password="x-long-pass-1")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


@pytest.fixture
def reviewer_client(reviewer):
    return signed_in(reviewer)


def change_form(client, development) -> dict:
    """The development's change form as the editor's browser would post it back."""
    from tests.test_admin_write_sweep import replayed_form

    data = replayed_form(client, admin_url(Development, "change", development.pk))
    assert data, "the change form is shown"
    return data


def decide(client, proposal, verb, reason="Checked against the source."):
    return client.post(
        admin_url(Proposal, "change", proposal.pk), {f"_{verb}": "1", "reason": reason}
    )


def live_title(key=RAA):
    return Development.objects.get(key=key).title


def test_an_editors_change_to_a_published_development_waits_and_reports_keep_the_live_one(
    seed, editor_client, analyst_client
):
    raa = Development.objects.get(key=RAA)
    version = DataVersion.objects.current()
    data = change_form(editor_client, raa)
    data["title"] = ["Japan and the UK ratify the RAA"]
    data["evidence-0-strength"] = ["1"]
    response = editor_client.post(admin_url(Development, "change", raa.pk), data, follow=True)
    assert "waits for review" in response.content.decode()

    assert live_title() == raa.title  # unchanged, in the database and so in every report
    assert Evidence.objects.get(development=raa).strength == 3
    assert b"ratify" not in analyst_client.get("/developments/").content
    assert b"ratify" not in downloaded(analyst_client.get("/developments/?_export=csv"))
    assert b"ratify" not in analyst_client.get("/developments/feed/").content
    proposal = Proposal.objects.pending().get()
    assert (proposal.kind, proposal.action, proposal.development) == ("development", "change", raa)
    rows = {d.what: (d.before, d.after) for d in review.differences(proposal)}
    assert rows["Title"] == (raa.title, "Japan and the UK ratify the RAA")
    assert rows["Evidence TSU-2"][0].startswith("advances, strength 3")
    assert rows["Evidence TSU-2"][1].startswith("advances, strength 1")
    assert len(rows) == 2
    # The proposal is kept beside the data: the live rows, and so cached figures, stand.
    assert DataVersion.objects.current() == version


def test_another_editor_approves_with_a_reason_and_the_change_goes_live_with_history(
    seed, editor_client, editor, reviewer_client, reviewer
):
    raa = Development.objects.get(key=RAA)
    data = change_form(editor_client, raa)
    data["title"] = ["Japan and the UK ratify the RAA"]
    data["participants"] = [*data["participants"], str(_actor_pk("FR"))]
    editor_client.post(admin_url(Development, "change", raa.pk), data)
    proposal = Proposal.objects.pending().get()

    page = reviewer_client.get(admin_url(Proposal, "change", proposal.pk)).content.decode()
    assert "Before (published)" in page and "ratify the RAA" in page and "Actor FR" in page
    assert decide(reviewer_client, proposal, "approve").status_code == 302

    raa.refresh_from_db()
    assert raa.title == "Japan and the UK ratify the RAA"
    assert "FR" in raa.actors.values_list("code", flat=True)
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reviewed_by, proposal.review_reason) == (
        "approved",
        reviewer,
        "Checked against the source.",
    )
    latest = raa.history.latest()
    assert latest.history_user == reviewer
    assert f"Proposal {proposal.pk} by {editor}" in latest.history_change_reason
    assert raa.history.earliest().title != raa.title  # the old version is kept


def test_the_proposer_cannot_approve_their_own_change(seed, editor_client):
    raa = Development.objects.get(key=RAA)
    data = change_form(editor_client, raa)
    data["title"] = ["Mine"]
    editor_client.post(admin_url(Development, "change", raa.pk), data)
    proposal = Proposal.objects.pending().get()
    page = editor_client.get(admin_url(Proposal, "change", proposal.pk)).content.decode()
    assert "You proposed this change" in page and "_approve" not in page
    response = decide(editor_client, proposal, "approve")
    assert "another editor must review it" in response.content.decode()
    assert live_title() != "Mine"
    assert Proposal.objects.get().state == "pending"


def test_a_rejected_change_never_goes_live(seed, editor_client, reviewer_client):
    raa = Development.objects.get(key=RAA)
    data = change_form(editor_client, raa)
    data["title"] = ["Wrong"]
    editor_client.post(admin_url(Development, "change", raa.pk), data)
    proposal = Proposal.objects.pending().get()
    assert "Give a reason" in decide(reviewer_client, proposal, "reject", " ").content.decode()
    assert decide(reviewer_client, proposal, "reject", "Not in the source.").status_code == 302
    assert live_title() == raa.title
    assert Proposal.objects.get().state == "rejected"


def test_a_proposal_overtaken_by_another_approved_change_is_refused(seed, editor, reviewer):
    raa = Development.objects.get(key=RAA)
    record = review.development_record(raa)
    first = review.propose_development(raa, {**record, "title": "First"}, editor, "a test")
    second = review.propose_development(raa, {**record, "title": "Second"}, editor, "a test")
    review.approve(first, reviewer, "Fine.")
    with pytest.raises(review.ReviewError, match="changed since this was proposed"):
        review.approve(second, reviewer, "Fine too.")
    assert live_title() == "First"


def test_deleting_a_published_development_waits_for_review(seed, editor_client, reviewer):
    raa = Development.objects.get(key=RAA)
    response = editor_client.post(admin_url(Development, "delete", raa.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Development.objects.filter(pk=raa.pk).exists()
    proposal = Proposal.objects.pending().get()
    assert proposal.action == "delete"
    review.approve(proposal, reviewer, "A duplicate.")
    assert not Development.objects.filter(pk=raa.pk).exists()
    proposal.refresh_from_db()
    assert proposal.state == "approved" and proposal.development is None


def test_an_editors_restore_brings_a_development_back_as_a_draft(seed, editor_client, admin_user):
    raa = Development.objects.get(key=RAA)
    pk = raa.pk
    raa.delete()
    record = Development.history.filter(id=pk, history_type="-").get()
    url = reverse("admin:tracker_development_deleted")
    assert editor_client.post(url, {"history_id": record.history_id}).status_code == 302
    restored = Development.objects.get(pk=pk)
    assert not restored.published
    assert editor_client.post(url, {"history_id": "9" * 30}).status_code == 200


def test_the_bulk_delete_action_deletes_drafts_and_proposes_the_rest(seed, editor_client, editor):
    raa = Development.objects.get(key=RAA)
    draft = Development.objects.exclude(pk=raa.pk).first()
    Development.objects.filter(pk=draft.pk).update(published=False, drafted_by=editor)
    response = editor_client.post(
        admin_url(Development, "changelist"),
        {"action": "delete_selected", "_selected_action": [raa.pk, draft.pk], "post": "yes"},
        follow=True,
    )
    assert "1 change(s) wait for review" in response.content.decode()
    assert not Development.objects.filter(pk=draft.pk).exists()
    assert Development.objects.filter(pk=raa.pk).exists()
    assert Proposal.objects.pending().get().action == "delete"


def test_an_evidence_link_changed_on_its_own_page_is_a_proposed_change(
    seed, editor_client, reviewer
):
    evidence = Evidence.objects.get(development__key=RAA)
    url = admin_url(Evidence, "change", evidence.pk)
    response = editor_client.post(
        url,
        {
            "recommendation": evidence.recommendation_id,
            "stance": "hinders",
            "strength": "1",
            "rationale": "Recoded.",
        },
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.stance == "advances"
    proposal = Proposal.objects.pending().get()
    assert proposal.development == evidence.development
    review.approve(proposal, reviewer, "Agreed.")
    evidence.refresh_from_db()
    assert (evidence.stance, evidence.strength, evidence.rationale) == ("hinders", 1, "Recoded.")
    assert evidence.history.latest().history_type == "~"  # the same link, changed


def test_deleting_a_citation_of_a_published_development_is_a_proposed_change(seed, editor_client):
    citation = Citation.objects.filter(development__key=RAA).first()
    response = editor_client.post(admin_url(Citation, "delete", citation.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Citation.objects.filter(pk=citation.pk).exists()
    after = Proposal.objects.pending().get().after
    assert citation.source.key not in [c["source"] for c in after["citations"]]


def test_bulk_linking_proposes_for_published_developments_and_links_drafts_with_history(
    seed, editor_client, editor, reviewer
):
    raa = Development.objects.get(key=RAA)
    draft = Development.objects.exclude(evidence__recommendation__code="TSU-1").first()
    Development.objects.filter(pk=draft.pk).update(published=False)
    tsu1 = Recommendation.objects.get(code="TSU-1")
    assert not raa.evidence.filter(recommendation=tsu1).exists()
    editor_client.post(
        admin_url(Development, "changelist"),
        {
            "action": "link_to_recommendation",
            "_selected_action": [raa.pk, draft.pk],
            "apply": "1",
            "recommendation": tsu1.pk,
            "stance": "advances",
            "strength": "2",
            "rationale": "Talks of ideas.",
        },
    )
    assert not raa.evidence.filter(recommendation=tsu1).exists()
    linked = draft.evidence.get(recommendation=tsu1)
    assert linked.history.get().history_change_reason == "Linked by the bulk action"
    draft.refresh_from_db()
    assert draft.drafted_by == editor
    proposal = Proposal.objects.pending().get()
    review.approve(proposal, reviewer, "Yes.")
    assert raa.evidence.filter(recommendation=tsu1).exists()


def test_an_assessment_change_waits_for_review(seed, editor_client, reviewer):
    assessment = Assessment.objects.get(recommendation__code="TSU-1")
    response = editor_client.post(
        admin_url(Assessment, "change", assessment.pk),
        {
            "recommendation": assessment.recommendation_id,
            "assessed_on": assessment.assessed_on.isoformat(),
            "status": "stalled",
            "reason": "not_prioritised",
            "rationale": "Nothing since.",
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status != "stalled"
    proposal = Proposal.objects.pending().get()
    assert proposal.kind == "assessment"
    review.approve(proposal, reviewer, "Right.")
    assessment.refresh_from_db()
    assert (assessment.status, assessment.reason) == ("stalled", "not_prioritised")


def test_reverting_a_published_development_is_a_proposal(seed, editor_client, reviewer):
    raa = Development.objects.get(key=RAA)
    original = raa.title
    raa.title = "Edited by an administrator"
    raa.save()
    first = raa.history.order_by("history_date").first()
    url = reverse("admin:tracker_development_simple_history", args=[raa.pk, first.history_id])
    from tests.test_admin_write_sweep import replayed_form

    assert editor_client.post(url, replayed_form(editor_client, url)).status_code == 302
    assert live_title() == "Edited by an administrator"
    proposal = Proposal.objects.pending().get()
    assert proposal.via == "a revert to an earlier version"
    review.approve(proposal, reviewer, "Back to the source's wording.")
    assert live_title() == original


def test_whoever_last_wrote_a_draft_cannot_publish_it(seed, editor_client, reviewer_client):
    raa = Development.objects.get(key=RAA)
    Development.objects.filter(pk=raa.pk).update(published=False)
    data = change_form(reviewer_client, raa)
    data["title"] = ["Rewritten by the reviewer"]
    assert reviewer_client.post(admin_url(Development, "change", raa.pk), data).status_code == 302
    assert live_title() == "Rewritten by the reviewer"  # a draft: written at once
    publish = {"action": "publish", "_selected_action": [raa.pk]}
    reviewer_client.post(admin_url(Development, "changelist"), publish)
    assert not Development.objects.get(pk=raa.pk).published
    editor_client.post(admin_url(Development, "changelist"), publish)
    assert Development.objects.get(pk=raa.pk).published


def test_administrators_changes_go_live_at_once(seed, admin_client):
    raa = Development.objects.get(key=RAA)
    data = change_form(admin_client, raa)
    data["title"] = ["Changed by an administrator"]
    assert admin_client.post(admin_url(Development, "change", raa.pk), data).status_code == 302
    assert live_title() == "Changed by an administrator"
    assert not Proposal.objects.exists()


def test_the_review_queue_counts_what_waits_per_kind(seed, editor, reviewer_client):
    raa = Development.objects.get(key=RAA)
    review.propose_development(raa, None, editor, "a test")
    Assessment.objects.filter(recommendation__code="TSU-2").update(published=False)
    page = reviewer_client.get(admin_url(Proposal, "changelist"))
    counts = {label: count for label, count, _ in page.context["waiting_counts"]}
    assert counts == {
        "Changes to developments": 1,
        "Changes to assessments": 0,
        "Draft developments": 0,
        "Draft assessments": 1,
    }
    assert [p.subject for p in page.context["cl"].result_list] == [str(raa)]


def test_the_edit_token_cannot_be_left_out(seed, admin_client):
    raa = Development.objects.get(key=RAA)
    data = change_form(admin_client, raa)
    data["title"] = ["Sneaked in"]
    del data["loaded_at"]
    response = admin_client.post(admin_url(Development, "change", raa.pk), data)
    assert response.status_code == 200
    assert "without the time it was opened" in response.content.decode()
    assert live_title() != "Sneaked in"


def test_analysts_see_no_proposal(seed, editor, analyst_client):
    review.propose_development(Development.objects.get(key=RAA), None, editor, "a test")
    assert analyst_client.get(admin_url(Proposal, "changelist")).status_code == 403


def _actor_pk(code):
    from tracker.models import Actor

    return Actor.objects.get(code=code).pk


def test_sources_keep_their_keys_in_proposals(seed, editor):
    raa = Development.objects.get(key=RAA)
    record = review.development_record(raa)
    keys = {c["source"] for c in record["citations"]}
    assert keys <= set(Source.objects.values_list("key", flat=True))


def test_reverting_to_a_version_from_before_publication_is_a_proposal_not_an_unpublish(
    seed, editor_client, editor, reviewer
):
    """Found by the red team: the draft version's own 'published' flag decided."""
    raa = Development.objects.get(key=RAA)
    Development.objects.filter(pk=raa.pk).update(published=False)
    raa.refresh_from_db()
    raa.title = "Draft wording"
    raa.save()  # a version from before publication
    draft_version = raa.history.latest()
    raa.published, raa.title = True, "Published wording"
    raa.save()
    url = reverse("admin:tracker_development_simple_history", args=[raa.pk, draft_version.pk])
    from tests.test_admin_write_sweep import replayed_form

    assert editor_client.post(url, replayed_form(editor_client, url)).status_code == 302
    raa.refresh_from_db()
    assert (raa.published, raa.title) == (True, "Published wording")
    proposal = Proposal.objects.pending().get()
    review.approve(proposal, reviewer, "The draft wording was better.")
    raa.refresh_from_db()
    assert (raa.published, raa.title) == (True, "Draft wording")  # still published


def test_a_deleted_development_is_restored_not_reverted(seed, editor_client):
    raa = Development.objects.get(key=RAA)
    pk = raa.pk
    version = raa.history.latest()
    raa.delete()
    url = reverse("admin:tracker_development_simple_history", args=[pk, version.pk])
    data = {"title": "Back", "loaded_at": "2026-01-01 00:00:00", "_save": "Save"}
    assert editor_client.post(url, data).status_code == 403
    assert not Development.objects.filter(pk=pk).exists()


@pytest.mark.parametrize("bad", ["abc", "1x", "9" * 30])
def test_ids_that_cannot_be_rows_are_refused_without_an_error(seed, editor_client, bad):
    assert editor_client.get(f"/admin/tracker/proposal/{bad}/change/").status_code == 404
    for model, action in ((Development, "publish"), (Evidence, "delete_selected")):
        response = editor_client.post(
            admin_url(model, "changelist"),
            {"action": action, "_selected_action": [bad], "post": "yes"},
        )
        assert response.status_code in (200, 302), (model, action)


def _exported_raa(title: str) -> bytes:
    """The RAA development in the import format, with a new title."""
    import io as stdio

    from tracker.interchange import export_developments

    out = stdio.StringIO()
    export_developments(out, "csv", Development.objects.filter(key=RAA))
    raa = Development.objects.get(key=RAA)
    return out.getvalue().replace(raa.title, title).encode()


def test_an_editors_upload_that_updates_a_published_development_is_a_proposal(
    seed, editor_client, reviewer
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:tracker_development_import")
    upload = SimpleUploadedFile("raa.csv", _exported_raa("Renamed by upload"))
    preview = editor_client.post(url, {"file": upload})
    report = preview.context["report"]
    assert (report.updated, report.proposed) == (0, 1)
    assert "proposed for review" in preview.content.decode()
    confirm = editor_client.post(
        url, {"confirm": "1", "pending": preview.context["pending"].pk}, follow=True
    )
    assert "1 were proposed for review" in confirm.content.decode()
    assert live_title() != "Renamed by upload"
    proposal = Proposal.objects.pending().get()
    assert [d.what for d in review.differences(proposal)] == ["Title"]
    review.approve(proposal, reviewer, "The file is right.")
    assert live_title() == "Renamed by upload"


def test_an_editors_upload_that_rewrites_a_draft_makes_them_its_author(seed, editor, reviewer):
    import io as stdio

    from tracker.interchange import import_developments

    Development.objects.filter(key=RAA).update(published=False, drafted_by=editor)
    report = import_developments(
        stdio.BytesIO(_exported_raa("Rewritten by the reviewer")),
        "csv",
        created_by=reviewer,
        publish=False,
    )
    assert (report.updated, report.proposed) == (1, 0)
    raa = Development.objects.get(key=RAA)
    assert (raa.title, raa.drafted_by) == ("Rewritten by the reviewer", reviewer)
    assert not raa.can_be_published_by(reviewer)
    assert raa.can_be_published_by(editor)


def test_command_line_imports_update_published_developments_at_once(seed):
    import io as stdio

    from tracker.interchange import import_developments

    report = import_developments(stdio.BytesIO(_exported_raa("From the command line")), "csv")
    assert (report.updated, report.proposed) == (1, 0)
    assert live_title() == "From the command line"
    assert not Proposal.objects.exists()
