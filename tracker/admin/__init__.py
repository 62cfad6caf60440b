"""The admin: where editors enter and correct the tracker's data.

The ModelAdmins and their registrations live here; beside them `forms.py` (the
development form's edit-conflict check, the upload form), `widgets.py`,
`filters.py`, `views.py` (import, export and restore), `jobs.py` (background
imports and exports), `proposals.py` (review) and `snapshots.py` (taking frozen
snapshots).
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models
from django.db.models import Count, OuterRef, Q
from django.forms import Textarea  # `forms` here names tracker/admin/forms.py
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from tracker import review
from tracker.admin import jobs as jobs  # registers BackgroundJobAdmin
from tracker.admin import snapshots as snapshots  # registers SnapshotAdmin
from tracker.admin.drafts import ShowsDrafts
from tracker.admin.filters import ActorListFilter, RecommendationListFilter, StanceListFilter
from tracker.admin.forms import (
    AssessmentFormSet,
    CitationFormSet,
    DevelopmentForm,
    EvidenceForm,
    EvidenceFormSet,
    LinkEvidenceForm,
)
from tracker.admin.proposals import (
    PROPOSING,
    ReadersSeePublished,
    ReviewedHistory,
    ReviewsChanges,
)
from tracker.admin.views import ImportAndRestoreViews
from tracker.admin.widgets import SafeAutocompleteFields
from tracker.admin_site import ModelAdminMixin, WrittenByTheAppOnly
from tracker.models import (
    Actor,
    Assessment,
    Citation,
    Correction,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Source,
)

admin.site.site_header = "Policy Recommendation Tracker"
admin.site.site_title = "Policy Recommendation Tracker"
admin.site.index_title = "Data entry"
# Django's sidebar of every model took a fifth of a 1366 px screen from each list,
# which then scrolled sideways; the breadcrumbs and the index reach the same pages.
admin.site.enable_nav_sidebar = False

SHORT_TEXTAREA = {"widget": Textarea(attrs={"rows": 2, "cols": 40})}
# A rationale in an inline row: a few sentences, read without scrolling the box.
RATIONALE_TEXTAREA = {"widget": Textarea(attrs={"rows": 4, "cols": 40})}


def starts_as_draft(instance, user) -> None:
    """What an editor creates waits for review; what an administrator creates is live."""
    if hasattr(instance, "published"):
        instance.published = user.is_superuser
        if user.is_superuser:
            instance.published_at, instance.published_by = timezone.now(), user
        else:
            instance.drafted_by = user


class RecordsCreator(ModelAdminMixin):
    """Remembers who created each row, on the form itself and in its inlines, and
    makes an editor's new developments and assessments drafts."""

    readonly_fields: ClassVar[tuple[str, ...]] = ("created_at", "updated_at", "created_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            starts_as_draft(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if instance.pk is None and hasattr(instance, "created_by_id"):
                instance.created_by = request.user
                starts_as_draft(instance, request.user)
        super().save_formset(request, form, formset, change)


class Reviewed(ShowsDrafts):
    """Admin for records that pass review: drafts shown as drafts, and a publish action."""

    @admin.action(description="Publish the selected drafts", permissions=["change"])
    def publish(self, request, queryset):
        published, refused = queryset.publish(request.user)
        self.message_user(request, f"Published {published}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} draft(s) left as they are: another editor (or an administrator) "
                "must publish what you created.",
                messages.WARNING,
            )


ISO_DATE = {"input_formats": ["%Y-%m-%d"]}  # never guess between 01/02 and 02/01


# --- Developments ---------------------------------------------------------------


class CitationInline(SafeAutocompleteFields, admin.TabularInline):
    model = Citation
    formset = CitationFormSet
    extra = 1
    autocomplete_fields = ("source",)
    fields = ("source", "locator", "quote")
    formfield_overrides = {models.TextField: SHORT_TEXTAREA}


class EvidenceInline(SafeAutocompleteFields, admin.TabularInline):
    model = Evidence
    form = EvidenceForm
    formset = EvidenceFormSet
    extra = 1
    autocomplete_fields = ("recommendation",)
    fields = ("recommendation", "stance", "strength", "confidence", "rationale")
    formfield_overrides = {models.TextField: RATIONALE_TEXTAREA}


def chain_list(development: Development, drafts: bool):
    """The development's chain, earliest stage first: each stage's date, title
    (linked to its change page), status and how it follows the stage before it;
    drafts only if `drafts`, and then marked."""
    stages = [
        stage
        for stage in development.chain()
        if drafts or stage.published or stage.pk == development.pk
    ]
    if len(stages) == 1:
        return "Not part of a chain: it follows no development and none follows it."
    shown = {stage.pk for stage in stages}

    def title(stage):
        if stage.pk == development.pk:
            return format_html("<strong>{}</strong> (this development)", stage.title)
        url = reverse("admin:tracker_development_change", args=[stage.pk])
        return format_html('<a href="{}">{}</a>', url, stage.title)

    return format_html(
        '<ol class="development-chain">{}</ol>',
        format_html_join(
            "",
            "<li>{}: {} · {}{}{}</li>",
            (
                (
                    stage.date_display,
                    title(stage),
                    stage.get_status_display(),
                    # How it follows the stage before, when that one is shown.
                    f" · {stage.get_follows_as_display()}" if stage.follows_id in shown else "",
                    "" if stage.published else " · draft",
                )
                for stage in stages
            ),
        ),
    )


@admin.register(Development)
class DevelopmentAdmin(
    SafeAutocompleteFields,
    ImportAndRestoreViews,
    Reviewed,
    ReviewsChanges,
    RecordsCreator,
    ReviewedHistory,
):
    list_display = (
        "date_in_precision",
        "title",
        "kind",
        "status",
        "actor_codes",
        "evidence_summary",
        "review_state",
    )
    list_display_links = ("date_in_precision", "title")
    list_filter = (
        "published",
        "kind",
        "status",
        RecommendationListFilter,
        StanceListFilter,
        ("actors", ActorListFilter),
        "precision",
        "date",
    )
    search_fields = ("title", "summary", "key", "location")
    date_hierarchy = "date"
    ordering = ("-date", "title")
    form = DevelopmentForm
    autocomplete_fields = ("follows",)
    readonly_fields = ("chain", "published_chain", *RecordsCreator.readonly_fields)
    prepopulated_fields = {"key": ("date", "title")}
    inlines = (EvidenceInline, CitationInline)
    formfield_overrides = {models.DateField: ISO_DATE}
    actions = ("link_to_recommendation", "publish")
    list_per_page = 50
    corrects_judgements = True  # its evidence inline
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    ("date", "precision", "end_date"),
                    "key",
                    "kind",
                    "status",
                    "participants",
                    "location",
                    "summary",
                    "loaded_at",
                )
            },
        ),
        ("Chain", {"fields": (("follows", "follows_as"), "chain")}),
        ("Record", {"fields": RecordsCreator.readonly_fields, "classes": ("collapse",)}),
    )

    class Media:
        css = {"all": ("tracker/admin.css",)}

    def get_queryset(self, request):
        return (
            super().get_queryset(request).with_links().select_related("drafted_by", "created_by")
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request):
            return fieldsets
        # Readers see the chain as far as it is published, and no field that would
        # name a draft it follows.
        return [
            (name, {**options, "fields": ("published_chain",)})
            if name == "Chain"
            else (name, options)
            for name, options in fieldsets
        ]

    @admin.display(description="stages")
    def chain(self, obj):
        return chain_list(obj, drafts=True) if obj and obj.pk else "—"

    @admin.display(description="stages")
    def published_chain(self, obj):
        return chain_list(obj, drafts=False) if obj and obj.pk else "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not hasattr(request, PROPOSING):
            form.instance.actors.set(form.cleaned_data["participants"])

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "key" in form.base_fields and obj is not None and review.proposes(request.user, obj):
            # A proposal changes the development it names: its key stays.
            form.base_fields["key"].disabled = True
        return form

    def proposed_record(self, request, obj, form, formsets):
        record = review.with_development_fields(
            review.development_record(Development.objects.get(pk=obj.pk)),
            obj,
            form.cleaned_data.get("participants"),
        )
        for formset in formsets:
            kept = [
                inline.instance
                for inline in formset.forms
                if inline.cleaned_data and not inline.cleaned_data.get("DELETE")
            ]
            if formset.model is Evidence:
                record = review.with_links(record, "evidence", map(review.evidence_item, kept))
            elif formset.model is Citation:
                record = review.with_links(record, "citations", map(review.citation_item, kept))
        return record

    @admin.display(description="date", ordering="date")
    def date_in_precision(self, obj):
        return obj.date_display

    @admin.display(description="actors")
    def actor_codes(self, obj):
        return ", ".join(sorted(actor.code for actor in obj.actors.all()))

    @admin.display(description="evidence (± strength)")
    def evidence_summary(self, obj):
        return format_html_join(
            ", ",
            '<span title="{}">{}&nbsp;{}{}</span>',
            (
                (
                    e.get_stance_display(),
                    e.recommendation.code,
                    "+" if e.stance == Evidence.Stance.ADVANCES else "−",
                    e.strength,
                )
                for e in obj.evidence.all()
            ),
        )

    def has_evidence_permission(self, request):
        return request.user.has_perm("tracker.add_evidence")

    @admin.action(
        description="Link selected developments to a recommendation as evidence",
        permissions=["evidence"],
    )
    def link_to_recommendation(self, request, queryset):
        form = LinkEvidenceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            result = review.link_or_propose(queryset, **form.cleaned_data, user=request.user)
            recommendation = form.cleaned_data["recommendation"]
            self.message_user(
                request,
                f"Linked {result.linked} development(s) to {recommendation.code}; "
                f"{result.existing} already linked to it were left unchanged.",
                messages.SUCCESS,
            )
            if result.proposed:
                self.message_user(
                    request,
                    f"{result.proposed} link(s) to published developments wait for review "
                    "by another editor or an administrator.",
                    messages.WARNING,
                )
            return None
        return TemplateResponse(
            request,
            "admin/tracker/development/link_evidence.html",
            {
                **self.admin_site.each_context(request),
                "title": "Link developments to a recommendation",
                "opts": self.model._meta,
                "developments": queryset.select_related(None).prefetch_related(None),
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "action": "link_to_recommendation",
            },
        )


