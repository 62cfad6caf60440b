"""The tracker's domain: frameworks of recommendations, the developments that
happen in the world, the evidence linking the two, and analysts' assessments.

Every rule the data must keep is a named database constraint, mirrored in
`clean()` so that forms say in plain words what is wrong and where.
"""

from __future__ import annotations

import datetime
import gzip
import io
import re
import shutil
from dataclasses import dataclass
from typing import IO, TypeVar, cast

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker import dates

# Rows read (and written) per round trip when a query streams many of them:
# exports, the import's batches, backfills. Measured: 1,000 beats 500 and 2,000
# on SQLite and PostgreSQL (benchmarks/run.py).
CHUNK_SIZE = 1000

# Lets constraints say `code__length=2`.
models.CharField.register_lookup(Length)

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]*\Z",
    "Use capital letters, digits, '-' and '_' only, starting with a letter or digit.",
)


def max_length(model: type[models.Model], field: str) -> int:
    """The most characters `model.field` holds: the one source of every text limit."""
    length = getattr(model._meta.get_field(field), "max_length", None)
    assert length is not None, f"{model.__name__}.{field} has no max_length"
    return length


def clipped(model: type[models.Model], field: str, text: str) -> str:
    """`text` cut to what `model.field` holds (a subject line, a change reason)."""
    return text[: max_length(model, field)]


def person_name(user) -> str:
    """A user as reports name them: full name, else username ('' for nobody)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def country_name(alpha_2: str) -> str | None:
    """The common English name of an ISO 3166-1 alpha-2 country, or None if unknown."""
    country = pycountry.countries.get(alpha_2=alpha_2.upper()) if len(alpha_2) == 2 else None
    if country is None:
        return None
    return getattr(country, "common_name", None) or country.name


class TimeStamped(models.Model):
    """Created and updated timestamps, and who created the row.

    The timestamps take defaults rather than auto_now so that fixtures, which
    load without calling save(), still get them.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)


class Publishable(models.Model):
    """Reviewed before it counts: a record an editor enters in the admin is a draft
    until another editor (or an administrator) publishes it. Imports from the
    command line and fixtures are published as they load."""

    published = models.BooleanField(default=True)
    # Whoever last wrote the draft: its author for review, who may not publish it.
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # For the type checker only: every publishable model is also TimeStamped, and
    # django-simple-history records `_change_reason`, when set, with the next version.
    created_by_id: int | None
    _change_reason: str

    class Meta:
        abstract = True

    def can_be_published_by(self, user) -> bool:
        """An administrator, or an editor who did not last write it, may publish it."""
        if user.is_superuser:
            return True
        author = self.drafted_by_id or self.created_by_id
        return user.has_perm(f"tracker.change_{self._meta.model_name}") and author != user.pk


_Publishable = TypeVar("_Publishable", bound=Publishable)


class PublishedQuerySet(models.QuerySet[_Publishable]):
    def published(self):
        """Only records that passed review (what reports, exports and feeds show)."""
        return self.filter(published=True)

    def publish(self, user) -> tuple[int, int]:
        """Publish the drafts among these that `user` may publish: (published, refused)."""
        published = refused = 0
        for record in self.filter(published=False):
            if not record.can_be_published_by(user):
                refused += 1
                continue
            record.published, record.published_at, record.published_by = (
                True,
                timezone.now(),
                user,
            )
            record._change_reason = "Published"
            record.save(update_fields=["published", "published_at", "published_by"])
            published += 1
        return published, refused


class CodeManager(models.Manager):
    """Looks rows up by their code, their natural key."""

    def get_by_natural_key(self, code):
        return self.get(code=code)


class ActorQuerySet(models.QuerySet):
    def on_record(self):
        """Actors that a published development names (a country a draft import
        created stays off the report pages until its development is published)."""
        return self.filter(
            Exists(
                DevelopmentActor.objects.filter(actor=OuterRef("pk"), development__published=True)
            )
        )


# Manager bases made by from_queryset() are named first: mypy's Django plugin
# understands such a class when it is assigned to a name, not inline as a base.
_ActorManagerBase = CodeManager.from_queryset(ActorQuerySet)


class ActorManager(_ActorManagerBase):
    pass


class KeyManager(models.Manager):
    """Looks rows up by their slug key, their natural key."""

    def get_by_natural_key(self, key):
        return self.get(key=key)


# --- Sources -----------------------------------------------------------------


class SourceKind(models.TextChoices):
    """What sort of publication a source is."""

    NEWS = "news", "News"
    ANALYSIS = "analysis", "Analysis"
    OFFICIAL = "official", "Official statement"
    REPORT = "report", "Report"


class SourceReliability(models.TextChoices):
    """How far a source can be trusted for the facts it reports (tracker/methodology.py)."""

    PRIMARY = "primary", "A: primary official record"
    SECONDARY = "secondary", "B: reputable secondary source"
    UNCONFIRMED = "unconfirmed", "C: single unconfirmed report"


