"""Report pages for analysts. Thin: parse the request, call progress.py, render."""

from __future__ import annotations

import datetime
import re
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from tracker import charts, dates, progress, snapshots
from tracker import methodology as codebook
from tracker.caching import cached
from tracker.downloads import (
    FORMATS,
    IMPORT_FORMATS,
    StreamingExportMixin,
    TableViewMixin,
    export_response,
    import_format_response,
)
from tracker.filters import DevelopmentFilter, EvidenceFilter, corrections_log
from tracker.models import (
    Actor,
    Assessment,
    Development,
    DevelopmentKind,
    Evidence,
    FollowKind,
    Framework,
    Recommendation,
    Snapshot,
    Source,
)
from tracker.paging import NotFound, checked_page, pager, pager_of, past_the_end
from tracker.roles import can_read_reports
from tracker.tables import ActorTable, DevelopmentTable, EvidenceTable, best_source_grade

PAGE_SIZES = (25, 50, 100)


def report(view):
    """Reports are for analysts, editors and administrators, unless
    TRACKER_PUBLIC_REPORTS is on: then anyone may read them.

    What only the signed-in may read, no shared cache may keep, nor the browser
    once they sign out: pages, exports and feeds alike are sent as the admin's are
    (`Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if settings.TRACKER_PUBLIC_REPORTS:
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_read_reports(request.user):
            raise PermissionDenied("Reports are for analysts, editors and administrators.")
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return guarded


class AsOfForm(forms.Form):
    as_of = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


def read_as_of(request) -> tuple[datetime.date | None, list[str]]:
    """The ?as_of=YYYY-MM-DD snapshot date, and notes for the reader about it."""
    form = AsOfForm(request.GET)
    if not form.is_valid():
        raw = request.GET.get("as_of", "")[:40]
        return None, [f"'{raw}' is not a date in the form YYYY-MM-DD; showing the latest state."]
    as_of = form.cleaned_data["as_of"]
    if as_of and as_of > timezone.localdate():
        return None, [f"{dates.format_day(as_of)} is in the future; showing the latest state."]
    return as_of, []


def developments_with_links():
    """Published developments with what their table rows show (their best source's
    grade included)."""
    return Development.objects.published().with_links().annotate(source_grade=best_source_grade())


def recent_developments(as_of, framework: Framework | None, limit=8):
    developments = (
        Development.objects.published().select_related("kind").prefetch_related("actors")
    )
    if framework is not None:
        developments = developments.filter(
            Exists(
                Evidence.objects.filter(
                    development=OuterRef("pk"), recommendation__framework=framework
                )
            )
        )
    if as_of is not None:
        developments = developments.filter(progress.dated_by(as_of))
    return developments.order_by("-date", "title")[:limit]


@report
def home(request):
    """The portfolio when there is more than one framework; else the dashboard of
    the one there is (or of none yet)."""
    frameworks = list(Framework.objects.all()[:2])
    if len(frameworks) > 1:
        return _portfolio(request)
    return _dashboard(request, frameworks[0] if frameworks else None, in_portfolio=False)


@report
def framework_dashboard(request, code):
    framework = get_object_or_404(Framework, code=code)
    in_portfolio = Framework.objects.exclude(pk=framework.pk).exists()
    return _dashboard(request, framework, in_portfolio)


PORTFOLIO_PAGE = 20


def _portfolio(request):
    """Every framework: its recommendations by status, the stale ones, its last
    evidence; searched by code, title or author, and paged."""
    as_of, notes = read_as_of(request)
    words = request.GET.get("q", "").strip()[:100]
    frameworks = Framework.objects.all()
    if words:
        frameworks = frameworks.filter(
            Q(code__icontains=words) | Q(title__icontains=words) | Q(author__icontains=words)
        )
    frameworks_pager = pager(request, frameworks, PORTFOLIO_PAGE, "frameworks")
    shown = list(frameworks_pager.items)
    summaries = cached(
        "portfolio",
        lambda: progress.portfolio(shown, as_of),
        ",".join(str(f.pk) for f in shown),
        as_of,
    )
    for summary in summaries:
        summary.bar = charts.status_bar(summary.distribution, summary.framework.title)
    return render(
        request,
        "tracker/portfolio.html",
        {
            "nav": "dashboard",
            "summaries": summaries,
            "pager": frameworks_pager,
            "words": words,
            "words_keep": [("q", words)] if words else [],
            "status_key": charts.status_key(progress.PORTFOLIO_LABELS),
            "as_of": as_of,
            "notes": notes,
        },
    )


def _dashboard(request, framework: Framework | None, in_portfolio: bool):
    """A framework's recommendations, their verdicts and evidence figures."""
    as_of, notes = read_as_of(request)
    scope = framework.pk if framework else None
    data = cached("dashboard", lambda: progress.dashboard(as_of, framework), as_of, scope)
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        name = f"{framework.code}-dashboard" if framework else "dashboard"
        filename = f"{name}-{(as_of or timezone.localdate()):%Y-%m-%d}.{export_format}"
        rows = progress.figure_rows(progress.dashboard_figures(data))
        return export_response(rows, export_format, filename)
    for framework_progress in data.frameworks:
        for item in framework_progress.recommendations:
            item.chart = charts.monthly_bars(
                item.monthly, data.months, f"{item.recommendation.code} evidence per month"
            )
    if as_of and not any(
        item.advancing + item.hindering for f in data.frameworks for item in f.recommendations
    ):
        notes.append(f"No evidence is dated on or before {dates.format_day(as_of)}.")
    return render(
        request,
        "tracker/dashboard.html",
        {
            "nav": "dashboard",
            "data": data,
            "framework": framework,
            "in_portfolio": in_portfolio,
            "as_of": as_of,
            "notes": notes,
            "recent": recent_developments(as_of, framework),
        },
    )


