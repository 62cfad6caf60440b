"""The corrections log: every change to a published judgement, with its reason, on
/changes/ and its feed."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from tests.factories import make_development, make_evidence
from tests.test_admin import admin_url
from tests.test_admin_write_sweep import replayed_form
from tests.test_review_changes import RAA, change_form
from tests.test_review_changes import reviewer as reviewer  # a fixture
from tracker import corrections, review
from tracker.interchange import export_developments, import_developments
from tracker.models import (
    Assessment,
    Correction,
    Development,
    Evidence,
    Proposal,
    Recommendation,
)

pytestmark = pytest.mark.django_db

LINK = {"recommendation": "TSU-2", "stance": "advances", "strength": 3, "rationale": "Why."}


def development(*links, title="The RAA") -> dict:
    return {"title": title, "evidence": [{"confidence": "medium", **link} for link in links]}


def assessment(status="in_progress", reason="", **fields) -> dict:
    return {
        "recommendation": "TSU-1",
        "assessed_on": "2024-03-01",
        "status": status,
        "reason": reason,
        "rationale": "As seen.",
        **fields,
    }


# --- What a correction is ----------------------------------------------------------------


def test_a_recoded_link_is_one_correction_with_its_coding_before_and_after():
    (found,) = corrections.changes(
        development(LINK), development({**LINK, "strength": 2, "confidence": "low"})
    )
    assert (found.kind, found.recommendation, found.subject) == ("recoded", "TSU-2", "The RAA")
    assert found.before == {"stance": "advances", "strength": 3, "confidence": "medium"}
    assert found.after == {"stance": "advances", "strength": 2, "confidence": "low"}
    assert corrections.describe(found.before, found.after) == (
        "strength 3 → 2; confidence Medium → Low"
    )


def test_links_added_and_removed_are_corrections_and_a_deletion_withdraws_them():
    other = {**LINK, "recommendation": "TSU-3"}
    found = corrections.changes(development(LINK), development(other))
    assert [(c.kind, c.recommendation) for c in found] == [
        ("removed", "TSU-2"),
        ("added", "TSU-3"),
    ]
    assert found[1].before is None and found[0].after is None
    assert corrections.describe(None, found[1].after).startswith("— → stance Advances")
    (withdrawn,) = corrections.changes(development(LINK), None)
    assert (withdrawn.kind, withdrawn.after) == ("withdrawn", None)


def test_a_rationale_or_title_changed_alone_is_not_a_correction():
    after = development({**LINK, "rationale": "Better put."}, title="The RAA, retitled")
    assert corrections.changes(development(LINK), after) == []
    assert corrections.changes(assessment(), assessment(rationale="Better put.")) == []


def test_an_assessments_status_change_is_a_correction():
    (found,) = corrections.changes(assessment(), assessment("stalled", "not_prioritised"))
    assert (found.kind, found.recommendation) == ("status", "TSU-1")
    assert found.subject == "assessment of 1 March 2024"
    assert corrections.describe(found.before, found.after) == (
        "status In progress → Stalled; reason — → Not prioritised"
    )


# --- Who writes them ---------------------------------------------------------------------


def test_an_approved_proposal_logs_its_corrections_with_the_reviewers_reason(
    seed, editor_client, editor, reviewer
):
    raa = Development.objects.get(key=RAA)
    data = change_form(editor_client, raa)
    data["evidence-0-strength"] = ["1"]
    editor_client.post(admin_url(Development, "change", raa.pk), data)
    proposal = Proposal.objects.pending().get()
    assert not Correction.objects.exists()  # not live yet

    review.approve(proposal, reviewer, "The source says it was a draft.")
    correction = Correction.objects.get()
    assert (correction.kind, correction.recommendation.code) == ("recoded", "TSU-2")
    assert (correction.before["strength"], correction.after["strength"]) == (3, 1)
    assert correction.reason == "The source says it was a draft."
    assert (correction.made_by, correction.approved_by) == (editor, reviewer)
    assert (correction.proposal, correction.development) == (proposal, raa)


def test_approval_needs_a_reason(seed, editor_client, reviewer):
    raa = Development.objects.get(key=RAA)
    data = change_form(editor_client, raa)
    data["evidence-0-strength"] = ["1"]
    editor_client.post(admin_url(Development, "change", raa.pk), data)
    with pytest.raises(review.ReviewError, match="Give a reason"):
        review.approve(Proposal.objects.get(), reviewer, "  ")
    assert not Correction.objects.exists()


def test_an_administrators_recoding_needs_a_reason_and_is_logged(seed, admin_client):
    raa = Development.objects.get(key=RAA)
    data = change_form(admin_client, raa)
    assert "change_reason" in data  # the form asks for it
    data["evidence-0-strength"] = ["1"]
    url = admin_url(Development, "change", raa.pk)

    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert "TSU-2 link recoded" in errors["change_reason"][0]
    assert Evidence.objects.get(development=raa).strength == 3  # nothing saved
    assert not Correction.objects.exists()

    data["change_reason"] = ["Coded too high: the agreement is not yet in force."]
    assert admin_client.post(url, data).status_code == 302
    correction = Correction.objects.get()
    assert correction.reason == "Coded too high: the agreement is not yet in force."
    assert correction.made_by.username == "admin" and correction.approved_by is None
    assert Evidence.objects.get(development=raa).strength == 1


def test_an_administrators_edit_of_a_rationale_needs_no_reason(seed, admin_client):
    raa = Development.objects.get(key=RAA)
    data = change_form(admin_client, raa)
    data["evidence-0-rationale"] = ["Put better."]
    assert admin_client.post(admin_url(Development, "change", raa.pk), data).status_code == 302
    assert not Correction.objects.exists()


def test_an_evidence_links_own_page_logs_its_recoding(seed, admin_client):
    link = Evidence.objects.get(development__key=RAA)
    url = admin_url(Evidence, "change", link.pk)
    data = replayed_form(admin_client, url)
    data.update(stance=["hinders"], change_reason=["Misread the source."])
    assert admin_client.post(url, data).status_code == 302
    assert Correction.objects.get().after["stance"] == "hinders"


def test_a_link_added_to_and_removed_from_a_published_development_is_logged(seed, admin_client):
    raa = Development.objects.get(key=RAA)
    link = Evidence.objects.get(development=raa)
    tsu3 = link.recommendation.framework.recommendations.get(code="TSU-3")
    response = admin_client.post(
        admin_url(Evidence, "add"),
        {
            "development": raa.pk,
            "recommendation": tsu3.pk,
            "stance": "advances",
            "strength": "2",
            "confidence": "medium",
            "rationale": "Also this one.",
            "change_reason": "Missed at first.",
        },
    )
    assert response.status_code == 302
    assert Correction.objects.get().kind == "added"

    delete = admin_url(Evidence, "delete", link.pk)
    assert 'name="change_reason"' in admin_client.get(delete).content.decode()
    refused = admin_client.post(delete, {"post": "yes"}, follow=True)
    assert "Say why" in refused.content.decode()
    assert Evidence.objects.filter(pk=link.pk).exists()  # nothing deleted without a reason
    admin_client.post(delete, {"post": "yes", "change_reason": "Coded twice."})
    removed = Correction.objects.filter(kind="removed").get()
    assert (removed.recommendation, removed.development) == (link.recommendation, raa)
    assert removed.reason == "Coded twice."


def test_an_administrators_bulk_delete_of_published_links_asks_why(seed, admin_client):
    links = list(Evidence.objects.filter(recommendation__code="TSU-2")[:2])
    changelist = admin_url(Evidence, "changelist")
    data = {"action": "delete_selected", "_selected_action": [str(e.pk) for e in links]}
    confirm = admin_client.post(changelist, data).content.decode()
    assert 'name="change_reason"' in confirm
    refused = admin_client.post(changelist, {**data, "post": "yes"}).content.decode()
    assert 'name="change_reason"' in refused and "Say why" in refused
    assert Evidence.objects.filter(pk__in=[e.pk for e in links]).count() == 2
    admin_client.post(changelist, {**data, "post": "yes", "change_reason": "Duplicates."})
    assert not Evidence.objects.filter(pk__in=[e.pk for e in links]).exists()
    assert set(Correction.objects.values_list("reason", flat=True)) == {"Duplicates."}


def test_deleting_a_draft_asks_no_reason(seed, admin_client):
    draft = make_development(published=False)
    link = make_evidence(draft, Recommendation.objects.get(code="TSU-1"))
    page = admin_client.get(admin_url(Evidence, "delete", link.pk)).content.decode()
    assert 'name="change_reason"' not in page
    admin_client.post(admin_url(Evidence, "delete", link.pk), {"post": "yes"})
    assert not Evidence.objects.filter(pk=link.pk).exists()
    assert not Correction.objects.exists()


def test_edits_to_drafts_are_not_logged(seed, admin_client):
    raa = Development.objects.get(key=RAA)
    Development.objects.filter(pk=raa.pk).update(published=False)
    data = change_form(admin_client, raa)
    assert "change_reason" not in data
    data["evidence-0-strength"] = ["1"]
    assert admin_client.post(admin_url(Development, "change", raa.pk), data).status_code == 302
    assert not Correction.objects.exists()


def test_an_administrators_status_change_is_logged(seed, admin_client):
    item = Assessment.objects.published().get(recommendation__code="TSU-1")
    response = admin_client.post(
        admin_url(Assessment, "change", item.pk),
        {
            "recommendation": item.recommendation_id,
            "assessed_on": item.assessed_on.isoformat(),
            "status": "stalled",
            "reason": "not_prioritised",
            "rationale": "Nothing since.",
            "change_reason": "New statements from both governments.",
        },
    )
    assert response.status_code == 302
    correction = Correction.objects.get()
    assert (correction.kind, correction.assessment) == ("status", item)
    assert correction.after == {"status": "stalled", "reason": "not_prioritised"}


def test_a_publishing_import_that_recodes_a_published_link_is_logged(seed, admin_user):
    out = io.StringIO()
    export_developments(out, "json", Development.objects.filter(key=RAA))
    records = json.loads(out.getvalue())
    records[0]["evidence"][0]["confidence"] = "low"
    report = import_developments(
        io.BytesIO(json.dumps(records).encode()),
        "json",
        created_by=admin_user,
        reason="Imported from recodes.json",
    )
    assert report.ok and report.updated == 1, report.errors
    correction = Correction.objects.get()
    assert (correction.kind, correction.after["confidence"]) == ("recoded", "low")
    assert (correction.reason, correction.made_by) == ("Imported from recodes.json", admin_user)


# --- Reading them ------------------------------------------------------------------------


def test_the_log_filters_by_recommendation_and_the_feed_lists_the_same(seed, reader, admin_user):
    raa = Development.objects.get(key=RAA)
    before = review.development_record(raa)
    after = {**before, "evidence": [{**before["evidence"][0], "strength": 1}]}
    corrections.record(
        corrections.changes(before, after),
        reason="Coded <too> high.",
        made_by=admin_user,
        development_id=raa.pk,
    )
    item = Assessment.objects.published().get(recommendation__code="TSU-1")
    record = review.assessment_record(item)
    corrections.record(
        corrections.changes(record, {**record, "status": "implemented"}),
        reason="Done.",
        made_by=admin_user,
        assessment_id=item.pk,
    )

    page = reader.get(reverse("tracker:changes")).content.decode()
    assert "Corrections 1–2 of 2" in page
    assert "strength 3 → 1" in page and "Coded &lt;too&gt; high." in page
    filtered = reader.get(reverse("tracker:changes") + "?recommendation=TSU-2").content.decode()
    assert "Corrections 1–1 of 1" in filtered and raa.title in filtered and "Done." not in filtered
    feed = reader.get(reverse("tracker:changes-feed") + "?recommendation=TSU-2").content.decode()
    assert feed.count("<entry>") == 1 and "strength 3 → 1" in feed and "Done." not in feed
    assert reader.get(reverse("tracker:changes-feed") + "?recommendation=NOPE").status_code == 404
    bad = reader.get(reverse("tracker:changes") + "?recommendation=NOPE").content.decode()
    assert "No recommendation has that code." in bad


def test_an_empty_log_says_so(seed, reader):
    page = reader.get(reverse("tracker:changes")).content.decode()
    assert "No published judgement has been changed yet" in page


def test_a_correction_needs_a_reason_in_the_database(seed, admin_user):
    from django.db import IntegrityError

    raa = Development.objects.get(key=RAA)
    with pytest.raises(IntegrityError):
        Correction.objects.create(
            kind="recoded", recommendation=raa.evidence.get().recommendation, subject="x"
        )


def test_a_given_assessment_is_changed_on_its_own_page_not_in_the_recommendation_inline(
    admin_client, seed
):
    """The recommendation page adds judgements; changing one goes where it is logged."""
    from tests.test_admin_write_sweep import replayed_form
    from tracker.models import Assessment, Recommendation

    recommendation = Recommendation.objects.get(code="TSU-2")
    assessment = recommendation.assessments.get()
    url = reverse("admin:tracker_recommendation_change", args=[recommendation.pk])
    page = admin_client.get(url).content.decode()
    assert reverse("admin:tracker_assessment_change", args=[assessment.pk]) in page
    data = replayed_form(admin_client, url)
    prefix = next(name for name in data if name.endswith("-TOTAL_FORMS")).split("-")[0]
    assert f"{prefix}-0-status" not in data  # the given judgement is read-only here
    assert f"{prefix}-1-status" in data  # the empty row adds a new one
    data.update({f"{prefix}-0-id": str(assessment.pk), f"{prefix}-0-status": "stalled"})
    admin_client.post(url, data)
    assert Assessment.objects.get(pk=assessment.pk).status == assessment.status
    assert not Correction.objects.exists()