# --- Reference data --------------------------------------------------------------


@admin.register(Actor)
class ActorAdmin(RecordsCreator, ReviewedHistory):
    list_display = ("code", "name", "kind", "region", "development_count")
    list_filter = ("kind", "region")
    search_fields = ("code", "name")
    ordering = ("code",)
    fields = ("code", "kind", "name", "region", *RecordsCreator.readonly_fields)

    def get_queryset(self, request):
        actors = super().get_queryset(request)
        if self.has_change_permission(request):
            return actors.annotate(development_count=Count("developments"))
        # Readers: as on the report pages, only actors something published names.
        return actors.on_record().annotate(
            development_count=Count("developments", filter=Q(developments__published=True))
        )

    @admin.display(description="developments", ordering="development_count")
    def development_count(self, obj):
        return obj.development_count


@admin.register(Source)
class SourceAdmin(RecordsCreator, ReviewedHistory):
    class Media:
        css = {"all": ("tracker/admin.css",)}

    list_display = ("title", "publisher", "author", "published_on", "kind", "reliability", "link")
    list_filter = ("reliability", "kind", "publisher")
    fields = (
        "key",
        "title",
        "publisher",
        "author",
        "published_on",
        "url",
        "kind",
        "reliability",
        *RecordsCreator.readonly_fields,
    )
    search_fields = ("title", "publisher", "author", "url", "key")
    prepopulated_fields = {"key": ("title",)}
    date_hierarchy = "published_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}, models.DateField: ISO_DATE}

    @admin.display(description="URL")
    def link(self, obj):
        if not obj.url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer">open</a>', obj.url)


