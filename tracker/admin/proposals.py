"""Review in the admin: what readers see, how an editor's change waits, the queue.

- `ReadersSeePublished`: whoever may not change a model sees in the admin only
  what passed review, as on the report pages (lists, forms, inlines, history,
  autocomplete all read through `get_queryset`).
- `ReviewedHistory`: django-simple-history's pages under the same rule; a revert
  runs in a transaction (its edit-conflict check locks the row) and, by an editor,
  becomes a proposal like any other change.
- `ReviewsChanges`: an editor's change to a published record (form, inline,
  revert, delete, bulk delete) is kept as a `Proposal`; the live row stays. An
  administrator's goes live, and if it changes a published judgement it needs a
  reason and goes in the corrections log (tracker/corrections.py).
- `ProposalAdmin`: the review queue, with counts per kind, each proposal's
  difference field by field and link by link, and approve or reject with a reason.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from tracker import corrections, review
from tracker.admin_site import BaseModelAdminMixin, ModelAdminMixin, could_be_id
from tracker.models import Assessment, Development, Proposal

# Set on the request while an editor's change is kept as a proposal.
PROPOSING = "tracker_proposing"
# Set on the request: the published record as it stood before an administrator's
# change went live; the judgements a change without a reason would have changed.
BEFORE = "tracker_before"
NEEDS_REASON = "tracker_needs_reason"
# The change form's field for the corrections log's reason.
REASON_FIELD = "change_reason"
# What review decides, which no form (nor an old version) changes.
REVIEW_STATE = ("published", "published_at", "published_by_id", "created_by_id")


class ReadersSeePublished(BaseModelAdminMixin):
    """Who may not change a model sees only the records that passed review."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "published") and not self.has_change_permission(request):
            return queryset.published()
        return queryset


