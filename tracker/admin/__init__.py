"""The admin: where editors enter and correct the tracker's data."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from tracker import review
from tracker.admin.proposals import (
    PROPOSING,
    ReadersSeePublished,
    ReviewedHistory,
    ReviewsChanges,
)
from tracker.admin_site import could_be_id
from tracker.audit import RestoreError, deleted_developments, restore_development
from tracker.interchange import ImportFileError, detect_format, import_developments
from tracker.models import (
    Actor,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Framework,
    PendingImport,
    Recommendation,
    Source,
)

MAX_UPLOAD = 50_000_000  # bytes

admin.site.site_header = "Policy Recommendation Tracker"
admin.site.site_title = "Policy Recommendation Tracker"
admin.site.index_title = "Data entry"

SHORT_TEXTAREA = {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}


def starts_as_draft(instance, user) -> None:
    """What an editor creates waits for review; what an administrator creates is live."""
    if hasattr(instance, "published"):
        instance.published = user.is_superuser
        if user.is_superuser:
            instance.published_at, instance.published_by = timezone.now(), user
        else:
            instance.drafted_by = user


class RecordsCreator:
    """Remembers who created each row, on the form itself and in its inlines, and
    makes an editor's new developments and assessments drafts."""

    readonly_fields = ("created_at", "updated_at", "created_by")

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


class Reviewed:
    """Admin for records that pass review: a flag and a publish action."""

    @admin.display(description="published", boolean=True, ordering="published")
    def is_published(self, obj):
        return obj.published

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


ISO_DATE = {"input_formats": ["%Y-%m-%d"]}


class SafeAutocomplete:
    """Django's autocomplete widgets look up the posted ids to redraw a refused
    form; an id that cannot be a row (':' or 2**64) would make that an error page.
    Leave such ids out: the field's own error already says the choice is invalid."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if could_be_id(v)], attr)


class SafeAutocompleteSelect(SafeAutocomplete, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(SafeAutocomplete, AutocompleteSelectMultiple):
    pass


class IdChoicesField(forms.ModelMultipleChoiceField):
    """Refuses ids that cannot be rows before asking the database (2**64 overflows it)."""

    def clean(self, value):
        for item in value or ():
            if not could_be_id(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super().clean(value)


class SafeAutocompleteFields:
    """For ModelAdmins and inlines: autocomplete fields use the safe widget."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(
            db_field, request, **kwargs
        )  # never guess between 01/02 and 02/01


class UniqueAgainstSavedRows(forms.BaseInlineFormSet):
    """Refuses a row that repeats one saved by someone else since the form opened.

    Django checks an inline's rows against each other but not against rows
    already in the database that the form did not show; without this the
    database's unique constraint would answer with an error page.
    """

    unique_field = ""
    message = ""

    def clean(self):
        super().clean()
        if self.instance.pk is None:
            return
        shown = [form.instance.pk for form in self.forms if form.instance.pk]
        saved = set(
            self.model.objects.filter(**{self.fk.name: self.instance})
            .exclude(pk__in=shown)
            .values_list(self.unique_field, flat=True)
        )
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            value = data.get(self.unique_field)
            if not data.get("DELETE") and getattr(value, "pk", value) in saved:
                form.add_error(self.unique_field, self.message)


class EvidenceFormSet(UniqueAgainstSavedRows):
    unique_field = "recommendation"
    message = "This development is already evidence for that recommendation (reload the page)."


class CitationFormSet(UniqueAgainstSavedRows):
    unique_field = "source"
    message = "This source is already cited for the development (reload the page)."


class AssessmentFormSet(UniqueAgainstSavedRows):
    unique_field = "assessed_on"
    message = "This recommendation already has an assessment on that date (reload the page)."


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
    formset = EvidenceFormSet
    extra = 1
    autocomplete_fields = ("recommendation",)
    fields = ("recommendation", "stance", "strength", "rationale")
    formfield_overrides = {models.TextField: SHORT_TEXTAREA}


