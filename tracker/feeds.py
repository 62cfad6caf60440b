"""Atom feeds of new developments (overall and per recommendation) and of corrections."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from tracker import corrections
from tracker.filters import corrections_log
from tracker.models import Development, Evidence, Recommendation
from tracker.text import xml_text


class XmlSafeAtomFeed(Atom1Feed):
    """Atom that drops characters XML 1.0 cannot hold, instead of failing."""

    def add_item(self, title, link, description, *args, **kwargs):
        # Atom marks the summary as HTML, which feed readers render: stored text
        # goes in escaped, so it reads as the text it is.
        super().add_item(
            xml_text(title),
            link,
            escape(xml_text(description or "")),
            *args,
            **kwargs,
        )


FEED_LENGTH = 30


class LatestDevelopmentsFeed(Feed):
    feed_type = XmlSafeAtomFeed
    title = "Policy Recommendation Tracker: new developments"
    subtitle = "Developments as they are recorded, newest first."

    def link(self):
        return reverse("tracker:development-list")

    def items(self):
        return (
            Development.objects.published()
            .select_related("kind")
            .prefetch_related("actors")
            .order_by("-created_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, item):
        return f"{item.date_display}: {item.title}"

    def item_description(self, item):
        actors = ", ".join(sorted(a.code for a in item.actors.all()))
        return f"{item.kind.name} · {item.get_status_display()} · {actors}. {item.summary}"

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at


class RecommendationEvidenceFeed(Feed):
    feed_type = XmlSafeAtomFeed

    def get_object(self, request, code):
        return get_object_or_404(Recommendation, code=code.upper())  # as the page does

    def title(self, obj):
        return f"Policy Recommendation Tracker: new evidence for {obj.code}"

    def subtitle(self, obj):
        return xml_text(obj.text)

    def link(self, obj):
        return obj.get_absolute_url()

    def items(self, obj):
        return (
            Evidence.objects.published()
            .filter(recommendation=obj)
            .select_related("development", "recommendation")
            .order_by("-created_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, item):
        return (
            f"{item.get_stance_display()} {item.recommendation.code} "
            f"(strength {item.strength}): {item.development.title}"
        )

    def item_description(self, item):
        return f"{item.development.date_display}. {item.rationale}"

    def item_link(self, item):
        return item.development.get_absolute_url()

    def item_guid(self, item):
        return f"evidence-{item.pk}"

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at


class CorrectionsFeed(Feed):
    """The corrections log, newest first; ?recommendation=CODE as on the page."""

    feed_type = XmlSafeAtomFeed
    title = "Policy Recommendation Tracker: corrections"
    subtitle = "Every change to a published judgement, with its reason, newest first."

    def get_object(self, request):
        log = corrections_log(request.GET)
        if not log.form.is_valid():
            raise Http404("No such recommendation.")
        return log

    def link(self, obj):
        query = obj.form.data.urlencode() if obj.form.cleaned_data.get("recommendation") else ""
        return reverse("tracker:changes") + (f"?{query}" if query else "")

    def items(self, obj):
        return obj.qs[:FEED_LENGTH]

    def item_title(self, item):
        return f"{item.recommendation.code}: {item.get_kind_display()}, {item.subject}"

    def item_description(self, item):
        change = corrections.describe(item.before, item.after)
        return f"{change}. Reason: {item.reason}"

    def item_link(self, item):
        if item.development_id:
            return reverse("tracker:development-detail", args=[item.development_id])
        return reverse("tracker:recommendation-detail", args=[item.recommendation.code])

    def item_guid(self, item):
        return f"correction-{item.pk}"

    def item_pubdate(self, item):
        return item.made_at