class ReviewedHistory(ReadersSeePublished, SimpleHistoryAdmin):
    """History pages show readers only published records and their published versions."""

    def _check_visible(self, request, object_id):
        readers_queryset = (
            None if self.has_change_permission(request) else self.get_queryset(request)
        )
        if readers_queryset is None:
            return
        try:
            visible = readers_queryset.filter(pk=object_id).exists()
        except (ValueError, ValidationError, OverflowError):
            visible = False
        if not visible:
            raise Http404("No such record.")

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if not self.has_change_permission(request) and hasattr(self.model, "published"):
            records = records.filter(published=True)
        return records

    def history_view(self, request, object_id, extra_context=None):
        self._check_visible(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_visible(request, unquote(object_id))
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            live = self.get_queryset(request).filter(pk=unquote(object_id))
            if not could_be_id(unquote(object_id)) or not live.exists():
                # Bringing a deleted record back is a restore (with its links, and as
                # a draft when an editor does it), not a revert.
                raise PermissionDenied("This record was deleted: restore it instead.")
            setattr(request, PROPOSING + "_via", "a revert to an earlier version")
        with transaction.atomic():  # the edit-conflict check locks the row
            return super().history_form_view(request, object_id, version_id, extra_context)


class ReasonMissing(Exception):
    """An administrator's change to a published judgement came without a reason."""

    def __init__(self, found: list[corrections.Change]):
        super().__init__("A change to a published judgement needs a reason.")
        self.found = found


def _missing_reason_message(found: list[corrections.Change]) -> str:
    changed = "; ".join(f"{change.recommendation} {change.label}" for change in found)
    return (
        f"This changes published judgements ({changed}): say why. The reason is shown "
        "with the change in the corrections log."
    )


def _changelist_message(count: int) -> str:
    return (
        f"{count} change(s) wait for review by another editor or an administrator: "
        "the live records stay as they are until then."
    )


class ReviewsChanges(ModelAdminMixin):
    """An editor's change to a published record is kept for review, not written.

    A subclass says what its records change (`review_target`, `proposed_record`,
    `record_without`); drafts and administrators' changes are written at once.
    """

    # Whether a change here can change a published judgement (an evidence link's
    # coding, an assessment's status), and on the add page too (a new link).
    corrects_judgements = False
    corrects_judgements_on_add = False

    def review_target(self, obj):
        """The published record a change to `obj` changes (the development of a link)."""
        return obj

    def proposed_record(self, request, obj, form, formsets) -> dict:
        raise NotImplementedError

    def record_without(self, obj) -> dict | None:
        """The target's record once `obj` is deleted; None deletes the target itself."""
        return None

    def propose(self, target, after, user, via):
        if isinstance(target, Assessment):
            return review.propose_assessment(target, after, user, via)
        return review.propose_development(target, after, user, via)

    def _proposes(self, request, obj) -> bool:
        target = self.review_target(obj)
        return target.pk is not None and review.proposes(request.user, target)

    def _keep(self, request, obj, after, via):
        try:
            proposal = self.propose(self.review_target(obj), after, request.user, via)
        except review.ReviewError:
            proposal = None  # nothing changed
        getattr(request, PROPOSING).append(proposal)

    def note_draft_author(self, request, obj):
        """Whoever writes a draft becomes its author: they may not publish it."""
        target = self.review_target(obj)
        if getattr(target, "published", True) or request.user.is_superuser:
            return
        if target is obj:
            obj.drafted_by = request.user
        else:
            type(target).objects.filter(pk=target.pk).update(drafted_by=request.user)

    # The corrections log: an administrator's change to a published judgement.

    def _asks_reason(self, request, obj) -> bool:
        """Whether the form asks why: the user's change goes live, and changes (or, on
        a link's add page, may change) a published development or assessment."""
        if not self.corrects_judgements or not request.user.is_superuser:
            return False
        if obj is None:
            return self.corrects_judgements_on_add
        return bool(getattr(self.review_target(obj), "published", False))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._asks_reason(request, obj):
            return fieldsets
        return [*fieldsets, ("Reason for this change", {"fields": (REASON_FIELD,)})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self._asks_reason(request, obj):
            found = getattr(request, NEEDS_REASON, None)
            base = kwargs.get("form", self.form)
            reason = forms.CharField(
                label="Reason for this change",
                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                max_length=2000,
                required=found is not None,
                error_messages={"required": _missing_reason_message(found or [])},
                help_text="Required when you change a published judgement: an evidence "
                "link's stance, strength or confidence, a link added or removed, an "
                "assessment's status. Readers see it in the corrections log.",
            )
            kwargs["form"] = type(base.__name__, (base,), {REASON_FIELD: reason})
        return super().get_form(request, obj, change, **kwargs)

    def _judgement_record(self, target) -> dict:
        if isinstance(target, Assessment):
            return review.assessment_record(target)
        return review.development_record(target)

    def _published_target(self, obj):
        if not self.corrects_judgements:
            return None
        target = self.review_target(obj)
        if target.pk is None:
            return None
        return type(target).objects.filter(pk=target.pk, published=True).first()

    def _remember_before(self, request, obj) -> None:
        live = self._published_target(obj)
        if live is not None:
            setattr(request, BEFORE, (live, self._judgement_record(live)))

    def _write_corrections(self, request, live, found, reason: str) -> None:
        corrections.record(
            found,
            reason=reason,
            made_by=request.user,
            development_id=live.pk if isinstance(live, Development) else None,
            assessment_id=live.pk if isinstance(live, Assessment) else None,
        )

    def _log_corrections(self, request, form) -> None:
        """Once the change is written: log the judgements it changed, with its reason,
        or (none given) undo it all and ask for one (see changeform_view)."""
        remembered = getattr(request, BEFORE, None)
        if remembered is None:
            return
        live, before = remembered
        after = self._judgement_record(type(live).objects.get(pk=live.pk))
        found = corrections.changes(before, after)
        if not found:
            return
        reason = (form.cleaned_data.get(REASON_FIELD) or "").strip()
        if not reason:
            raise ReasonMissing(found)
        self._write_corrections(request, live, found, reason)

    def _log_deletion(self, request, obj) -> None:
        """Before a published record (or a link of one) is deleted: log the judgements
        it takes away, with the reason the confirmation page asked for."""
        live = self._published_target(obj)
        if live is None:
            return
        after = None if self.review_target(obj) is obj else self.record_without(obj)
        found = corrections.changes(self._judgement_record(live), after)
        reason = (request.POST.get(REASON_FIELD) or "").strip()
        # The confirmation pages ask for the reason; a deletion made some other way
        # (a script calling the admin) is still logged, saying who made it.
        self._write_corrections(
            request, live, found, reason or f"Deleted in the admin by {request.user}"
        )

    def _again_with_reason(self, request, view, *args):
        """Run a form view; if it changed a published judgement without a reason,
        its writes are rolled back: run it again, the reason now required."""
        try:
            return view(request, *args)
        except ReasonMissing as missing:
            for name in (BEFORE, PROPOSING, PROPOSING + "_via"):
                if hasattr(request, name):
                    delattr(request, name)
            setattr(request, NEEDS_REASON, missing.found)
            return view(request, *args)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return self._again_with_reason(request, view, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        view = super().history_form_view  # type: ignore[misc]
        return self._again_with_reason(request, view, object_id, version_id, extra_context)

    # The change form (and inlines, and the revert page).

    def save_model(self, request, obj, form, change):
        if (change or self.review_target(obj) is not obj) and self._proposes(request, obj):
            setattr(request, PROPOSING, [])
            via = getattr(request, PROPOSING + "_via", None)
            if via:  # a revert: no inlines follow
                self._keep(request, obj, self.proposed_record(request, obj, form, ()), via)
            return
        if change and hasattr(obj, "published"):
            # Review state is never a form's to change (a revert holds an old version's).
            live = type(obj).objects.filter(pk=obj.pk).values(*REVIEW_STATE).first() or {}
            for name, value in live.items():
                setattr(obj, name, value)
        self.note_draft_author(request, obj)
        if change or self.review_target(obj) is not obj:
            self._remember_before(request, obj)
        super().save_model(request, obj, form, change)
        if getattr(request, PROPOSING + "_via", None):  # a revert: no inlines follow
            self._log_corrections(request, form)

    def save_related(self, request, form, formsets, change):
        if not hasattr(request, PROPOSING):
            saved = super().save_related(request, form, formsets, change)
            self._log_corrections(request, form)
            return saved
        if not getattr(request, PROPOSING):
            after = self.proposed_record(request, form.instance, form, formsets)
            self._keep(request, form.instance, after, "the admin form")
        return None

    def construct_change_message(self, request, form, formsets, add=False):
        if hasattr(request, PROPOSING):
            return ""  # nothing was saved, so there is nothing to log
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request, obj, message):
        if not hasattr(request, PROPOSING):
            return super().log_change(request, obj, message)
        return None

    def log_addition(self, request, obj, message):
        if not hasattr(request, PROPOSING):
            return super().log_addition(request, obj, message)
        return None

    def _proposal_response(self, request, obj):
        proposal = getattr(request, PROPOSING)[0]
        if proposal is None:
            self.message_user(request, "Nothing was changed.", messages.INFO)
            return redirect(request.path)
        self.message_user(
            request,
            format_html(
                "Your change waits for review by another editor or an administrator "
                '(<a href="{}">proposal {}</a>); the published version stays as it is until then.',
                reverse("admin:tracker_proposal_change", args=[proposal.pk]),
                proposal.pk,
            ),
            messages.WARNING,
        )
        target = self.review_target(obj)
        return redirect(
            reverse(f"admin:tracker_{target._meta.model_name}_change", args=[target.pk])
        )

    def response_change(self, request, obj):
        if hasattr(request, PROPOSING):
            return self._proposal_response(request, obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if hasattr(request, PROPOSING):
            return self._proposal_response(request, obj)
        return super().response_add(request, obj, post_url_continue)

    # Deleting, one or many.

    def log_deletions(self, request, queryset):
        written = [obj for obj in queryset if not self._proposes(request, obj)]
        # A list, as Django's own delete_view passes; the stubs allow only a QuerySet.
        return super().log_deletions(request, written) if written else None  # type: ignore[arg-type]

    def _deletion_changes(self, request, obj) -> list[corrections.Change]:
        """The published judgements deleting `obj` would take away, when the deletion
        goes live (an editor's waits for review): these need a reason."""
        live = self._published_target(obj)
        if live is None or self._proposes(request, obj):
            return []
        after = None if self.review_target(obj) is obj else self.record_without(obj)
        return corrections.changes(self._judgement_record(live), after)

    def _refuses_without_reason(self, request, objects) -> bool:
        """On a confirmed deletion: whether it takes judgements away with no reason given
        (then the confirmation page is shown again, asking for one)."""
        request.asks_change_reason = any(self._deletion_changes(request, o) for o in objects)
        confirmed = request.method == "POST" and request.POST.get("post")
        given = (request.POST.get(REASON_FIELD) or "").strip()
        if confirmed and request.asks_change_reason and not given:
            self.message_user(
                request,
                "Say why: this deletion takes away published judgements, and the "
                "corrections log shows the reason.",
                messages.ERROR,
            )
            return True
        return False

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self._refuses_without_reason(request, [obj]):
            return redirect(request.get_full_path())
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        if self._proposes(request, obj):
            setattr(request, PROPOSING, [])
            self._keep(request, obj, self.record_without(obj), "the admin's delete button")
            return
        self.note_draft_author(request, obj)
        self._log_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # An administrator's bulk delete (Django's own action): each logged as one.
        for obj in queryset:
            self._log_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def response_delete(self, request, obj_display, obj_id):
        proposals = getattr(request, PROPOSING, None)
        if proposals is None:
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(request, _changelist_message(len(proposals)), messages.WARNING)
        return redirect(reverse(f"admin:tracker_{self.opts.model_name}_changelist"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions and request.user.is_superuser:
            actions["delete_selected"] = (
                reasoned_delete_selected,
                "delete_selected",
                "Delete selected %(verbose_name_plural)s",
            )
        if "delete_selected" in actions and not request.user.is_superuser:
            actions["delete_selected"] = (
                reviewed_delete_selected,
                "delete_selected",
                "Delete selected %(verbose_name_plural)s (published ones after review)",
            )
        return actions


def reasoned_delete_selected(modeladmin, request, queryset):
    """Django's delete action for administrators, asking why when the deletion takes
    published judgements away (the corrections log shows the reason)."""
    if modeladmin._refuses_without_reason(request, list(queryset)):
        request.POST = request.POST.copy()
        del request.POST["post"]  # back to the confirmation page, now asking why
    return delete_selected(modeladmin, request, queryset)


def reviewed_delete_selected(modeladmin, request, queryset):
    """Django's delete action, but a published record's deletion waits for review."""
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)  # the confirmation page
    if not modeladmin.has_delete_permission(request):
        raise PermissionDenied
    setattr(request, PROPOSING, [])
    deleted = 0
    with transaction.atomic():
        for obj in queryset:
            if modeladmin._proposes(request, obj):
                modeladmin._keep(
                    request, obj, modeladmin.record_without(obj), "the admin's delete action"
                )
            else:
                modeladmin.log_deletions(request, [obj])
                modeladmin.delete_model(request, obj)
                deleted += 1
    proposals = [p for p in getattr(request, PROPOSING) if p]
    if deleted:
        modeladmin.message_user(request, f"Deleted {deleted} draft(s).", messages.SUCCESS)
    if proposals:
        modeladmin.message_user(request, _changelist_message(len(proposals)), messages.WARNING)
    return None


# --- The review queue -----------------------------------------------------------------------


class ReviewForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        error_messages={"required": "Give a reason for your decision."},
        help_text="Why you approve or reject it; the proposer and the history see it.",
    )


class StateFilter(admin.SimpleListFilter):
    """Proposals by state; those waiting for review unless another is chosen."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*Proposal.State.choices, ("all", "All")]

    def _chosen(self):
        return self.value() or Proposal.State.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self._chosen() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        chosen = self._chosen()
        return queryset if chosen == "all" else queryset.filter(state=chosen)


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("proposed_at", "what", "kind", "action", "proposed_by", "state", "reviewed_by")
    list_display_links = ("proposed_at", "what")
    list_filter = (StateFilter, "kind", "action")
    show_facets = admin.ShowFacets.ALWAYS  # the counts per kind beside each filter
    list_select_related = ("proposed_by", "reviewed_by")
    search_fields = ("subject", "review_reason")
    change_list_template = "admin/tracker/proposal/change_list.html"

    class Media:
        css = {"all": ("tracker/admin.css",)}

    @admin.display(description="change to", ordering="subject")
    def what(self, obj):
        return obj.subject

    def has_add_permission(self, request):
        return False  # proposals are made by changing records

    def has_delete_permission(self, request, obj=None):
        return False  # kept: they are part of the record of who changed what

    def changelist_view(self, request, extra_context=None):
        waiting = Proposal.objects.pending()
        counts = [
            (
                f"Changes to {kind.label.lower()}s",
                waiting.filter(kind=kind).count(),
                f"?kind__exact={kind.value}",
            )
            for kind in Proposal.Kind
        ]
        counts += [
            (
                f"Draft {model._meta.verbose_name_plural}",
                model.objects.filter(published=False).count(),
                reverse(f"admin:tracker_{model._meta.model_name}_changelist")
                + "?published__exact=0",
            )
            for model in (Development, Assessment)
        ]
        extra_context = {**(extra_context or {}), "waiting_counts": counts}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        proposal = get_object_or_404(
            Proposal.objects.select_related("proposed_by", "reviewed_by"),
            pk=object_id if could_be_id(object_id) else None,
        )
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            decide = review.approve if "_approve" in request.POST else review.reject
            try:
                decide(proposal, request.user, form.cleaned_data["reason"])
            except review.ReviewError as error:
                form.add_error(None, str(error))
            else:
                verb = "Approved" if decide is review.approve else "Rejected"
                self.message_user(request, f"{verb}: {proposal}.", messages.SUCCESS)
                return redirect("admin:tracker_proposal_changelist")
        return TemplateResponse(
            request,
            "admin/tracker/proposal/review.html",
            {
                **self.admin_site.each_context(request),
                "title": str(proposal),
                "opts": self.opts,
                "proposal": proposal,
                "differences": review.differences(proposal),
                "form": form,
                "may_review": proposal.state == Proposal.State.PENDING
                and proposal.may_be_reviewed_by(request.user),
                "target_url": _target_url(proposal),
            },
        )


def _target_url(proposal: Proposal) -> str | None:
    target = proposal.development_id or proposal.assessment_id
    if target is None:
        return None
    return reverse(f"admin:tracker_{proposal.kind}_change", args=[target])