class Source(TimeStamped):
    """Where a fact comes from: an article, a statement, a report."""

    Kind = SourceKind
    Reliability = SourceReliability

    key = models.SlugField(
        max_length=100,
        unique=True,
        help_text="A stable identifier, e.g. 'pollmann-2023-diplomat'.",
    )
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_on = models.DateField("date", null=True, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS)
    reliability = models.CharField(
        max_length=11,
        choices=Reliability.choices,
        default=Reliability.SECONDARY,
        help_text="A: the government's or organisation's own record (statement, treaty "
        "text, communiqué). B: a reputable outlet or analysis that others confirm or "
        "that names its sources. C: one report nobody else confirms.",
    )

    history = HistoricalRecords()
    objects = KeyManager()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values),
                name="tracker_source_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(reliability__in=SourceReliability.values),
                name="tracker_source_reliability_valid",
            ),
        ]

    def __str__(self):
        by = f" ({self.publisher})" if self.publisher else ""
        return f"{self.title}{by}"

    def natural_key(self):
        return (self.key,)


# --- Frameworks and recommendations -------------------------------------------


class Framework(TimeStamped):
    """A published set of recommendations, such as Tsuruoka's of 2015."""

    code = models.SlugField(max_length=50, unique=True, help_text="e.g. 'tsuruoka-2015'.")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200)
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1900), MaxValueValidator(2200)]
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="frameworks",
        help_text="The publication the recommendations come from.",
    )
    description = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = CodeManager()

    class Meta:
        ordering = ["year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=1900, year__lte=2200),
                name="tracker_framework_year_plausible",
                violation_error_message="The year must be between 1900 and 2200.",
            ),
        ]

    def __str__(self):
        return f"{self.author} ({self.year}): {self.title}"

    def get_absolute_url(self):
        return reverse("tracker:framework-dashboard", args=[self.code])

    def natural_key(self):
        return (self.code,)


class RecommendationQuerySet(models.QuerySet):
    def in_report_order(self):
        """With their framework, in the order reports list them: frameworks by year and
        code, then each in its author's order."""
        return self.select_related("framework").order_by(
            "framework__year", "framework__code", "ordinal"
        )


_RecommendationManagerBase = CodeManager.from_queryset(RecommendationQuerySet)


class RecommendationManager(_RecommendationManagerBase):
    pass


class Recommendation(TimeStamped):
    """One recommendation of a framework, quoted verbatim."""

    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="recommendations"
    )
    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[code_validator],
        help_text="A stable code, e.g. 'TSU-2'.",
    )
    ordinal = models.PositiveSmallIntegerField(help_text="Its place in the author's order.")
    title = models.CharField("short title", max_length=200)
    text = models.TextField("verbatim text")
    elaboration = models.TextField(blank=True, help_text="The author's own elaboration.")

    history = HistoricalRecords()
    objects = RecommendationManager()

    class Meta:
        ordering = ["framework", "ordinal"]
        # Reading the reports (pages, exports, feeds) is a permission, not a group:
        # renaming a group cannot lock its members out (tracker/roles.py grants it).
        permissions = [("view_reports", "Can read the reports")]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "ordinal"],
                name="tracker_recommendation_unique_ordinal",
                violation_error_message="This framework already has a recommendation "
                "in that place.",
            ),
            models.CheckConstraint(
                condition=Q(ordinal__gte=1), name="tracker_recommendation_ordinal_positive"
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.title}"

    def get_absolute_url(self):
        return reverse("tracker:recommendation-detail", args=[self.code])

    def natural_key(self):
        return (self.code,)

    natural_key.dependencies = ["tracker.framework"]  # type: ignore[attr-defined]


# --- Actors ---------------------------------------------------------------------


class ActorKind(models.TextChoices):
    """A state, an international organisation or an institution."""

    STATE = "state", "State"
    ORGANISATION = "organisation", "International organisation"
    INSTITUTION = "institution", "Institution"


class ActorRegion(models.TextChoices):
    """The part of the world an actor belongs to."""

    EUROPE = "europe", "Europe"
    ASIA_PACIFIC = "asia-pacific", "Asia-Pacific"
    AMERICAS = "americas", "Americas"
    MIDDLE_EAST_AFRICA = "middle-east-africa", "Middle East and Africa"
    GLOBAL = "global", "Global"


class Actor(TimeStamped):
    """A state or an organisation that takes part in developments."""

    Kind = ActorKind
    Region = ActorRegion

    code = models.CharField(
        max_length=16,
        unique=True,
        validators=[code_validator],
        help_text="ISO 3166-1 alpha-2 for a state (JP, FR, GB); an acronym for an "
        "organisation (NATO, EU).",
    )
    name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Leave blank for a state: its name comes from the ISO country list.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    region = models.CharField(max_length=20, choices=Region.choices, blank=True)

    history = HistoricalRecords()
    objects = ActorManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActorKind.values),
                name="tracker_actor_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ActorKind.STATE) | Q(code__length=2),
                name="tracker_actor_state_code_alpha2",
                violation_error_message="A state's code is its two-letter ISO code.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="tracker_actor_name_not_empty"),
        ]

    def __str__(self):
        return self.name or self.code

    def save(self, *args, **kwargs):
        if self.kind == self.Kind.STATE and not self.name:
            self.name = country_name(self.code) or ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tracker:actor-detail", args=[self.code])

    def natural_key(self):
        return (self.code,)

    def clean_fields(self, exclude=None):
        self.code = (self.code or "").strip().upper()  # 'gb' and 'Nato' mean GB and NATO
        super().clean_fields(exclude)

    def clean(self):
        if self.kind == self.Kind.STATE:
            name = country_name(self.code)
            if name is None:
                raise ValidationError(
                    {"code": f"'{self.code}' is not an ISO 3166-1 alpha-2 country code."}
                )
            self.name = name
        elif not self.name:
            raise ValidationError({"name": "An organisation or institution needs a name."})