@report
def methodology(request):
    """The codebook, printed from the constants the figures are computed with; its
    worked example is computed by methodology.points, so the page cannot drift."""
    Status, Stance, Nature = Development.Status, Evidence.Stance, DevelopmentKind.Nature
    Strength, Confidence, Reliability = Evidence.Strength, Evidence.Confidence, Source.Reliability

    def definitions(model, name) -> dict[str, str]:
        # A field's help text defines each choice: "High: … Medium: …" → {"High": "…"}.
        help_text = str(model._meta.get_field(name).help_text)
        return dict(re.findall(r"(\w+): (.+?)(?= \w+: |$)", help_text))

    def grade(reliability) -> str:
        return Reliability(reliability).label.split(":")[0]  # "A: primary official record"

    confidence_defs = definitions(Evidence, "confidence")
    reliability_defs = definitions(Source, "reliability")
    strength_examples = {
        Strength.WEAK: "Japan and a European state declare an intent to train together (TSU-2).",
        Strength.MODERATE: "Observers from a European navy attend a Japanese exercise (TSU-2).",
        Strength.STRONG: "Japanese and European forces hold a joint exercise (TSU-2).",
    }
    status_examples = {
        Status.OCCURRED: "British and Japanese troops hold a joint field exercise in Japan.",
        Status.ANNOUNCED: "The Japanese and Italian defence ministers announce a joint "
        "exercise for next year.",
        Status.REPORTED: "A newspaper reports that Japan and France are considering a joint "
        "exercise.",
        Status.CANCELLED: "A planned call of Japanese training ships in Greece is called off.",
    }
    # Four links to TSU-2, each (stance, strength, nature, status, confidence, reliability).
    example = []
    for title, inputs in (
        (
            "Japanese and French navies hold a joint exercise",
            ("advances", 3, "material", "occurred", "high", "primary"),
        ),
        (
            "Japan and Germany announce talks on joint training",
            ("advances", 2, "verbal", "announced", "medium", "secondary"),
        ),
        (
            "A planned Japanese-British drill is called off",
            ("hinders", 2, "material", "cancelled", "medium", "secondary"),
        ),
        (
            "One outlet reports a joint exercise with Italy under consideration",
            ("advances", 2, "material", "reported", "low", "unconfirmed"),
        ),
    ):
        stance, strength, nature = Stance(inputs[0]), inputs[1], Nature(inputs[2])
        status, confidence, reliability = Status(inputs[3]), Confidence(inputs[4]), inputs[5]
        setback = status == Status.CANCELLED and stance == Stance.HINDERS
        example.append(
            {
                "title": title,
                "inputs": inputs,
                "factors": [  # (column, value, weight), in the formula's order
                    ("Sign", stance.label, codebook.STANCE_SIGNS[stance]),
                    ("Strength", Strength(strength).label, strength),
                    ("Nature", nature.value, codebook.NATURE_WEIGHTS[nature]),
                    (
                        "Status",
                        status.value,
                        codebook.CANCELLED_HINDERING_WEIGHT
                        if setback
                        else codebook.STATUS_WEIGHTS[status],
                    ),
                    ("Confidence", confidence.value, codebook.CONFIDENCE_WEIGHTS[confidence]),
                    (
                        "Source grade",
                        grade(reliability),
                        codebook.RELIABILITY_WEIGHTS[Reliability(reliability)],
                    ),
                ],
                "points": codebook.points(*inputs),
            }
        )
    ladder = list(progress.LADDER)
    return render(
        request,
        "tracker/methodology.html",
        {
            "nav": "methodology",
            "version": codebook.VERSION,
            "signs": [(Stance(s).label, sign) for s, sign in codebook.STANCE_SIGNS.items()],
            "strengths": [(s, s.label, strength_examples[s]) for s in Strength],
            "natures": [(n, n.label, codebook.NATURE_WEIGHTS[n]) for n in Nature],
            "development_statuses": [
                (s, s.label, codebook.STATUS_WEIGHTS[s], status_examples[s]) for s in Status
            ],
            "cancelled_hindering_weight": codebook.CANCELLED_HINDERING_WEIGHT,
            "confidences": [
                (c, c.label, codebook.CONFIDENCE_WEIGHTS[c], confidence_defs.get(c.label, ""))
                for c in Confidence
            ],
            "reliabilities": [
                (
                    r,
                    grade(r),
                    r.label.split(": ", 1)[-1],
                    codebook.RELIABILITY_WEIGHTS[r],
                    reliability_defs.get(grade(r), ""),
                )
                for r in Reliability
            ],
            "unsourced_grade": grade(codebook.UNSOURCED),
            "follow_kinds": [(f, f.label) for f in FollowKind],
            "example": example,
            "example_total": sum(link["points"] for link in example),
            "assessment_statuses": [
                (
                    s.label,
                    ladder.index(s) + 1 if s in ladder else None,
                    s in Assessment.NEEDS_REASON,
                )
                for s in Assessment.Status
            ],
            "ladder_steps": len(ladder),
        },
    )


