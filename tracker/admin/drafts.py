"""Drafts shown as drafts in the admin: who may publish one, the status line at the
top of its form, the list's column, and the message after saving one.

Who may publish is the model's rule (`Publishable.can_be_published_by`): an
administrator, or an editor who did not last write it. The names shown are the
staff accounts that rule lets in, so an author knows whom to ask.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from tracker.admin.proposals import PROPOSING
from tracker.admin_site import ModelAdminMixin
from tracker.models import Proposal

# Groups and user permissions are what ModelBackend reads; the other backend
# configured (django-axes) grants nothing.
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
NAMES_SHOWN = 5  # reviewers named; the others are counted


def author_of(record):
    """Who last wrote a draft (or created it): the one who may not publish it."""
    return record.drafted_by or record.created_by


def reviewers(record) -> list[str]:
    """The user names of the staff who may publish `record`: administrators, and
    editors with the change permission other than its author, in name order."""
    model = type(record)._meta
    users = (
        get_user_model()
        .objects.with_perm(
            f"{model.app_label}.change_{model.model_name}", backend=PERMISSION_BACKEND
        )
        .filter(is_staff=True)
        .order_by("username")
    )
    author = record.drafted_by_id or record.created_by_id
    if author is not None:
        users = users.exclude(pk=author)
    return [user.get_username() for user in users]


def reviewers_text(record) -> str:
    """'rita, sam or root', at most NAMES_SHOWN names and a count of the rest; or
    what to do when nobody can."""
    names = reviewers(record)
    if not names:
        return (
            "nobody yet: no other editor or administrator has an account. "
            "An administrator can add an editor under Users"
        )
    if len(names) > NAMES_SHOWN:
        more = len(names) - NAMES_SHOWN
        return f"{', '.join(names[:NAMES_SHOWN])} or {more} other{'s' if more > 1 else ''}"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} or {names[-1]}"


def waits_for_review(record, start: str = "It is a draft") -> str:
    """The sentence that says a draft waits, and for whom."""
    author = author_of(record)
    by = f" by {author.get_username()}" if author else ""
    return (
        f"{start}{by}: reports, exports and feeds leave it out until someone else "
        f"publishes it. Who may: {reviewers_text(record)}."
    )


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y, H:i")


def status_lines(request, record, opts) -> list[str]:
    """What the top of a change form says about review: draft or published, by whom,
    who may publish it, and changes to it that wait for review."""
    noun = opts.verbose_name
    lines: list[str]
    if record is None:
        if request.user.is_superuser:
            return [f"A {noun} you add here is published at once."]
        return [
            f"A {noun} you add here is a draft: reports leave it out until another editor "
            "or an administrator publishes it."
        ]
    if not record.published:
        lines = [format_html("<strong>Draft</strong>{}", waits_for_review(record, start=""))]
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if record.can_be_published_by(request.user):
            lines.append(
                format_html(
                    'You may publish it: tick it in <a href="{}?published__exact=0">the list '
                    "of drafts</a> and run <em>Publish the selected drafts</em>.",
                    changelist,
                )
            )
        elif author_of(record) is not None and author_of(record).pk == request.user.pk:
            lines.append("You wrote it last, so someone else must publish it.")
        return lines
    who = record.published_by.get_username() if record.published_by else None
    when = _when(record.published_at) if record.published_at else None
    if who and when:
        lines = [format_html("<strong>Published</strong> on {} by {}.", when, who)]
    elif when:
        lines = [format_html("<strong>Published</strong> on {}.", when)]
    else:
        lines = [mark_safe("<strong>Published</strong> as it was loaded or imported.")]
    waiting = (
        Proposal.objects.pending()
        .filter(**{opts.model_name: record})
        .select_related("proposed_by")
    )
    if waiting and request.user.has_perm("tracker.view_proposal"):
        lines.append(
            format_html(
                "Changes waiting for review (the published version stays until one is "
                "approved): {}.",
                format_html_join(
                    ", ",
                    '<a href="{}">proposal {} by {}</a>',
                    (
                        (
                            reverse("admin:tracker_proposal_change", args=[p.pk]),
                            p.pk,
                            p.proposed_by.get_username() if p.proposed_by else "someone",
                        )
                        for p in waiting
                    ),
                ),
            )
        )
    return lines


class ShowsDrafts(ModelAdminMixin):
    """For the admins of publishable models: the list's "published" column in words,
    the status line on the change form, and a message after an editor saves a draft."""

    change_form_template = "admin/tracker/reviewed_change_form.html"

    @admin.display(description="published", ordering="published")
    def review_state(self, obj):
        if obj.published:
            return "Published"
        author = author_of(obj)
        return format_html(
            '<span class="review-state-draft">Draft</span>{}',
            f", by {author.get_username()}" if author else "",
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["review_status"] = status_lines(request, obj, self.opts)
        context["review_is_draft"] = obj is not None and not obj.published
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _say_it_waits(self, request, obj) -> None:
        if hasattr(request, PROPOSING) or obj.pk is None:
            return  # a proposal says so itself
        obj.refresh_from_db(fields=["published", "drafted_by", "created_by"])
        if not obj.published:
            self.message_user(request, waits_for_review(obj), messages.WARNING)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        self._say_it_waits(request, obj)
        return response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        self._say_it_waits(request, obj)
        return response