# --- Developments ---------------------------------------------------------------


class DevelopmentNature(models.TextChoices):
    """Whether a kind of development is words or deeds."""

    VERBAL = "verbal", "Verbal (statements, announcements, meetings)"
    MATERIAL = "material", "Material (exercises held, agreements signed, offices opened)"


class DevelopmentKind(models.Model):
    """Reference data: what sort of thing a development is, and its nature."""

    Nature = DevelopmentNature

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    nature = models.CharField(max_length=10, choices=Nature.choices)
    description = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = CodeManager()

    class Meta:
        ordering = ["name"]
        verbose_name = "development kind"
        constraints = [
            models.CheckConstraint(
                condition=Q(nature__in=DevelopmentNature.values),
                name="tracker_developmentkind_nature_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


SEARCH_CONFIG = "english"
WORD = re.compile(r"\w")


def search_vector():
    """Title and summary as PostgreSQL full-text search sees them; the GIN index
    tracker_dev_search_idx (migration 0008) is built on this very expression."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("title", "summary", config=SEARCH_CONFIG)


class DevelopmentQuerySet(PublishedQuerySet["Development"]):
    def with_links(self):
        """With what a table row shows: the kind, the actors, and the evidence with its
        recommendation (by code)."""
        return self.select_related("kind").prefetch_related(
            "actors",
            models.Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("recommendation").order_by(
                    "recommendation__code"
                ),
            ),
        )

    def ranks_search(self) -> bool:
        """Whether search() ranks by relevance here (PostgreSQL) or only filters."""
        return connections[self.db].vendor == "postgresql"

    def search(self, text: str):
        """Developments whose title or summary hold the words, best matches first.

        PostgreSQL: full-text search (stemmed words, web-search syntax such as
        "quoted phrase" and -excluded), ranked, through a GIN index. Other
        databases, or text without a word in it: the text anywhere in title or
        summary, newest first.
        """
        if not self.ranks_search() or not WORD.search(text):
            # Nothing a full-text search could match (only signs): match the text itself.
            return self.filter(Q(title__icontains=text) | Q(summary__icontains=text))
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return (
            self.annotate(search=search_vector())
            .filter(search=query)
            .annotate(rank=SearchRank(search_vector(), query))
            .order_by("-rank", "-date", "title")
        )


_DevelopmentManagerBase = KeyManager.from_queryset(DevelopmentQuerySet)


class DevelopmentManager(_DevelopmentManagerBase):
    pass


class DatePrecision(models.TextChoices):
    """How exactly a development's date is known."""

    DAY = dates.DAY, "Day"
    MONTH = dates.MONTH, "Month"
    YEAR = dates.YEAR, "Year"


class DevelopmentStatus(models.TextChoices):
    """Whether a development happened, was announced, is only reported as planned or
    considered, or was called off (weights: tracker/methodology.py)."""

    OCCURRED = "occurred", "Occurred"
    ANNOUNCED = "announced", "Announced"
    REPORTED = "reported", "Reported (planned or considered)"
    CANCELLED = "cancelled", "Cancelled"


class FollowKind(models.TextChoices):
    """How a development follows an earlier one in the same chain."""

    FULFILS = "fulfils", "fulfils (does what it announced)"
    IN_FORCE = "in_force", "brings it into force"
    SUPERSEDES = "supersedes", "supersedes it"
    CANCELS = "cancels", "cancels it"


class Development(Publishable, TimeStamped):
    """Something that happened or was announced: a summit, an agreement, a gaffe."""

    Precision = DatePrecision
    Status = DevelopmentStatus

    key = models.SlugField(
        max_length=100,
        unique=True,
        help_text="A stable identifier, e.g. '2023-01-11-japan-uk-raa'. Imports match on it.",
    )
    date = models.DateField(
        help_text="The day it happened or began. With month or year precision, any day "
        "in that month or year: it is stored as the first."
    )
    precision = models.CharField(
        max_length=5,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text="How exactly the date is known: 'in December' is month precision, "
        "'later this year' year precision.",
    )
    end_date = models.DateField(
        null=True, blank=True, help_text="For spans, such as drills held over several days."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OCCURRED)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followed_by",
        help_text="The earlier stage this one continues (a pledge it fulfils, an agreement "
        "it brings into force). A chain counts once, at its latest stage.",
    )
    follows_as = models.CharField(
        "follows as",
        max_length=10,
        choices=FollowKind.choices,
        blank=True,
        help_text="How it follows the earlier stage.",
    )
    kind = models.ForeignKey(DevelopmentKind, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    actors = models.ManyToManyField(Actor, through="DevelopmentActor", related_name="developments")
    sources = models.ManyToManyField(Source, through="Citation", related_name="developments")

    history = HistoricalRecords()
    objects = DevelopmentManager()

    class Meta:
        ordering = ["-date", "title"]
        get_latest_by = "date"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("date")),
                name="tracker_development_end_after_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(date__gte=dates.EARLIEST, date__lte=dates.LATEST)
                & (Q(end_date__isnull=True) | Q(end_date__lte=dates.LATEST)),
                name="tracker_development_date_plausible",
                violation_error_message=dates.RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(precision__in=DatePrecision.values),
                name="tracker_development_precision_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DevelopmentStatus.values),
                name="tracker_development_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="tracker_development_title_not_empty"
            ),
            models.CheckConstraint(
                condition=(Q(follows__isnull=True) & Q(follows_as=""))
                | (Q(follows__isnull=False) & Q(follows_as__in=FollowKind.values)),
                name="tracker_development_follows_with_how",
                violation_error_message="Say how it follows the earlier development, "
                "and only when it follows one.",
            ),
            models.CheckConstraint(
                condition=~Q(follows=models.F("pk")),
                name="tracker_development_follows_not_itself",
                violation_error_message="A development cannot follow itself.",
            ),
        ]
        indexes = [
            # The admin changelist and every report list developments newest first.
            models.Index(fields=["-date", "title"], name="tracker_dev_date_title_idx"),
        ]

    def __str__(self):
        return f"{self.date_display}: {self.title}"

    def save(self, *args, **kwargs):
        self.normalise_dates()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tracker:development-detail", args=[self.pk])

    def natural_key(self):
        return (self.key,)

    @property
    def date_display(self) -> str:
        """The date or span in its precision, e.g. '9–14 January 2023'."""
        return dates.format_span(self.date, self.end_date, self.precision)

    def normalise_dates(self):
        """Store month- and year-precision dates as the first day of their period."""
        if self.date:
            self.date = dates.truncate(self.date, self.precision)
        if self.end_date:
            self.end_date = dates.truncate(self.end_date, self.precision)

    def clean(self):
        self.normalise_dates()
        for name in ("date", "end_date"):
            value = getattr(self, name)
            if value and not dates.EARLIEST <= value <= dates.LATEST:
                raise ValidationError({name: dates.RANGE_MESSAGE})
        if self.date and self.end_date and self.end_date < self.date:
            raise ValidationError({"end_date": "The end date cannot be before the start date."})
        self.clean_chain()

    def clean_chain(self):
        """The earlier stage is earlier, and the chain does not loop back here."""
        earlier = self.follows
        if earlier is None:
            if self.follows_as:
                raise ValidationError({"follows": "Choose the development it follows."})
            return
        if not self.follows_as:
            raise ValidationError({"follows_as": "Say how it follows the earlier development."})
        if self.date and earlier.date > self.date:
            raise ValidationError(
                {"follows": f"It follows a later development ({earlier.date_display})."}
            )
        seen = {self.pk}
        while earlier is not None:
            if earlier.pk in seen:
                raise ValidationError({"follows": "That would make the chain a loop."})
            seen.add(earlier.pk)
            earlier = earlier.follows

    def chain(self) -> list[Development]:
        """Every stage of this development's chain, earliest first (this one included)."""
        earlier: list[Development] = []
        stage = self.follows
        while stage is not None and stage not in earlier and stage != self:
            earlier.insert(0, stage)
            stage = stage.follows
        later: list[Development] = []
        frontier = [self]
        while frontier:
            nxt = list(
                Development.objects.filter(follows__in=frontier).exclude(
                    pk__in=[d.pk for d in earlier + later + [self]]
                )
            )
            later.extend(nxt)
            frontier = nxt
        return [*earlier, self, *sorted(later, key=lambda d: (d.date, d.pk))]


