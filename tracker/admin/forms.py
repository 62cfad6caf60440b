"""The admin's forms: the development form with its edit-conflict check
(`loaded_at`), inline formsets checked against saved rows, the evidence-linking
action's form and the import upload form."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.text import capfirst

from tracker.admin.widgets import SafeAutocompleteSelectMultiple
from tracker.admin_site import could_be_id
from tracker.interchange import ImportFileError, detect_format
from tracker.models import Actor, Development, Evidence, Recommendation

MAX_UPLOAD = 50_000_000  # bytes


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


class ColumnNamedFormSet(forms.BaseInlineFormSet):
    """Each input of a tabular inline row carries its column's name. Django's tabular
    inline prints a field's label only as its column's header, which names no input
    to a screen reader ("edit text", "combo box"): WCAG 1.3.1 and 4.1.2."""

    def add_fields(self, form, index):
        super().add_fields(form, index)  # the delete box too
        for name, field in form.fields.items():
            if not field.widget.is_hidden:
                label = capfirst(field.label or pretty_name(name))
                field.widget.attrs.setdefault("aria-label", str(label))


class UniqueAgainstSavedRows(ColumnNamedFormSet):
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
        assert self.model is not None  # set by inlineformset_factory
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


class EvidenceForm(forms.ModelForm):
    """An evidence link, on its own page or inline. A post without a confidence (a
    form opened before the field existed, a script) keeps the link's confidence,
    medium for a new one; a blank one is refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "confidence" in self.fields:
            self.fields["confidence"].required = False

    def clean_confidence(self):
        confidence = self.cleaned_data.get("confidence")
        if confidence:
            return confidence
        widget = self.fields["confidence"].widget
        if widget.value_omitted_from_data(self.data, self.files, self.add_prefix("confidence")):
            return self.instance.confidence
        raise forms.ValidationError("Say how sure the coding is.", code="required")


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
    "follows",
    "follows_as",
)
# Foreign keys among them, compared by id in the edit-conflict check.
FOREIGN_KEYS = {"kind", "follows"}


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
        cleaned = super().clean() or {}
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
                and getattr(opened, f"{name}_id" if name in FOREIGN_KEYS else name)
                != getattr(current, f"{name}_id" if name in FOREIGN_KEYS else name)
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
        cleaned = super().clean() or {}
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