@admin.register(DevelopmentKind)
class DevelopmentKindAdmin(ReviewedHistory):
    list_display = ("code", "name", "nature")
    list_filter = ("nature",)
    search_fields = ("code", "name")
    prepopulated_fields = {"code": ("name",)}


# The verbatim text is a sentence or two; the elaboration may run longer.
RECOMMENDATION_WIDGETS = {
    "text": Textarea(attrs={"rows": 3, "cols": 80}),
    "elaboration": Textarea(attrs={"rows": 6, "cols": 80}),
}


class RecommendationInline(admin.StackedInline):
    model = Recommendation
    extra = 0
    fields = (("code", "ordinal"), "title", "text", "elaboration")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("widgets", RECOMMENDATION_WIDGETS)
        return super().get_formset(request, obj, **kwargs)


@admin.register(Framework)
class FrameworkAdmin(SafeAutocompleteFields, RecordsCreator, ReviewedHistory):
    list_display = ("code", "title", "author", "year", "recommendation_count")
    search_fields = ("code", "title", "author")
    autocomplete_fields = ("source",)
    prepopulated_fields = {"code": ("author", "year")}
    inlines = (RecommendationInline,)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(recommendation_count=Count("recommendations"))
        )

    @admin.display(description="recommendations", ordering="recommendation_count")
    def recommendation_count(self, obj):
        return obj.recommendation_count