class LinkQuerySet(models.QuerySet):
    """Rows that hang on a development: its actors, citations and evidence."""

    def published(self):
        """Only rows whose development passed review."""
        return self.filter(development__published=True)


_LinkManagerBase = models.Manager.from_queryset(LinkQuerySet)


class DevelopmentActorManager(_LinkManagerBase):
    def get_by_natural_key(self, development_key, actor_code):
        return self.get(development__key=development_key, actor__code=actor_code)


class DevelopmentActor(models.Model):
    """An actor's part in a development.

    An explicit link, rather than Django's implicit one, so that an actor in
    use cannot be deleted (PROTECT) and silently drop out of the record.
    """

    development = models.ForeignKey(Development, on_delete=models.CASCADE)
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT)

    history = HistoricalRecords()
    objects = DevelopmentActorManager()

    class Meta:
        verbose_name = "development actor"
        constraints = [
            models.UniqueConstraint(
                fields=["development", "actor"], name="tracker_developmentactor_unique"
            ),
        ]
        indexes = [
            # The actor pages and the actor filter find developments by actor.
            models.Index(fields=["actor", "development"], name="tracker_devactor_actor_idx"),
        ]

    def __str__(self):
        return f"{self.actor.code} in {self.development.key}"

    def natural_key(self):
        return (*self.development.natural_key(), *self.actor.natural_key())

    natural_key.dependencies = ["tracker.development", "tracker.actor"]  # type: ignore[attr-defined]


