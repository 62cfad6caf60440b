"""Benchmark: every report export against a plain `csv` dump of the same rows.

    .venv/bin/python benchmarks/exports.py [--developments 100000] [--small 1000]
        [--runs 3] [--databases sqlite,postgresql] [--formats csv,json,xlsx]
        [--keep] [--reuse]

For each database it builds demo data (`generate_demo_data`, the same seed) and
widens it so that each table export holds about as many rows as there are
developments: the first recommendation (TSU-1) is linked to every development, the
EU named by every development, and actors are added, each named by one
development, until that many are on record (the actors list; the matrix of TSU-1's
framework, whose rows are the actors). A framework's dashboard has a row per
recommendation, so it stays a few rows, its figures read from every link.

Each export is downloaded through Django's test client (signed in; the whole stack
but the network) in a process of its own, in each format, taking turns with its
baseline: Python's csv writing the same rows from plain values_list() queries,
related values joined in SQL. Each is timed `--runs` times from an empty cache
(min-max: the worst case, figures computed), once from the cache, and once under
tracemalloc for its peak Python memory, which is measured again on a database of
`--small` developments widened the same way: it must not grow with the rows.
Prints one table per database and the goals met or missed: each CSV and JSON export
within 2x its baseline, every export's memory flat, none near gunicorn's 30 s
timeout (goal: under 10 s). XLSX is held to the last two only: it writes some four
times the bytes of the CSV, as XML, and compresses them.

About ten minutes a database at 100,000 developments. `--keep` keeps the databases
(in the temporary folder and as PostgreSQL databases tracker_exports_N), `--reuse`
measures those kept rather than building them again.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from common import ROOT, Database, build, collect_static, environment, manage

THIS = Path(__file__).resolve()
WIDENED = {"recommendation": "TSU-1", "actor": "EU", "framework": "tsuruoka-2015"}
# (name, URL, baseline): what each table export is measured against.
EXPORTS = [
    ("explorer", "/developments/", "developments"),
    ("recommendation TSU-1", "/recommendations/TSU-1/", "evidence"),
    ("actor EU", "/actors/EU/", "actor developments"),
    ("actors", "/actors/", "actors"),
    ("matrix", "/reports/matrix/?framework=tsuruoka-2015", "matrix"),
    ("dashboard", "/frameworks/tsuruoka-2015/", "dashboard"),
]
GOAL_RATIO, GOAL_SECONDS = 2.0, 10.0


# --- In a process of its own, on DATABASE_URL -----------------------------------------


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def widen(rows: int) -> None:
    """TSU-1 linked to every development, the EU named by every one, and actors added
    (each named by one development) until `rows` are on record."""
    from django.db import connection, transaction

    from tracker.models import (
        CHUNK_SIZE,
        Actor,
        DataVersion,
        Development,
        DevelopmentActor,
        Recommendation,
    )

    recommendation = Recommendation.objects.get(code=WIDENED["recommendation"]).pk
    actor = Actor.objects.get(code=WIDENED["actor"]).pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracker_evidence (created_at, updated_at, stance, strength, "
            "rationale, confidence, development_id, recommendation_id) "
            "SELECT CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'advances', 2, "
            "'Linked for the export benchmark.', 'medium', d.id, %s "
            "FROM tracker_development d WHERE NOT EXISTS (SELECT 1 FROM tracker_evidence e "
            "WHERE e.development_id = d.id AND e.recommendation_id = %s)",
            [recommendation, recommendation],
        )
        cursor.execute(
            "INSERT INTO tracker_developmentactor (actor_id, development_id) "
            "SELECT %s, d.id FROM tracker_development d WHERE NOT EXISTS (SELECT 1 FROM "
            "tracker_developmentactor x WHERE x.development_id = d.id AND x.actor_id = %s)",
            [actor, actor],
        )
        missing = max(0, rows - Actor.objects.count())
        developments = list(Development.objects.order_by("pk").values_list("pk", flat=True))
        added = Actor.objects.bulk_create(
            (
                Actor(code=f"BENCH{n:07d}", name=f"Benchmark actor {n}", kind="organisation")
                for n in range(missing)
            ),
            batch_size=CHUNK_SIZE,
        )
        DevelopmentActor.objects.bulk_create(
            (
                DevelopmentActor(actor=a, development_id=d)
                for a, d in zip(added, developments, strict=False)
            ),
            batch_size=CHUNK_SIZE,
        )
        DataVersion.objects.bump()  # raw SQL sends no signals


class Sink:
    """Where the CSV goes: nowhere, so that writing costs the same for both."""

    def write(self, text):
        return len(text)


def baseline(name: str) -> int:
    """csv writing the rows of export `name` from plain values_list() queries, related
    values joined in SQL; the number of rows."""
    from django.db.models import Count, Sum

    from tracker import progress
    from tracker.models import CHUNK_SIZE, Actor, Development, Evidence, Framework
    from tracker.tables import best_source_grade, joined_actor_codes, joined_evidence_codes

    writer = csv.writer(Sink())
    rows: Iterable
    if name in ("developments", "actor developments"):
        developments = Development.objects.filter(published=True)
        if name == "actor developments":
            developments = developments.filter(actors__code=WIDENED["actor"])
        rows = (
            developments.order_by("-date", "-title", "-pk")
            .annotate(
                grade=best_source_grade(),
                actor_codes=joined_actor_codes("tracker_development.id"),
                links=joined_evidence_codes("tracker_development.id"),
            )
            .values_list("date", "title", "kind__name", "status", "grade", "actor_codes", "links")
            .iterator(chunk_size=CHUNK_SIZE)
        )
    elif name == "evidence":
        rows = (
            Evidence.objects.filter(
                progress.link_counted(None), recommendation__code=WIDENED["recommendation"]
            )
            .order_by("-development__date", "-development__title", "-pk")
            .annotate(
                grade=best_source_grade("development"),
                actor_codes=joined_actor_codes("tracker_evidence.development_id"),
            )
            .values_list(
                "development__date",
                "development__title",
                "development__kind__name",
                "actor_codes",
                "stance",
                "strength",
                "confidence",
                "grade",
                "rationale",
            )
            .iterator(chunk_size=CHUNK_SIZE)
        )
    elif name == "actors":  # the same figures, from the actors' tallies
        rows = (
            Actor.objects.on_record()
            .values_list(
                "code",
                "name",
                "kind",
                "region",
                "tally__development_count",
                "tally__advancing",
                "tally__hindering",
                "tally__net_score",
            )
            .iterator(chunk_size=CHUNK_SIZE)
        )
    elif name == "matrix":  # the cells, one row per actor and recommendation
        framework = Framework.objects.get(code=WIDENED["framework"])
        rows = (
            Evidence.objects.filter(
                progress.link_counted(None), recommendation__framework=framework
            )
            .values_list("development__actors__code", "recommendation__code")
            .annotate(links=Count("pk"), score=Sum("points"))
            .order_by("development__actors__code", "recommendation__code")
            .iterator(chunk_size=CHUNK_SIZE)
        )
    else:  # the dashboard's figures, computed as the view computes them
        framework = Framework.objects.get(code=WIDENED["framework"])
        figures = progress.dashboard_figures(progress.dashboard(None, framework))
        rows = progress.figure_rows(figures)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def timed(run) -> dict:
    """run()'s seconds, its first byte's, and its queries."""
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        first, size = run(started)
    return {
        "seconds": time.perf_counter() - started,
        "first_byte": first,
        "queries": len(queries),
        "bytes": size,
    }


def measure(url: str, baseline_name: str, formats: list[str], runs: int) -> dict:
    """The figures of an export in each format and of its baseline, taking turns:
    `runs` times each from an empty cache, then once each from the cache, then once
    each under tracemalloc."""
    import tracemalloc

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    user, _ = get_user_model().objects.update_or_create(
        username="benchmark", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    client.get("/methodology/")  # the first request's one-off costs (imports, templates)
    rows = {}

    def download(name: str):
        def run(started: float) -> tuple[float, int]:
            if name == "baseline":
                rows[name] = baseline(baseline_name)
                return time.perf_counter() - started, 0
            separator = "&" if "?" in url else "?"
            response = client.get(f"{url}{separator}_export={name}")
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            chunks = iter(response.streaming_content)
            chunk = next(chunks, b"")
            first = time.perf_counter() - started
            size, lines = len(chunk), chunk.count(b"\n")
            for chunk in chunks:
                size, lines = size + len(chunk), lines + chunk.count(b"\n")
            rows[name] = lines - 1  # CSV: a line a row (demo text has no newlines)
            return first, size

        return run

    names = ["baseline", *formats]
    cold: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(runs):
        for name in names:
            cache.clear()
            cold[name].append(timed(download(name)))
    results = {}
    for name in names:
        warm = timed(download(name))
        cache.clear()
        tracemalloc.start()  # on a run of its own: it slows Python down severalfold
        download(name)(time.perf_counter())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[name] = {
            "cold": [run["seconds"] for run in cold[name]],
            "first_byte": max(run["first_byte"] for run in cold[name]),
            "warm": warm["seconds"],
            "queries": cold[name][0]["queries"],
            "bytes": cold[name][0]["bytes"],
            "peak_mb": peak / 2**20,
            "rows": rows[name],
        }
    return results


# --- The driver -----------------------------------------------------------------------


def run_here(db: Database, *args: str) -> dict:
    """This file run with args in a process of its own on db; its JSON answer."""
    done = subprocess.run(
        [sys.executable, str(THIS), *args],
        env=environment(db.url, DJANGO_STATIC_ROOT=str(db.folder / "static")),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"benchmarks/exports.py {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout or "{}")


def exists(db: Database) -> bool:
    if db.vendor == "sqlite":
        return (db.folder / f"{db.name}.sqlite3").exists()
    listed = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-lqtA"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{db.name}|" in listed.stdout


def prepare(db: Database, developments: int, seed: int, reuse: bool) -> None:
    if reuse and exists(db):
        return
    build(db, developments, seed)
    run_here(db, "widen", str(developments))
    manage(db, "refresh_figures")  # the links added in SQL get their points
    db.analyse()


def measure_all(db: Database, runs: int, formats: list[str]) -> dict:
    """Each export, with its baseline, in a process of its own."""
    return {
        name: run_here(db, "measure", url, base, ",".join(formats), str(runs))
        for name, url, base in EXPORTS
    }


def seconds(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def report(big: dict, small: dict, n: int, n_small: int, formats: list[str]) -> list[str]:
    """Print the table; return the goals missed."""
    header = (
        f"{'export':<22} {'rows':>8} {'fmt':>4} {'cold s (min-max)':>16} {'warm s':>7} "
        f"{'1st byte':>8} {'ratio':>6} {'queries':>7} {f'at {n_small:,}':>8} "
        f"{'peak MB':>7} {f'at {n_small:,}':>8}"
    )
    print(header)
    print("-" * len(header))
    missed = []
    for name, *_ in EXPORTS:
        base, base_small = big[name]["baseline"], small[name]["baseline"]
        against = statistics.median(base["cold"])
        rows = big[name]["csv"]["rows"] if "csv" in big[name] else base["rows"]
        print(
            f"{name:<22} {rows:>8,} {'':>4} {seconds(base['cold']):>16} {'':>7} "
            f"{'':>8} {'csv':>6} {base['queries']:>7} {base_small['queries']:>8} "
            f"{base['peak_mb']:>7.1f} {base_small['peak_mb']:>8.1f}"
        )
        for export_format in formats:
            row, twin = big[name][export_format], small[name][export_format]
            ratio = statistics.median(row["cold"]) / against
            print(
                f"{'':<22} {'':>8} {export_format:>4} {seconds(row['cold']):>16} "
                f"{row['warm']:>7.2f} {row['first_byte']:>8.2f} {ratio:>6.2f} "
                f"{row['queries']:>7} {twin['queries']:>8} {row['peak_mb']:>7.1f} "
                f"{twin['peak_mb']:>8.1f}"
            )
            what = f"{name} {export_format}"
            if ratio > GOAL_RATIO and export_format != "xlsx":
                missed.append(f"{what}: {ratio:.2f}x plain csv (goal: within {GOAL_RATIO:g}x)")
            if max(row["cold"]) > GOAL_SECONDS:
                missed.append(f"{what}: {max(row['cold']):.1f} s (goal: under {GOAL_SECONDS:g})")
            if row["peak_mb"] > 2 * twin["peak_mb"] + 5:
                missed.append(
                    f"{what}: peak memory {twin['peak_mb']:.1f} MB at {n_small:,}, "
                    f"{row['peak_mb']:.1f} MB at {n:,} (goal: flat)"
                )
    print(
        "\ncold: from an empty cache (figures computed), the worst case; warm: figures from "
        "the cache;\n1st byte: seconds to the first bytes sent (the slowest cold run); ratio: "
        "cold medians, the export against its baseline (plain csv of the same rows);\n"
        "queries and peak Python memory (tracemalloc) at "
        f"{n:,} developments and at {n_small:,}"
    )
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--formats", default="csv,json,xlsx")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="the databases --keep kept")
    options = parser.parse_args()
    formats = options.formats.split(",")
    work = Path(tempfile.gettempdir()) / "tracker-bench-exports"
    work.mkdir(exist_ok=True)
    collect_static(work / "static")  # the hashed files pages name with debug off
    all_missed = []
    for vendor in options.databases.split(","):
        big = Database(vendor, f"tracker_exports_{options.developments}", work)
        small = Database(vendor, f"tracker_exports_{options.small}", work)
        print(
            f"\n=== {vendor}: {options.developments:,} and {options.small:,} developments, "
            "widened",
            flush=True,
        )
        prepare(big, options.developments, options.seed, options.reuse)
        prepare(small, options.small, options.seed, options.reuse)
        big_figures = measure_all(big, options.runs, formats)
        small_figures = measure_all(small, 1, formats)
        print(f"\n=== {vendor}, {options.developments:,} developments\n")
        missed = report(big_figures, small_figures, options.developments, options.small, formats)
        print("\nGoals: " + ("all met" if not missed else "MISSED:\n  " + "\n  ".join(missed)))
        all_missed += [f"{vendor}: {m}" for m in missed]
        if not options.keep:
            big.drop()
            small.drop()
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    if all_missed:
        print("\nGoals missed:\n  " + "\n  ".join(all_missed))


def worker() -> None:
    """`widen ROWS` or `measure URL BASELINE FORMATS RUNS`, printing JSON."""
    setup_django()
    command, *arguments = sys.argv[1:]
    if command == "widen":
        widen(int(arguments[0]))
        print("{}")
    else:
        url, baseline_name, formats, runs = arguments
        print(json.dumps(measure(url, baseline_name, formats.split(","), int(runs))))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("widen", "measure"):
        worker()
    else:
        main()