class RecommendationListFilter(admin.SimpleListFilter):
    """Developments that are evidence for a recommendation."""

    title = "recommendation"
    parameter_name = "recommendation"

    def lookups(self, request, model_admin):
        return [(r.code, str(r)) for r in Recommendation.objects.select_related("framework")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Exists(
                    Evidence.objects.filter(
                        development=OuterRef("pk"), recommendation__code=self.value()
                    )
                )
            )
        return queryset


class StanceListFilter(admin.SimpleListFilter):
    """Developments with evidence of a stance, for the chosen recommendation if any."""

    title = "stance"
    parameter_name = "stance"

    def __init__(self, request, params, model, model_admin):
        # Read before the base class pops this filter's own parameter.
        recommendation = params.get(RecommendationListFilter.parameter_name)
        self.recommendation = recommendation[-1] if isinstance(recommendation, list) else None
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return Evidence.Stance.choices

    def queryset(self, request, queryset):
        if self.value() not in Evidence.Stance.values:
            return queryset
        evidence = Evidence.objects.filter(development=OuterRef("pk"), stance=self.value())
        if self.recommendation:
            evidence = evidence.filter(recommendation__code=self.recommendation)
        return queryset.filter(Exists(evidence))


class LinkEvidenceForm(forms.Form):
    """The choices an editor makes before linking many developments at once."""

    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.select_related("framework")
    )
    stance = forms.ChoiceField(choices=Evidence.Stance.choices)
    strength = forms.TypedChoiceField(
        choices=Evidence.Strength.choices, coerce=int, initial=Evidence.Strength.MODERATE
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Stored on every new evidence link.",
    )


DEVELOPMENT_FIELDS = (
    "title",
    "key",
    "kind",
    "status",
    "location",
    "summary",
    "date",
    "precision",
    "end_date",
)