# How a stage reads in a development's chain ("announced 9 January 2023 → in force
# 1 September 2023"): how it follows the stage before it, else its status.
CHAIN_WORDS = {
    FollowKind.FULFILS: "fulfilled",
    FollowKind.IN_FORCE: "in force",
    FollowKind.SUPERSEDES: "superseded",
    FollowKind.CANCELS: "cancelled",
}


def chain_word(stage: Development) -> str:
    """How `stage` reads in its chain: 'in force', or for a first stage 'announced'."""
    if stage.follows_as:
        return CHAIN_WORDS[FollowKind(stage.follows_as)]
    return stage.get_status_display().split(" (")[0].lower()  # 'Reported (planned…)'


@report
def development_detail(request, pk):
    development = get_object_or_404(
        Development.objects.select_related("kind").prefetch_related(
            "actors",
            "citations__source",
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("recommendation").order_by(
                    "recommendation__code"
                ),
            ),
        ),
        pk=pk,
    )
    # A draft is for the editors who review it; everyone else sees published records.
    if not development.published and not request.user.has_perm("tracker.change_development"):
        raise Http404("No such development.")
    # The report pages show published stages only, whoever reads them.
    stages = [s for s in development.chain() if s.published or s.pk == development.pk]
    # A published stage that follows it takes its place in the figures (progress.counted).
    replaced = development.published and not (
        Development.objects.filter(pk=development.pk)
        .filter(progress.counted(None, development=""))
        .exists()
    )
    return render(
        request,
        "tracker/development_detail.html",
        {
            "nav": "developments",
            "development": development,
            "chain": [(s, chain_word(s)) for s in stages] if len(stages) > 1 else [],
            "followed_by": [s for s in stages if s.follows_id == development.pk]
            if replaced
            else [],
        },
    )