class CitationManager(_LinkManagerBase):
    def get_by_natural_key(self, development_key, source_key):
        return self.get(development__key=development_key, source__key=source_key)


class Citation(TimeStamped):
    """A development's source, with an optional short quote or locator."""

    development = models.ForeignKey(
        Development, on_delete=models.CASCADE, related_name="citations"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField(blank=True, help_text="A short passage that supports the record.")
    locator = models.CharField(
        max_length=100, blank=True, help_text="Page, paragraph or section, e.g. 'p. 12'."
    )

    history = HistoricalRecords()
    objects = CitationManager()

    class Meta:
        ordering = ["development", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["development", "source"],
                name="tracker_citation_unique",
                violation_error_message="This source is already cited for the development.",
            ),
        ]

    def __str__(self):
        return f"{self.development.key} cites {self.source.key}"

    def natural_key(self):
        return (*self.development.natural_key(), *self.source.natural_key())

    natural_key.dependencies = ["tracker.development", "tracker.source"]  # type: ignore[attr-defined]


# --- Evidence and assessments ---------------------------------------------------


@dataclass(frozen=True)
class LinkResult:
    created: int
    existing: int


class EvidenceManager(_LinkManagerBase):
    def get_by_natural_key(self, development_key, recommendation_code):
        return self.get(development__key=development_key, recommendation__code=recommendation_code)

    @transaction.atomic
    def link(
        self, developments, recommendation, stance, strength, rationale, created_by=None
    ) -> LinkResult:
        """Make each development evidence for the recommendation, once.

        Developments already linked to it keep their link as it is.
        """
        development_ids = set(developments.values_list("pk", flat=True))
        existing = set(
            self.filter(
                recommendation=recommendation, development_id__in=development_ids
            ).values_list("development_id", flat=True)
        )
        new = sorted(development_ids - existing)
        self.bulk_create(
            [
                self.model(
                    development_id=development_id,
                    recommendation=recommendation,
                    stance=stance,
                    strength=strength,
                    rationale=rationale,
                    created_by=created_by,
                )
                for development_id in new
            ],
            # Another editor may link the same pair meanwhile: theirs stands.
            ignore_conflicts=True,
        )
        DataVersion.objects.bump()  # bulk_create sends no signals
        from tracker import figures  # (it reads these models)

        figures.refresh(new)  # their points
        # Nor does it write history: give each new link its first version.
        Evidence.history.bulk_history_create(
            list(self.filter(recommendation=recommendation, development_id__in=new)),
            default_user=created_by,
            default_change_reason="Linked by the bulk action",
        )
        return LinkResult(created=len(new), existing=len(existing))


class EvidenceStance(models.TextChoices):
    """Whether a development advances or hinders a recommendation."""

    ADVANCES = "advances", "Advances"
    HINDERS = "hinders", "Hinders"


class EvidenceStrength(models.IntegerChoices):
    """How much a development counts for or against a recommendation."""

    WEAK = 1, "1 – weak"
    MODERATE = 2, "2 – moderate"
    STRONG = 3, "3 – strong"


class EvidenceConfidence(models.TextChoices):
    """How sure the coder is that the development bears on the recommendation as coded."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Evidence(TimeStamped):
    """A development counted for or against a recommendation."""

    Stance = EvidenceStance
    Strength = EvidenceStrength
    Confidence = EvidenceConfidence

    development = models.ForeignKey(Development, on_delete=models.CASCADE, related_name="evidence")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="evidence"
    )
    stance = models.CharField(max_length=10, choices=Stance.choices)
    strength = models.PositiveSmallIntegerField(
        choices=Strength.choices, default=Strength.MODERATE
    )
    confidence = models.CharField(
        max_length=6,
        choices=Confidence.choices,
        default=Confidence.MEDIUM,
        help_text="High: the sources say so in as many words. Medium: a fair reading of "
        "them. Low: an inference others could dispute.",
    )
    rationale = models.TextField(help_text="Why this development advances or hinders it.")
    # The link's points as the reports count them today (methodology.points), or
    # NULL while it does not count (a draft, or a stage a later one replaces). Kept
    # current by tracker/figures.py in the transaction of every write it depends
    # on, so report figures are sums of one column; not part of the audit trail.
    points = models.FloatField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["points"])
    objects = EvidenceManager()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["recommendation", "development"]
        constraints = [
            models.UniqueConstraint(
                fields=["development", "recommendation"],
                name="tracker_evidence_one_per_pair",
                violation_error_message="This development is already evidence for that "
                "recommendation.",
            ),
            models.CheckConstraint(
                condition=Q(
                    strength__gte=min(EvidenceStrength.values),
                    strength__lte=max(EvidenceStrength.values),
                ),
                name="tracker_evidence_strength_range",
                violation_error_message="Strength is 1 (weak), 2 (moderate) or 3 (strong).",
            ),
            models.CheckConstraint(
                condition=Q(stance__in=EvidenceStance.values),
                name="tracker_evidence_stance_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=EvidenceConfidence.values),
                name="tracker_evidence_confidence_valid",
            ),
            models.CheckConstraint(
                condition=~Q(rationale=""),
                name="tracker_evidence_rationale_not_empty",
            ),
        ]
        indexes = [
            # Recommendation pages and progress figures read evidence per recommendation.
            models.Index(fields=["recommendation", "stance"], name="tracker_evidence_rec_idx"),
        ]

    def __str__(self):
        return f"{self.development.key} {self.stance} {self.recommendation.code}"

    def natural_key(self):
        return (*self.development.natural_key(), *self.recommendation.natural_key())

    natural_key.dependencies = ["tracker.development", "tracker.recommendation"]  # type: ignore[attr-defined]


class AssessmentQuerySet(PublishedQuerySet["Assessment"]):
    def chronological(self):
        """Oldest judgement first, the order in which a stalled status looks back."""
        return self.order_by("assessed_on")


_AssessmentManagerBase = models.Manager.from_queryset(AssessmentQuerySet)


class AssessmentManager(_AssessmentManagerBase):
    def get_by_natural_key(self, recommendation_code, assessed_on):
        return self.get(recommendation__code=recommendation_code, assessed_on=assessed_on)


class AssessmentStatus(models.TextChoices):
    """How far a recommendation is implemented (see Assessment)."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBSTANTIAL = "substantial", "Substantially implemented"
    IMPLEMENTED = "implemented", "Implemented"
    STALLED = "stalled", "Stalled"
    NOT_IMPLEMENTED = "not_implemented", "Not implemented"


