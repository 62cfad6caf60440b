"""Measure report pages, the admin changelist, the CSV export and its baseline on
the database DATABASE_URL names; print the figures as JSON. Run by run.py.

    DATABASE_URL=... python benchmarks/pages.py --runs 5 [--explain]

Each page is requested through Django's test client (the whole stack but the
network: middleware, sessions, templates), signed in as an administrator:
- once with an empty cache (`cold`: figures computed, the worst case), with its
  query count; again so, for its peak Python memory (tracemalloc);
- then `--runs` times as readers get it (`times`), with its query count.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from tracker.models import (  # noqa: E402
    CHUNK_SIZE,
    Development,
    Evidence,
    Framework,
    Recommendation,
)
from tracker.tables import joined_actor_codes, joined_evidence_codes  # noqa: E402

BASELINE = "admin changelist, page 1"


def pages(developments: int) -> list[tuple[str, str]]:
    """The pages measured: every report page, on a framework and a recommendation in
    the middle of the portfolio."""
    last_page = min(400, developments // 25)
    frameworks = list(Framework.objects.order_by("year", "code").values_list("code", flat=True))
    framework = frameworks[len(frameworks) // 2]
    recommendation = (
        Recommendation.objects.filter(framework__code=framework).order_by("ordinal").first()
    )
    portfolio_pages = -(-len(frameworks) // 20)
    return [
        (BASELINE, "/admin/tracker/development/"),
        ("portfolio", "/"),
        (f"portfolio, page {portfolio_pages}", f"/?page={portfolio_pages}"),
        ("portfolio, search", "/?q=framework+1"),
        ("framework dashboard", f"/frameworks/{framework}/"),
        ("recommendation page", recommendation.get_absolute_url()),
        ("explorer, page 1", "/developments/"),
        (f"explorer, page {last_page}", f"/developments/?page={last_page}"),
        ("explorer, text search", "/developments/?q=cyber+defence"),
        ("explorer, actor + kind", "/developments/?actor=EU&kind=exercise"),
        ("matrix", f"/reports/matrix/?framework={framework}"),
        ("timeline", f"/timeline/?framework={framework}"),
        ("actors", "/actors/"),
        ("actors by net score", "/actors/?sort=-net_score"),
        ("actor page", "/actors/EU/"),
        # The read API (tracker/api/): cursor pages stay as fast deep in the list.
        ("API developments, page 1", "/api/v1/developments/"),
        ("API developments, deep cursor", api_deep_cursor(developments)),
        ("API developments, actor + kind", "/api/v1/developments/?actor=EU&kind=exercise"),
        ("API evidence, page 1", "/api/v1/evidence/"),
        ("API recommendations", "/api/v1/recommendations/"),
    ]


def api_deep_cursor(developments: int) -> str:
    """The API's page of developments after the date of the 1,000th row from the end,
    as a client following each page's `next` reaches it (REST framework's cursor: the
    last date read, base64-encoded). Not the very last rows: many share the first
    day of the earliest year, and a cursor starts after its date."""
    position = (
        Development.objects.filter(published=True)
        .order_by("-date", "title", "id")
        .values_list("date", flat=True)[max(developments - 1000, 0)]
    )
    cursor = base64.b64encode(urlencode({"p": position.isoformat()}).encode()).decode()
    return f"/api/v1/developments/?{urlencode({'cursor': cursor})}"


def edit() -> None:
    """One editor's change: a link's strength, saved as the admin saves it (its
    signals raise the data version, so every cached figure is computed again)."""
    link = Evidence.objects.order_by("pk").first()
    link.strength = 1 if link.strength != 1 else 2
    link.save()


class Sink:
    """Where the CSV goes: nowhere, so that writing costs the same for both."""

    def write(self, text):
        return len(text)


def read(client: Client, url: str) -> int:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


class Queries:
    """The queries a block makes (connection.execute_wrapper; Django's own query
    log is emptied at the start of every request, mid-measurement)."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)

    def __enter__(self):
        self.statements = []
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __len__(self):
        return len(self.statements)


def measure(name: str, run, runs: int, after_edits: bool = True) -> dict:
    cache.clear()
    with Queries() as cold_queries:
        started = time.perf_counter()
        size = run()
        cold = time.perf_counter() - started
    cache.clear()
    tracemalloc.start()  # on a run of its own: it slows Python down severalfold
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(runs):
        with Queries() as queries:
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    after_edit = []  # the first request after one edit, as readers meet it
    for _ in range(runs if after_edits else 0):
        edit()
        started = time.perf_counter()
        run()
        after_edit.append(time.perf_counter() - started)
    return {
        "after_edit": statistics.median(after_edit) if after_edit else None,
        "name": name,
        "cold": cold,
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "queries": len(queries),
        "cold_queries": len(cold_queries),
        "peak_mb": peak / 2**20,
        "bytes": size,
    }


def same_rows_from_values_list() -> int:
    """The baseline: csv writing the export's rows from one plain values_list(),
    actors and evidence joined in SQL by the database's own string aggregate."""
    rows = (
        Development.objects.filter(published=True)
        .order_by("-date", "title")
        .annotate(
            actor_codes=joined_actor_codes("tracker_development.id"),
            links=joined_evidence_codes("tracker_development.id"),
        )
        .values_list("date", "title", "kind__name", "status", "actor_codes", "links")
    )
    writer = csv.writer(Sink())
    written = writer.writerow(["Date", "Title", "Kind", "Status", "Actors", "Evidence"])
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        written += writer.writerow(row)
    return written


def explain(client: Client, url: str) -> list[str]:
    """PostgreSQL's plan of each query the page makes on tracker tables, computed."""
    cache.clear()
    with Queries() as queries:
        client.get(url)
    plans = []
    with connection.cursor() as cursor:
        for sql, params in queries.statements:
            if "tracker_" not in sql or "tracker_dataversion" in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
            plan = "\n".join(line for (line,) in cursor.fetchall())
            plans.append(f"-- {sql[:160]}…\n{plan}")
    return plans


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    options = parser.parse_args()

    user, _ = get_user_model().objects.update_or_create(
        username="benchmark", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    developments = Development.objects.count()
    results = [
        measure(name, lambda url=url: read(client, url), options.runs)
        for name, url in pages(developments)
    ]
    results.append(
        measure(
            "CSV export of the explorer",
            lambda: read(client, "/developments/?_export=csv"),
            max(2, options.runs // 2),
            after_edits=False,
        )
    )
    results.append(
        measure(
            "csv + values_list(), same rows",
            same_rows_from_values_list,
            max(2, options.runs // 2),
            after_edits=False,
        )
    )
    output = {"vendor": connection.vendor, "developments": developments, "results": results}
    if options.explain and connection.vendor == "postgresql":
        output["explain"] = {
            "dashboard": explain(client, "/"),
            "explorer, text search": explain(client, "/developments/?q=cyber+defence"),
            "explorer, actor + kind": explain(client, "/developments/?actor=EU&kind=exercise"),
        }
    print(json.dumps(output))


if __name__ == "__main__":
    main()