class ReportMixin(TableViewMixin):
    """A class-based report page, guarded like the function ones (see `report`)."""

    @classmethod
    def as_view(cls, **initkwargs):
        return report(super().as_view(**initkwargs))


class PagedTableMixin(SingleTableMixin):
    """django-tables2 paging, with the page and page size checked before use, and
    the count: "Developments 1–25 of 537", with first, previous, next and last
    links (tracker/paging.py's pager, as the other report pages have).

    A page size outside `page_sizes` falls back to the first; a page that is not
    a number, or lies past the end, is a 404 rather than a silent other page.
    """

    page_sizes = PAGE_SIZES
    # Counted (a COUNT beside the page's query: 5 ms at 100,000 developments on
    # SQLite), for the count and the last page.
    paginator_class = Paginator

    def get(self, request, *args, **kwargs):
        query = request.GET.copy()
        if query.get("per_page") not in {str(size) for size in self.page_sizes}:
            query.pop("per_page", None)
        page = query.get("page")
        if page is not None:
            checked_page(page)
        request.GET = query
        return super().get(request, *args, **kwargs)

    def get_paginate_by(self, queryset):
        return None  # the table pages itself; the list view must not page again

    def get_table_pagination(self, table):
        if self.request.GET.get(self.export_trigger_param):
            return False  # an export holds every row
        size = int(self.request.GET.get("per_page", self.page_sizes[0]))
        return {"per_page": size, "paginator_class": self.paginator_class}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        page = getattr(table, "page", None)
        if page is not None:  # not an export
            asked = checked_page(self.request.GET.get("page"))
            if page.number != asked:  # django-tables2 showed the last page instead
                raise past_the_end(asked, page.paginator.num_pages, table.noun)
            table.pager = pager_of(self.request, page, table.noun)  # tracker/_table.html
            if not page.paginator.count:
                table.empty_text = self.empty_text(table)
        return table

    def filtered(self) -> bool:
        """Whether the reader set a filter (or one could not be used)."""
        filterset = getattr(self, "filterset", None)
        return filterset is not None and bool(filterset.form.errors or filterset.form.changed_data)

    def empty_text(self, table) -> str:
        """What an empty table says: that the filters match nothing, or that there is
        nothing yet; to someone who may add developments, where to."""
        if self.filtered():
            return table.empty_text  # "No developments match these filters."
        text = table.nothing_yet
        if self.request.user.has_perm("tracker.add_development"):
            url = reverse("admin:tracker_development_add")
            return format_html('{} <a href="{}">Add a development</a> in the admin.', text, url)
        return text

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_sizes=self.page_sizes, **kwargs)