class AssessmentReason(models.TextChoices):
    """Why a recommendation stalled or was not implemented."""

    NO_MAJORITY = "no_political_majority", "No political majority"
    NOT_PRIORITISED = "not_prioritised", "Not prioritised"
    CHANGED_COURSE = "changed_course", "Changed course"
    NO_RESOURCES = "no_resources", "No resources"
    EXTERNAL_EVENTS = "external_events", "Overtaken by external events"
    OTHER = "other", "Other"


# The statuses that need a reason why the recommendation stopped; no other takes one.
STOPPED_STATUSES = [AssessmentStatus.STALLED, AssessmentStatus.NOT_IMPLEMENTED]


class Assessment(Publishable, TimeStamped):
    """An analyst's dated judgement of how far a recommendation is implemented.

    The history is kept; the latest is current. Statuses follow the scales of
    PolitiFact, the Open Government Partnership and the GAO.
    """

    Status = AssessmentStatus
    Reason = AssessmentReason

    NEEDS_REASON = tuple(STOPPED_STATUSES)

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(
        max_length=30,
        choices=Reason.choices,
        blank=True,
        help_text="Required when the status is stalled or not implemented, and only then.",
    )
    rationale = models.TextField()

    history = HistoricalRecords()
    objects = AssessmentManager()

    class Meta:
        ordering = ["recommendation", "-assessed_on"]
        get_latest_by = "assessed_on"
        constraints = [
            models.CheckConstraint(
                condition=Q(assessed_on__gte=dates.EARLIEST, assessed_on__lte=dates.LATEST),
                name="tracker_assessment_date_plausible",
                violation_error_message=dates.RANGE_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=["recommendation", "assessed_on"],
                name="tracker_assessment_one_per_day",
                violation_error_message="This recommendation already has an assessment "
                "on that date.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values),
                name="tracker_assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=STOPPED_STATUSES) & ~Q(reason="")
                    | ~Q(status__in=STOPPED_STATUSES) & Q(reason="")
                ),
                name="tracker_assessment_reason_iff_stopped",
                violation_error_message="A stalled or not-implemented status needs a "
                "reason, and only those do.",
            ),
            models.CheckConstraint(
                condition=~Q(rationale=""),
                name="tracker_assessment_rationale_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.recommendation.code} {self.get_status_display()} ({self.assessed_on})"

    def natural_key(self):
        return (*self.recommendation.natural_key(), self.assessed_on.isoformat())

    natural_key.dependencies = ["tracker.recommendation"]  # type: ignore[attr-defined]

    def clean(self):
        if self.assessed_on and not dates.EARLIEST <= self.assessed_on <= dates.LATEST:
            raise ValidationError({"assessed_on": dates.RANGE_MESSAGE})
        if self.status in self.NEEDS_REASON and not self.reason:
            raise ValidationError(
                {"reason": f"Say why the recommendation is {self.get_status_display().lower()}."}
            )
        if self.status not in self.NEEDS_REASON and self.reason:
            raise ValidationError(
                {"reason": "Only a stalled or not-implemented status takes a reason."}
            )


# --- Frozen snapshots -----------------------------------------------------------------


class FrozenError(Exception):
    """A snapshot was asked to change: it never does."""


class SnapshotManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Snapshot(models.Model):
    """The dashboard's figures and every counted evidence link with its coding, as
    they stood when an editor took it, under the methodology of that moment: a
    record an analyst can cite, which never changes (tracker/snapshots.py)."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    methodology = models.CharField("methodology version", max_length=20)
    figures = models.JSONField(help_text="One object per recommendation, as the dashboard had it.")
    links = models.JSONField(help_text="Every counted evidence link, with its coding and points.")

    objects = SnapshotManager()

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise FrozenError(f"Snapshot {self.slug!r} is frozen: take a new one instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tracker:snapshot-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


# --- Proposed changes to published records ---------------------------------------------


class ProposalKind(models.TextChoices):
    """The sort of record a proposal changes."""

    DEVELOPMENT = "development", "Development"
    ASSESSMENT = "assessment", "Assessment"


class ProposalAction(models.TextChoices):
    """Whether a proposal changes its record or deletes it."""

    CHANGE = "change", "Change"
    DELETE = "delete", "Deletion"


class ProposalState(models.TextChoices):
    """Where a proposal stands in review."""

    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ProposalQuerySet(models.QuerySet):
    def pending(self):
        """Proposals that wait for review."""
        return self.filter(state=ProposalState.PENDING)


class Proposal(models.Model):
    """A change to a published record that waits for review (see tracker/review.py).

    The live record stays as it is (reports, exports and feeds read only live
    rows) until another editor or an administrator approves the change. `before`
    holds the record as it stood when the change was proposed and `after` the
    record as proposed (none for a deletion), each in the shape review.py gives
    it: a development with its actors, citations and evidence, or an assessment.
    """

    Kind = ProposalKind
    Action = ProposalAction
    State = ProposalState

    kind = models.CharField(max_length=20, choices=Kind.choices)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.CHANGE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    development = models.ForeignKey(
        Development, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    subject = models.CharField(max_length=300, help_text="What the change is to, as it was.")
    before = models.JSONField()
    after = models.JSONField(null=True, blank=True)
    via = models.CharField(max_length=200, help_text="Where the change was made.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = "proposed change"
        verbose_name_plural = "review queue"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProposalKind.values),
                name="tracker_proposal_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(action=ProposalAction.CHANGE, after__isnull=False)
                | Q(action=ProposalAction.DELETE, after__isnull=True),
                name="tracker_proposal_after_iff_change",
            ),
            models.CheckConstraint(
                condition=Q(state=ProposalState.PENDING, reviewed_at__isnull=True)
                | Q(
                    state__in=[ProposalState.APPROVED, ProposalState.REJECTED],
                    reviewed_at__isnull=False,
                ),
                name="tracker_proposal_reviewed_iff_decided",
            ),
        ]
        indexes = [
            # The review queue lists what waits, newest first.
            models.Index(fields=["state", "-proposed_at"], name="tracker_proposal_queue_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} of {self.subject}"

    def may_be_reviewed_by(self, user) -> bool:
        """Anyone who may change the record, but not who proposed the change."""
        if self.proposed_by_id == user.pk:
            return False
        model = "development" if self.kind == self.Kind.DEVELOPMENT else "assessment"
        return user.is_superuser or user.has_perm(f"tracker.change_{model}")


# --- Uploads waiting for confirmation -------------------------------------------------


class PendingImportQuerySet(models.QuerySet):
    def expired(self):
        """Uploads left unconfirmed for longer than PendingImport.LIFETIME."""
        return self.filter(created_at__lt=timezone.now() - PendingImport.LIFETIME)


class PendingImport(models.Model):
    """A file uploaded in the admin, previewed and waiting for the editor to confirm.

    Kept in the database, not on one server's disk or memory, so that the
    confirmation may reach any instance of the app. Unconfirmed uploads expire
    after a day and are deleted (at the next visit to the import page).

    The file is kept gzip-compressed: measured on a 50 MB CSV, storing it as it
    came took a worker to 217 MB (the database driver copies what it writes);
    compressed as it is read, the worker stays near 100 MB.
    """

    LIFETIME = datetime.timedelta(days=1)

    name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4)
    content = models.BinaryField()
    fingerprint = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.created_at:%Y-%m-%d %H:%M})"

    def keep(self, stream) -> None:
        """Store the file `stream` holds, compressed as it is read."""
        compressed = io.BytesIO()
        stream.seek(0)
        with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=1, mtime=0) as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        self.content = compressed.getvalue()

    def open(self) -> IO[bytes]:
        """The stored file, to read (and seek back to its start) as the upload was."""
        # A binary file at run time; typeshed does not declare GzipFile an IO[bytes].
        return cast(IO[bytes], gzip.GzipFile(fileobj=io.BytesIO(bytes(self.content)), mode="rb"))


# --- Today's figures, kept by tracker/figures.py --------------------------------------


class RecommendationTally(models.Model):
    """A recommendation's figures as the reports count them today: its counted links
    and their balance, its latest published status, and the links dated since.

    Derived data: tracker/figures.py recomputes a recommendation's row in the
    transaction of every write that changes it, so the portfolio and dashboards
    read a row per recommendation instead of every link. Neither audited nor
    backed up (a restore computes it again); `manage.py refresh_figures --check`
    compares it with a fresh count.
    """

    recommendation = models.OneToOneField(
        Recommendation, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    advancing = models.PositiveIntegerField(default=0)
    hindering = models.PositiveIntegerField(default=0)
    net_score = models.FloatField(default=0)
    last_evidence = models.DateField(null=True)
    status = models.CharField(max_length=20, blank=True)  # "" while not assessed
    assessed_on = models.DateField(null=True)
    links_since_assessment = models.PositiveIntegerField(default=0)
    balance_since_assessment = models.FloatField(default=0)

    def __str__(self):
        return f"Figures of {self.recommendation_id}"


class ActorTally(models.Model):
    """An actor's figures as the actors' list counts them today: its counted
    developments, their advancing and hindering links and net score. Kept like
    RecommendationTally."""

    actor = models.OneToOneField(
        Actor, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    development_count = models.PositiveIntegerField(default=0)
    advancing = models.PositiveIntegerField(default=0)
    hindering = models.PositiveIntegerField(default=0)
    net_score = models.FloatField(default=0)

    def __str__(self):
        return f"Figures of {self.actor_id}"


# --- The version reports are cached under ---------------------------------------------


def _bumped():
    """Marks, among a transaction's on-commit callbacks, that it bumped the version."""


class DataVersionManager(models.Manager):
    def current(self) -> int:
        return self.filter(pk=1).values_list("version", flat=True).first() or 0

    def bump(self, once_per_transaction: bool = False) -> None:
        """Raise the version: cached figures are stale from this transaction's commit on.

        Inside the transaction, so readers see the new version and the new data
        together, and a rollback takes the bump back with the change. Writers
        of many rows in one transaction (loaddata) ask for one bump in all.
        """
        connection = transaction.get_connection(self.db)
        if once_per_transaction and connection.in_atomic_block:
            if any(callback is _bumped for _, callback, _ in connection.run_on_commit):
                return
            transaction.on_commit(_bumped, using=self.db)
        if not self.filter(pk=1).update(version=models.F("version") + 1):
            # The row is gone (a test database flushed): start again, above any old key.
            self.update_or_create(
                pk=1, defaults={"version": int(timezone.now().timestamp() * 1000)}
            )


class DataVersion(models.Model):
    """One row whose number goes up in every transaction that changes what reports
    read. Cached report figures are keyed by it (see tracker/caching.py)."""

    version = models.BigIntegerField(default=0)

    objects = DataVersionManager()

    def __str__(self):
        return f"Data version {self.version}"


# --- Corrections to published judgements ------------------------------------------------


class CorrectionKind(models.TextChoices):
    """How a published judgement changed (see tracker/corrections.py)."""

    ADDED = "added", "Link added"
    REMOVED = "removed", "Link removed"
    RECODED = "recoded", "Link recoded"
    STATUS = "status", "Status changed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Correction(models.Model):
    """One change to a published judgement: an evidence link's coding (stance,
    strength, confidence), a link added to or removed from a published development,
    an assessment's status, or the whole record withdrawn. Written in the same
    transaction as the change, with its reason; never edited afterwards.

    `before` and `after` hold the coding as it was and as it became (none where
    there was none): {stance, strength, confidence} or {status, reason}."""

    Kind = CorrectionKind

    made_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="corrections"
    )
    development = models.ForeignKey(
        Development, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300, help_text="What was changed, as it was then.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-made_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CorrectionKind.values),
                name="tracker_correction_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="tracker_correction_reason_not_empty",
                violation_error_message="A change to a published judgement needs a reason.",
            ),
        ]
        indexes = [
            # The corrections log of one recommendation, newest first.
            models.Index(fields=["recommendation", "-made_at"], name="tracker_correction_rec_idx"),
        ]

    def __str__(self):
        return f"{self.recommendation.code}: {self.get_kind_display()} ({self.subject})"


