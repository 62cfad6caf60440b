"""Report figures cached through Django's cache framework, and never stale.

Aggregating 250,000 evidence links takes the better part of a second; reading
the result from the cache takes a millisecond. Every cached value is keyed by the
data version, a number in the database (`DataVersion`) that goes up in the same
transaction as any change to what reports read:

- every save and delete of the tracker's models bumps it through signals, before
  the row is written, so writers take the version row's lock first and in the
  same order (no deadlock between two of them);
- writers in bulk (imports, demo data, the bulk link action) call
  `DataVersion.objects.bump()` themselves, since bulk writes send no signals.

A report reads the version with one small query. So every worker and every
instance sees a change at once, whether the cache is each process's local memory
(the default) or a Redis all instances share (`REDIS_URL`). A change rolled back
rolls its bump back with it.

The cache only saves work: when Redis does not answer (within the short timeouts
set in settings), figures are computed as if nothing were cached, with a warning
in the log, and pages go on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, pre_delete, pre_save
from redis.exceptions import RedisError

from tracker.models import DataVersion, Development

log = logging.getLogger(__name__)

T = TypeVar("T")
MISSING = object()
# What Django's Redis cache raises when Redis is down, slow or refuses: the
# local-memory cache raises nothing of the kind.
CACHE_ERRORS = (RedisError,)

# Every model of the app is read by some report, but these: the version itself,
# uploads waiting for confirmation, proposed changes (reports read only live rows)
# and the audit trail's copies of rows.
UNREPORTED = {"DataVersion", "PendingImport", "Proposal"}
REPORTED: set[type] = set()


# The code that makes the cached figures: a release that changes them (their shape,
# their rules) reads none of an earlier release's entries from a shared cache.
CODE = hashlib.sha256(
    b"".join(
        (Path(__file__).with_name(module)).read_bytes()
        for module in ("progress.py", "methodology.py", "snapshots.py")
    )
).hexdigest()[:10]


def cached(name: str, compute: Callable[[], T], *parts) -> T:
    """compute(), or its result for the same name, parts, data version and code."""
    version = DataVersion.objects.current()
    key = ":".join(["tracker", CODE, name, f"v{version}", *map(str, parts)])
    try:
        value = cache.get(key, MISSING)
    except CACHE_ERRORS as exc:
        log.warning("Cache unavailable, computing %s without it: %s", name, exc)
        return compute()
    if value is MISSING:
        value = compute()
        try:
            cache.set(key, value, settings.TRACKER_CACHE_SECONDS)
        except CACHE_ERRORS as exc:
            log.warning("Cache unavailable, %s not kept: %s", name, exc)
    return value


def cache_answers() -> bool:
    """Whether the cache answers a read (for the health check)."""
    try:
        cache.get("tracker:health")
    except CACHE_ERRORS:
        return False
    return True


def _on_write(sender, using=DEFAULT_DB_ALIAS, raw=False, **kwargs):
    if sender in REPORTED:
        # loaddata saves rows one by one (raw): one bump for the whole fixture.
        DataVersion.objects.db_manager(using).bump(once_per_transaction=raw)


def _on_links(sender, action, using=DEFAULT_DB_ALIAS, **kwargs):
    if action.startswith("pre_"):
        DataVersion.objects.db_manager(using).bump()


def connect_signals() -> None:
    REPORTED.update(
        model
        for model in apps.get_app_config("tracker").get_models()
        if model.__name__ not in UNREPORTED and not model.__name__.startswith("Historical")
    )
    pre_save.connect(_on_write, dispatch_uid="tracker.caching.pre_save")
    pre_delete.connect(_on_write, dispatch_uid="tracker.caching.pre_delete")
    for through in (Development.actors.through, Development.sources.through):
        m2m_changed.connect(_on_links, sender=through, dispatch_uid=f"tracker.caching.{through}")