class RecommendationDetailView(ReportMixin, StreamingExportMixin, PagedTableMixin, FilterView):
    """One recommendation: text, assessment history, score over time, evidence."""

    table_class = EvidenceTable
    filterset_class = EvidenceFilter
    template_name = "tracker/recommendation_detail.html"

    def get(self, request, *args, **kwargs):
        self.recommendation = get_object_or_404(
            Recommendation.objects.select_related("framework"), code=kwargs["code"].upper()
        )
        self.as_of, self.notes = read_as_of(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (
            self.recommendation.evidence.filter(progress.link_counted(self.as_of))
            .select_related("development__kind")
            .prefetch_related("development__actors")
            .annotate(source_grade=best_source_grade("development"))
        )

    def get_export_filename(self, export_format):
        day = self.as_of or timezone.localdate()
        as_of = "-as-of" if self.as_of else ""
        return f"{self.recommendation.code}-evidence{as_of}-{day:%Y-%m-%d}.{export_format}"

    def empty_text(self, table) -> str:
        if self.as_of and not self.filtered():
            return f"No evidence is dated on or before {dates.format_day(self.as_of)}."
        return super().empty_text(table)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recommendation, as_of = self.recommendation, self.as_of
        history = list(
            recommendation.assessments.published()
            .chronological()
            .select_related("drafted_by", "created_by")
        )
        if as_of is not None:
            history = [a for a in history if a.assessed_on <= as_of]
        points, top_actors, item = cached(
            "recommendation",
            lambda: (
                progress.cumulative_net_score(recommendation, as_of),
                progress.top_actors(recommendation, as_of),
                progress.recommendation_progress(recommendation, history, as_of),
            ),
            recommendation.pk,
            as_of,
        )
        context.update(
            nav="dashboard",
            recommendation=recommendation,
            history=list(reversed(history)),
            item=item,
            chart=charts.cumulative_net_chart(points, f"{recommendation.code} net score"),
            top_actors=top_actors,
            as_of=as_of,
            notes=self.notes,
        )
        return context


class ActorListView(ReportMixin, StreamingExportMixin, PagedTableMixin, TemplateView):
    """Every actor with its developments and evidence figures."""

    table_class = ActorTable
    template_name = "tracker/actor_list.html"
    extra_context = {"nav": "actors"}

    def get_table_data(self):
        return progress.actors_with_figures(Actor.objects.on_record())

    def get_export_filename(self, export_format):
        return f"actors-{timezone.localdate():%Y-%m-%d}.{export_format}"


class ActorDetailView(ReportMixin, StreamingExportMixin, PagedTableMixin, TemplateView):
    """One actor: its evidence per recommendation and its developments."""

    table_class = DevelopmentTable
    template_name = "tracker/actor_detail.html"

    def get(self, request, *args, **kwargs):
        self.actor = get_object_or_404(Actor.objects.on_record(), code=kwargs["code"].upper())
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        return developments_with_links().filter(actors=self.actor)

    def get_export_filename(self, export_format):
        return f"{self.actor.code}-developments-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            nav="actors",
            actor=self.actor,
            by_recommendation=cached(
                "actor", lambda: progress.actor_by_recommendation(self.actor), self.actor.pk
            ),
        )
        return context


def chosen_framework(request) -> Framework | None:
    """The framework a scoped page shows: ?framework=<code>, by default the first."""
    code = request.GET.get("framework")
    if code:
        framework = Framework.objects.filter(code=code[:50]).first()
        if framework is None:
            raise NotFound(f"There is no framework with the code {code[:50]!r}.")
        return framework
    return Framework.objects.first()


def framework_choices(framework: Framework | None) -> dict:
    """What the framework chooser (_framework_form.html) needs."""
    return {
        "framework": framework,
        "frameworks": Framework.objects.only("code", "title", "year").order_by("year", "code"),
        "framework_keep": [("framework", framework.code)] if framework else [],
    }


MATRIX_ROWS, MATRIX_COLUMNS = 50, 20


@report
def matrix(request):
    as_of, notes = read_as_of(request)
    framework = chosen_framework(request)
    grouped = request.GET.get("group", "1") != "0"
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        name = f"matrix-{framework.code}" if framework else "matrix"
        filename = f"{name}-{(as_of or timezone.localdate()):%Y-%m-%d}.{export_format}"
        rows = progress.matrix_export(as_of, grouped, framework)
        return export_response(rows, export_format, filename)
    scope = framework.pk if framework else None
    data = cached(
        "matrix", lambda: progress.matrix(as_of, grouped, framework), as_of, grouped, scope
    )
    if as_of and not data.rows:
        notes.append(f"No evidence is dated on or before {dates.format_day(as_of)}.")
    actors = pager(request, data.rows, MATRIX_ROWS, "actors")
    columns = pager(request, data.recommendations, MATRIX_COLUMNS, "recommendations", "columns")
    first = columns.page.start_index() - 1 if data.recommendations else 0
    keep = [] if grouped else [("group", "0")]
    return render(
        request,
        "tracker/matrix.html",
        {
            "nav": "matrix",
            "matrix": data.window(actors.items, first, first + len(columns.items)),
            "actors": actors,
            "columns": columns,
            "matrix_keep": keep + ([("framework", framework.code)] if framework else []),
            "group_keep": keep,
            "as_of": as_of,
            "notes": notes,
            **framework_choices(framework),
        },
    )