# --- Background jobs: admin imports and exports run by a worker -----------------------


class BackgroundJobKind(models.TextChoices):
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"


class BackgroundJobState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BackgroundJobQuerySet(models.QuerySet["BackgroundJob"]):
    def visible_to(self, user):
        """The jobs a user may follow: their own; an administrator's, everyone's."""
        return self if user.is_superuser else self.filter(created_by=user)

    def unfinished(self):
        return self.filter(state__in=[BackgroundJobState.QUEUED, BackgroundJobState.RUNNING])


class BackgroundJob(models.Model):
    """An admin import or export run by a worker process (tracker/jobs.py), with its
    progress and its result, for the admin's job page.

    An import's result is written in the import's own transaction, so a job that
    says "done" was imported, and one whose worker died mid-way imported nothing.
    The upload stays in `pending` until the import succeeds, for a retry."""

    Kind = BackgroundJobKind
    State = BackgroundJobState

    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    name = models.CharField(max_length=255, help_text="The file imported, or the export's.")
    file_format = models.CharField(max_length=4)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=300, blank=True, help_text="host:pid of the worker.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=20, blank=True)
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    # An import's upload, kept until it is imported; an editor's import writes drafts.
    pending = models.ForeignKey(
        PendingImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    publish = models.BooleanField(default=False)
    include_drafts = models.BooleanField(default=False)  # an export's
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="exports/", blank=True)

    objects = BackgroundJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BackgroundJobKind.values),
                name="tracker_backgroundjob_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=BackgroundJobState.values),
                name="tracker_backgroundjob_state_valid",
            ),
        ]

    def __str__(self):
        verb = "Import of" if self.kind == BackgroundJobKind.IMPORT else "Export to"
        return f"{verb} {self.name}"

    def get_absolute_url(self):
        return reverse("admin:tracker_backgroundjob_change", args=[self.pk])