class AssessmentInline(ReadersSeePublished, admin.TabularInline):
    """The assessment history, newest first; add a row to judge again."""

    model = Assessment
    formset = AssessmentFormSet
    extra = 1
    fields = ("assessed_on", "status", "reason", "rationale", "review_state")
    readonly_fields = ("review_state",)
    ordering = ("-assessed_on",)
    formfield_overrides = {models.TextField: RATIONALE_TEXTAREA, models.DateField: ISO_DATE}
    # A judgement already given is changed or withdrawn on its own page, where the
    # change is reviewed (editors) or needs a reason (the corrections log).
    show_change_link = True

    @admin.display(description="published")
    def review_state(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return "Published" if obj.published else "Draft"

    def has_add_permission(self, request, obj=None):
        # A row is added by saving the recommendation's form, which only those who may
        # change recommendations can (editors add under Assessments instead).
        return request.user.has_perm(
            "tracker.change_recommendation"
        ) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Recommendation)
class RecommendationAdmin(RecordsCreator, ReviewedHistory):
    list_display = ("code", "title", "framework", "advancing", "hindering", "current_status")
    list_filter = ("framework",)
    search_fields = ("code", "title", "text")
    list_select_related = ("framework",)
    ordering = ("framework", "ordinal")
    inlines = (AssessmentInline,)
    readonly_fields = ("evidence_counts", *RecordsCreator.readonly_fields)
    fields = (
        "framework",
        ("code", "ordinal"),
        "title",
        "text",
        "elaboration",
        "evidence_counts",
        *RecordsCreator.readonly_fields,
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("widgets", RECOMMENDATION_WIDGETS)
        return super().get_form(request, obj, change, **kwargs)

    def get_queryset(self, request):
        latest = Assessment.objects.filter(recommendation=OuterRef("pk")).order_by("-assessed_on")
        counted = Q()
        if not request.user.has_perm("tracker.change_development"):
            # Readers: the figures the reports show, from published records only.
            latest, counted = latest.published(), Q(evidence__development__published=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                advancing=Count(
                    "evidence", filter=counted & Q(evidence__stance=Evidence.Stance.ADVANCES)
                ),
                hindering=Count(
                    "evidence", filter=counted & Q(evidence__stance=Evidence.Stance.HINDERS)
                ),
                current_status=models.Subquery(latest.values("status")[:1]),
            )
        )

    @admin.display(description="advancing", ordering="advancing")
    def advancing(self, obj):
        return obj.advancing

    @admin.display(description="hindering", ordering="hindering")
    def hindering(self, obj):
        return obj.hindering

    @admin.display(description="current status", ordering="current_status")
    def current_status(self, obj):
        if obj.current_status is None:
            return "Not yet assessed"
        return Assessment.Status(obj.current_status).label

    @admin.display(description="evidence")
    def evidence_counts(self, obj):
        if obj.pk is None:
            return "—"
        return f"{obj.advancing} advancing, {obj.hindering} hindering"