TIMELINE_LANES = 10


@report
def timeline(request):
    as_of, notes = read_as_of(request)
    framework = chosen_framework(request)
    recommendations = Recommendation.objects.in_report_order().filter(framework=framework)
    lanes_pager = pager(request, recommendations, TIMELINE_LANES, "recommendations")
    shown = list(lanes_pager.items)
    lanes = cached(
        "timeline",
        lambda: progress.timeline(as_of, shown),
        as_of,
        ",".join(str(r.pk) for r in shown),
    )
    if as_of and not any(lane.total for lane in lanes):
        notes.append(f"No evidence is dated on or before {dates.format_day(as_of)}.")
    label = f"Evidence over time: {framework.title}" if framework else "Evidence over time"
    return render(
        request,
        "tracker/timeline.html",
        {
            "nav": "timeline",
            "chart": charts.timeline_chart(lanes, label),
            "lanes": lanes,
            "lanes_pager": lanes_pager,
            "many": any(lane.bins for lane in lanes),
            "as_of": as_of,
            "notes": notes,
            **framework_choices(framework),
        },
    )


class DevelopmentListView(ReportMixin, StreamingExportMixin, PagedTableMixin, FilterView):
    """The explorer: every development, filtered, sorted, paged and exported."""

    model = Development
    table_class = DevelopmentTable
    filterset_class = DevelopmentFilter
    template_name = "tracker/development_list.html"

    def get_queryset(self):
        return developments_with_links()

    def get_table_kwargs(self):
        # A full-text search lists the best matches first, unless a column is sorted.
        filterset = self.filterset
        if filterset.is_valid() and filterset.ranked and not self.request.GET.get("sort"):
            return {"order_by": ()}
        return {}

    def get_export_filename(self, export_format):
        return f"developments-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def render_to_response(self, context, **kwargs):
        # The filtered rows in the import format (issue 14), for import_developments:
        # the published developments the filters keep (none when a filter is invalid).
        file_format = IMPORT_FORMATS.get(self.request.GET.get("_export", ""))
        if file_format:
            filename = f"developments-{timezone.localdate():%Y-%m-%d}-import.{file_format}"
            return import_format_response(self.object_list, file_format, filename)
        return super().render_to_response(context, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(nav="developments", import_formats=True)
        return context


@report
def snapshot_list(request):
    snapshots = Snapshot.objects.select_related("taken_by").defer("figures", "links")
    return render(
        request, "tracker/snapshot_list.html", {"nav": "snapshots", "snapshots": snapshots}
    )


@report
def snapshot_detail(request, slug):
    snapshot = get_object_or_404(Snapshot.objects.select_related("taken_by"), slug=slug)
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        filename = f"snapshot-{snapshot.slug}.{export_format}"
        return export_response(
            progress.figure_rows(snapshot.figures),
            export_format,
            filename,
            version=snapshot.methodology,  # frozen under its own methodology
        )
    url = request.build_absolute_uri(snapshot.get_absolute_url())
    return render(
        request,
        "tracker/snapshot_detail.html",
        {
            "nav": "snapshots",
            "snapshot": snapshot,
            "permalink": url,
            "cite": snapshots.citation(snapshot, url),
            "changes": snapshots.compare(snapshot),
        },
    )


@report
def changes(request):
    log = corrections_log(request.GET)
    corrections = pager(request, log.qs, 25, "corrections")
    chosen = log.form.cleaned_data.get("recommendation") if log.form.is_valid() else None
    return render(
        request,
        "tracker/changes.html",
        {
            "nav": "changes",
            "filter": log,
            "pager": corrections,
            "page": corrections.page,
            "recommendation": chosen,
        },
    )


def not_found(request, exception):
    """The 404 page (config/urls.py's handler404): what a reader can do, and the
    reason when the tracker wrote one for readers (tracker.paging.NotFound)."""
    reason = str(exception) if isinstance(exception, NotFound) else ""
    return render(request, "404.html", {"reason": reason}, status=404)


@require_safe
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's):
    the tracker's icon."""
    return HttpResponsePermanentRedirect(static("tracker/favicon.svg"))
