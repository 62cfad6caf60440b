"""The audit trail: first versions of loaded rows, and restoring deleted developments.

Every change to developments, their actors, citations and evidence, sources and
assessments is recorded by django-simple-history (who, when, old and new
values); the admin's History button shows it and can revert to an earlier
version. A deleted development takes its actors, citations and evidence with it;
`restore_development` brings all of them back as they were.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models.signals import post_save
from simple_history.utils import get_history_manager_for_model

from tracker import corrections, review
from tracker.models import CHUNK_SIZE, Citation, Development, DevelopmentActor, Evidence

# Links deleted with their development are recorded within moments of it.
CASCADE_WINDOW = datetime.timedelta(minutes=1)


class RestoreError(Exception):
    pass


# The rows loaddata writes, by model, while `first_versions_for_loaded_rows` runs;
# a model whose history rows come along (a backup) maps to None: its history stands.
_loading: ContextVar[dict[type, list | None] | None] = ContextVar("tracker_loading", default=None)


def _note_loaded_row(sender, instance, raw=False, **kwargs):
    loaded = _loading.get()
    if not raw or loaded is None:
        return
    tracked = getattr(sender, "instance_type", None)  # set on django-simple-history's models
    if tracked is not None:
        loaded[tracked] = None
    elif hasattr(sender._meta, "simple_history_manager_attribute"):
        pks = loaded.setdefault(sender, [])
        if pks is not None:
            pks.append(instance.pk)


@contextmanager
def first_versions_for_loaded_rows(using: str = DEFAULT_DB_ALIAS):
    """Give every row loaded meanwhile (the seed, a restored backup) that has no
    version in the audit trail a first one, once everything is loaded.

    django-simple-history records nothing for fixtures (they save raw), so the
    first edit of a seed row would leave no copy of its original text. Rows a
    backup brings with their own history (loaded before or after them) keep it:
    their ids may have changed on the way (natural keys), so theirs are not
    matched row by row.
    """
    loaded: dict[type[models.Model], list | None] = {}
    token = _loading.set(loaded)
    try:
        yield
    finally:
        _loading.reset(token)
    for model, pks in loaded.items():
        if pks is None:
            continue
        history = get_history_manager_for_model(model).db_manager(using)
        for start in range(0, len(pks), CHUNK_SIZE):
            batch = pks[start : start + CHUNK_SIZE]
            versioned = set(history.filter(id__in=batch).values_list("id", flat=True))
            rows = model._default_manager.db_manager(using).filter(
                pk__in=[pk for pk in batch if pk not in versioned]
            )
            history.bulk_history_create(list(rows), default_change_reason="Loaded from a fixture")


def connect_signals() -> None:
    post_save.connect(_note_loaded_row, dispatch_uid="tracker.audit.note_loaded_row")


def deleted_developments():
    """The deletion records of developments that are still gone, newest first."""
    return (
        Development.history.filter(history_type="-")
        .exclude(id__in=Development.objects.values("pk"))
        .select_related("history_user")
        .order_by("-history_date")
    )


@transaction.atomic
def restore_development(history_id: int, user=None, publish: bool = True) -> Development:
    """Bring back a deleted development, with the links deleted along with it.

    With `publish` False (an editor's restore) it comes back as a draft, which
    another editor or an administrator must publish before reports count it.
    """
    record = Development.history.filter(history_id=history_id, history_type="-").first()
    if record is None:
        raise RestoreError("There is no such deleted development.")
    if Development.objects.filter(pk=record.id).exists():
        raise RestoreError("This development has already been restored.")
    if Development.objects.filter(key=record.key).exists():
        raise RestoreError(f"Another development now has the key '{record.key}'.")
    development = record.instance
    if not publish:
        development.published, development.drafted_by = False, user
    development._history_user = user
    development._change_reason = f"Restored (deleted {record.history_date:%Y-%m-%d %H:%M})"
    development.save(force_insert=True)
    window = (record.history_date - CASCADE_WINDOW, record.history_date + CASCADE_WINDOW)
    for model in (DevelopmentActor, Citation, Evidence):
        deletions = model.history.filter(
            development_id=record.id, history_type="-", history_date__range=window
        ).order_by("id", "-history_date")
        seen = set()
        for link in deletions:
            if link.id in seen or model.objects.filter(pk=link.id).exists():
                continue
            seen.add(link.id)
            instance = link.instance
            instance._history_user = user
            instance._change_reason = development._change_reason
            instance.save(force_insert=True)
    if development.published:  # its links count again: the corrections log says so
        after = review.development_record(development)
        corrections.record(
            corrections.changes({**after, "evidence": []}, after),
            reason=f"{development._change_reason}, by {user or 'a command'}",
            made_by=user,
            development_id=development.pk,
        )
    return development
