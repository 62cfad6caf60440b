"""Django's loaddata, which also gives every loaded row its first version in the audit trail,
and loads the fixtures it is given in the order their rows depend on each other."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import suppress

from django.apps import apps
from django.core import serializers
from django.core.management.commands.loaddata import READ_STDIN
from django.core.management.commands.loaddata import Command as LoaddataCommand
from django.db.models import Model

from tracker import figures
from tracker.audit import first_versions_for_loaded_rows

# What names a row's model in each of Django's fixture formats: "model": "app.model" in
# JSON and JSON lines, model: app.model in YAML, model="app.model" in XML.
MODEL_NAME = re.compile(r"""\bmodel["']?\s*[:=]\s*["']?(\w+\.\w+)""")


class Command(LoaddataCommand):
    help = (
        f"{LoaddataCommand.help} Rows that arrive without a version in the audit "
        "trail (the seed, a backup without history) get one: 'Loaded from a fixture'. "
        "Several fixtures load in the order their rows depend on each other, so "
        "`loaddata fixtures/*.json` loads the reference data before what refers to it."
    )

    def loaddata(self, fixture_labels):
        # Inside loaddata's own transaction, once every fixture is in.
        with first_versions_for_loaded_rows(self.using):
            super().loaddata(self.in_dependency_order(fixture_labels))
            figures.refresh_all()  # raw saves send no refresh of each link's points

    def in_dependency_order(self, labels: Sequence[str]) -> Sequence[str]:
        """The labels, each after those whose models its rows point at, otherwise as given.

        A row can point only at a row already loaded: a development whose kind comes in
        a later file is saved without one, which the database refuses. So a fixture
        holding rows of a model that points at a model it does not hold itself (the
        developments of pollmann-2023.json point at the kinds of reference.json) loads
        after the fixtures that hold that model. Fixtures that point at each other keep
        the order they were given in."""
        if len(labels) < 2 or READ_STDIN in labels:
            return labels
        # Set by Django's loaddata, which has not run yet; find_fixtures needs it.
        self.serialization_formats = serializers.get_public_serializer_formats()
        held = {label: self.models_held(label) for label in labels}
        needs = {label: _pointed_at(held[label]) - held[label] for label in labels}
        ordered: list[str] = []
        waiting = list(labels)
        while waiting:
            ready = next(
                (
                    label
                    for label in waiting
                    if not any(needs[label] & held[other] for other in waiting if other != label)
                ),
                waiting[0],  # a cycle: as given
            )
            ordered.append(ready)
            waiting.remove(ready)
        return ordered

    def models_held(self, label: str) -> set[type[Model]]:
        """The models whose rows the fixture files of this label hold (read, not loaded)."""
        models = set()
        for fixture_file, _, _ in self.find_fixtures(label):
            _, _, compression = self.parse_name(os.path.basename(fixture_file))
            # (open, mode): django-stubs type each entry as a tuple of one.
            open_method, mode = self.compression_formats[compression]  # type: ignore[misc]
            with open_method(fixture_file, mode) as fixture:
                for line in fixture:
                    text = line.decode(errors="replace") if isinstance(line, bytes) else line
                    for name in MODEL_NAME.findall(text):
                        # Not a model: loading the fixture will say so.
                        with suppress(LookupError, ValueError):
                            models.add(apps.get_model(name))
        return models


def _pointed_at(models: set[type[Model]]) -> set[type[Model]]:
    """The models that rows of these models point at (foreign keys, many-to-many)."""
    return {
        field.related_model
        for model in models
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is not None
    }