class DevelopmentForm(forms.ModelForm):
    # Django's admin will not put a many-to-many field with its own link model
    # on a form; DevelopmentActor holds nothing but the pair, so a plain form
    # field edits it (saved in DevelopmentAdmin.save_related).
    participants = IdChoicesField(
        label="Actors",
        queryset=Actor.objects.all(),
        widget=SafeAutocompleteSelectMultiple(Development._meta.get_field("actors"), admin.site),
        help_text="Type a code or a name: JP, NATO, Italy…",
    )

    class Meta:
        model = Development
        fields = DEVELOPMENT_FIELDS

    # When the editor opened the form: a later save by someone else is a conflict.
    loaded_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["participants"].initial = self.instance.actors.all()
            # The row as it stands now (a revert's instance is an older version).
            self.fields["loaded_at"].initial = (
                Development.objects.filter(pk=self.instance.pk)
                .values_list("updated_at", flat=True)
                .first()
            )

    def clean(self):
        cleaned = super().clean()
        loaded_at = cleaned.get("loaded_at")
        if self.instance.pk is None:
            return cleaned
        if loaded_at is None:
            raise forms.ValidationError(
                "This form came without the time it was opened, so a colleague's change "
                "since then could be overwritten. Reload the page and make your change again.",
                code="no_token",
            )
        # Lock the row until this save commits, so two saves cannot both pass.
        current = Development.objects.select_for_update().filter(pk=self.instance.pk).first()
        if current is not None and current.updated_at > loaded_at:
            # The version the editor saw: the last one saved by the time they opened it.
            opened = (
                current.history.filter(updated_at__lte=loaded_at).order_by("-history_date").first()
            )
            changed = [
                str(self.fields[name].label)
                for name in DEVELOPMENT_FIELDS
                if opened is not None
                and getattr(opened, f"{name}_id" if name == "kind" else name)
                != getattr(current, f"{name}_id" if name == "kind" else name)
            ]
            latest = current.history.order_by("-history_date").first()
            who = latest.history_user if latest and latest.history_user else "someone else"
            when = timezone.localtime(current.updated_at)
            raise forms.ValidationError(
                f"{who} saved this development at {when:%H:%M:%S} after you opened it"
                + (f", changing: {', '.join(changed)}" if changed else "")
                + ". Your changes were not saved: reload the page to see theirs, then make "
                "yours again.",
                code="conflict",
            )
        return cleaned


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or JSON in the import format (README: Import format). "
        f"At most {MAX_UPLOAD // 1_000_000} MB."
    )
    file_format = forms.ChoiceField(
        label="Format",
        choices=[("", "From the file name"), ("csv", "CSV"), ("json", "JSON")],
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > MAX_UPLOAD:
            self.add_error("file", f"The file is larger than {MAX_UPLOAD // 1_000_000} MB.")
            return cleaned
        try:
            cleaned["file_format"] = detect_format(upload.name, cleaned.get("file_format"))
        except ImportFileError as error:
            self.add_error("file_format", str(error))
        return cleaned


@admin.register(Development)
class DevelopmentAdmin(Reviewed, ReviewsChanges, RecordsCreator, ReviewedHistory):
    list_display = (
        "date_in_precision",
        "title",
        "kind",
        "status",
        "actor_codes",
        "evidence_summary",
        "is_published",
    )
    list_display_links = ("date_in_precision", "title")
    list_filter = (
        "published",
        "kind",
        "status",
        RecommendationListFilter,
        StanceListFilter,
        ("actors", admin.RelatedOnlyFieldListFilter),
        "precision",
        "date",
    )
    search_fields = ("title", "summary", "key", "location")
    date_hierarchy = "date"
    ordering = ("-date", "title")
    form = DevelopmentForm
    prepopulated_fields = {"key": ("date", "title")}
    inlines = (EvidenceInline, CitationInline)
    formfield_overrides = {models.DateField: ISO_DATE}
    actions = ("link_to_recommendation", "publish")
    list_per_page = 50
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
        ("Record", {"fields": RecordsCreator.readonly_fields, "classes": ("collapse",)}),
    )

    class Media:
        css = {"all": ("tracker/admin.css",)}

    def get_queryset(self, request):
        return super().get_queryset(request).with_links()

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

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tracker_development_import",
            ),
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name="tracker_development_deleted",
            ),
            *super().get_urls(),
        ]

    def deleted_view(self, request):
        """Deleted developments, each with a button that restores it and its links."""
        if not (self.has_add_permission(request) and self.has_view_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            try:
                history_id = request.POST.get("history_id", "")
                if not could_be_id(history_id):
                    raise RestoreError("There is no such deleted development.")
                development = restore_development(
                    int(history_id), request.user, publish=request.user.is_superuser
                )
            except RestoreError as error:
                messages.error(request, str(error) or "There is no such deleted development.")
            else:
                self.message_user(
                    request,
                    f"Restored “{development.title}” with its links"
                    + ("." if development.published else ", as a draft waiting for review."),
                )
                return redirect("admin:tracker_development_change", development.pk)
        return TemplateResponse(
            request,
            "admin/tracker/development/deleted.html",
            {
                **self.admin_site.each_context(request),
                "title": "Deleted developments",
                "opts": self.model._meta,
                "records": deleted_developments()[:200],
            },
        )

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a file, see what it would do, then confirm: one import, previewed."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Import developments",
            "opts": self.model._meta,
        }
        PendingImport.objects.expired().delete()
        if request.method == "POST" and "confirm" in request.POST:
            pending_id = request.POST.get("pending", "")
            pending = (
                PendingImport.objects.filter(pk=pending_id, created_by=request.user).first()
                if could_be_id(pending_id)
                else None
            )
            if pending is None:
                messages.error(
                    request,
                    "This upload is no longer waiting: it was imported, or it expired after a "
                    "day. Upload the file again.",
                )
                return redirect("admin:tracker_development_import")
            report = import_developments(
                pending.open(),
                pending.file_format,
                created_by=request.user,
                expect_fingerprint=pending.fingerprint,
                reason=f"Imported in the admin from {pending.name}",
                publish=request.user.is_superuser,
            )
            if report.ok:
                pending.delete()
                self.message_user(request, f"Imported {pending.name}: {report.summary()}")
                return redirect("admin:tracker_development_changelist")
            # The data changed since the preview: show the file's effect as it is now.
            pending.delete()
            messages.warning(request, "The data changed since the preview; check it again.")
            return self._preview(
                request, context, pending.name, pending.file_format, pending.open()
            )
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            # The upload as Django keeps it (a temporary file when large), not in memory.
            return self._preview(
                request, context, upload.name, form.cleaned_data["file_format"], upload
            )
        return TemplateResponse(
            request, "admin/tracker/development/import.html", {**context, "form": form}
        )

    def _preview(self, request, context, name, file_format, stream):
        """Check the file (a stream read twice) and keep it for the confirmation.

        Read from its temporary file, the check holds a record at a time, and the
        file is kept compressed (PendingImport.keep): a 50 MB upload's preview, which
        took a worker to 225 MB, now stays near 100 MB."""
        form = ImportUploadForm()
        try:
            report = import_developments(
                stream,
                file_format,
                dry_run=True,
                created_by=request.user,
                publish=request.user.is_superuser,
            )
        except ImportFileError as error:
            return TemplateResponse(
                request,
                "admin/tracker/development/import.html",
                {**context, "form": form, "file_error": f"{name}: {error}"},
            )
        pending = None
        if report.ok:
            pending = PendingImport(
                name=name,
                file_format=file_format,
                fingerprint=report.fingerprint,
                created_by=request.user,
            )
            pending.keep(stream)
            pending.save()
        return TemplateResponse(
            request,
            "admin/tracker/development/import.html",
            {**context, "form": form, "report": report, "pending": pending, "name": name},
        )

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

    list_display = ("title", "publisher", "author", "published_on", "kind", "link")
    list_filter = ("kind", "publisher")
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