# --- Links -----------------------------------------------------------------------


class LinkAdmin(ReviewsChanges, SafeAutocompleteFields, RecordsCreator, ReviewedHistory):
    """A development's evidence or citations, one link at a time: a change to a
    published development's link is a proposed change to that development."""

    link_name = ""  # the links' name in a development's record (review.LINKS)

    def review_target(self, obj):
        return obj.development

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "development") if obj is not None else fields

    def _item(self, obj) -> dict:
        raise NotImplementedError

    def _saved_key(self, obj) -> str | None:
        saved = type(obj).objects.filter(pk=obj.pk).first() if obj.pk else None
        return self._item(saved)[review.LINKS[self.link_name][1]] if saved else None

    def proposed_record(self, request, obj, form, formsets):
        live = review.development_record(obj.development)
        return review.with_link(live, self.link_name, self._item(obj), self._saved_key(obj))

    def record_without(self, obj):
        live = review.development_record(obj.development)
        return review.with_link(live, self.link_name, None, self._saved_key(obj))


@admin.register(Evidence)
class EvidenceAdmin(LinkAdmin):
    link_name = "evidence"
    form = EvidenceForm
    corrects_judgements = corrects_judgements_on_add = True
    list_display = ("development", "recommendation", "stance", "strength", "confidence")
    list_filter = ("recommendation", "stance", "strength", "confidence")
    search_fields = ("development__title", "development__key", "rationale")
    autocomplete_fields = ("development", "recommendation")
    list_select_related = ("development", "recommendation")
    fields = ("development", "recommendation", "stance", "strength", "confidence", "rationale")

    def _item(self, obj):
        return review.evidence_item(obj)


@admin.register(Citation)
class CitationAdmin(LinkAdmin):
    link_name = "citations"
    list_display = ("development", "source", "locator")
    search_fields = ("development__title", "source__title", "quote")
    autocomplete_fields = ("development", "source")
    list_select_related = ("development", "source")
    fields = ("development", "source", "locator", "quote")

    def _item(self, obj):
        return review.citation_item(obj)


@admin.register(DevelopmentActor)
class DevelopmentActorAdmin(ReviewsChanges, SafeAutocompleteFields, ReviewedHistory):
    """Who took part in what. Editors change a development's actors on its own form;
    deleting one here is a proposed change to a published development."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def review_target(self, obj):
        return obj.development

    def record_without(self, obj):
        live = review.development_record(obj.development)
        return {**live, "actors": [code for code in live["actors"] if code != obj.actor.code]}

    list_display = ("development", "actor")
    list_filter = (("actor", ActorListFilter),)
    search_fields = ("development__title", "development__key", "actor__code", "actor__name")
    autocomplete_fields = ("development", "actor")
    list_select_related = ("development", "actor")


@admin.register(Assessment)
class AssessmentAdmin(
    SafeAutocompleteFields, Reviewed, ReviewsChanges, RecordsCreator, ReviewedHistory
):
    list_display = ("recommendation", "assessed_on", "status", "reason", "review_state")
    list_filter = ("published", "status", "recommendation")
    actions = ("publish",)
    search_fields = ("recommendation__code", "rationale")
    autocomplete_fields = ("recommendation",)
    list_select_related = ("recommendation", "drafted_by", "created_by")
    date_hierarchy = "assessed_on"
    fields = ("recommendation", "assessed_on", "status", "reason", "rationale")
    formfield_overrides = {models.DateField: ISO_DATE}
    corrects_judgements = True

    def proposed_record(self, request, obj, form, formsets):
        return review.assessment_record(obj)


# --- The corrections log ------------------------------------------------------------


@admin.register(Correction)
class CorrectionAdmin(WrittenByTheAppOnly, admin.ModelAdmin):
    """The corrections log, to read: written with each change, never edited."""

    list_display = ("made_at", "recommendation", "kind", "subject", "made_by", "approved_by")
    list_filter = ("kind", "recommendation")
    list_select_related = ("recommendation", "made_by", "approved_by")
    search_fields = ("subject", "reason", "recommendation__code")
    date_hierarchy = "made_at"