class RecommendationInline(admin.StackedInline):
    model = Recommendation
    extra = 0
    fields = (("code", "ordinal"), "title", "text", "elaboration")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3})}}


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
    fields = ("assessed_on", "status", "reason", "rationale", "published")
    readonly_fields = ("published",)
    ordering = ("-assessed_on",)
    formfield_overrides = {models.TextField: SHORT_TEXTAREA, models.DateField: ISO_DATE}


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
    list_display = ("development", "recommendation", "stance", "strength")
    list_filter = ("recommendation", "stance", "strength")
    search_fields = ("development__title", "development__key", "rationale")
    autocomplete_fields = ("development", "recommendation")
    list_select_related = ("development", "recommendation")
    fields = ("development", "recommendation", "stance", "strength", "rationale")

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
    list_filter = (("actor", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("development__title", "development__key", "actor__code", "actor__name")
    autocomplete_fields = ("development", "actor")
    list_select_related = ("development", "actor")


@admin.register(Assessment)
class AssessmentAdmin(
    SafeAutocompleteFields, Reviewed, ReviewsChanges, RecordsCreator, ReviewedHistory
):
    list_display = ("recommendation", "assessed_on", "status", "reason", "is_published")
    list_filter = ("published", "status", "recommendation")
    actions = ("publish",)
    search_fields = ("recommendation__code", "rationale")
    autocomplete_fields = ("recommendation",)
    list_select_related = ("recommendation",)
    date_hierarchy = "assessed_on"
    fields = ("recommendation", "assessed_on", "status", "reason", "rationale")
    formfield_overrides = {models.DateField: ISO_DATE}

    def proposed_record(self, request, obj, form, formsets):
        return review.assessment_record(obj)
