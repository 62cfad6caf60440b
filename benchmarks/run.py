"""The benchmark suite (`make bench`): report pages against the admin changelist,
the CSV export against plain csv, the import against loaddata, on SQLite and
PostgreSQL, at 100,000 developments, with query counts at 1,000 beside them.

    .venv/bin/python benchmarks/run.py [--developments 100000] [--small 1000]
        [--runs 5] [--databases sqlite,postgresql] [--skip-import] [--seed 1]

For each database it builds two databases of demo data (the same seed), measures
every page on both in a process of its own (benchmarks/pages.py), prints one
table, the goals met or missed, and on PostgreSQL the plans of the dashboard's
and the explorer's queries. All baselines are measured in the same run, on the
same data, side by side. Takes about 15 minutes for both databases.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, Database, build, collect_static, environment
from import_vs_loaddata import base_for, compare

BASELINE = "admin changelist, page 1"
EXPORT, EXPORT_BASELINE = "CSV export of the explorer", "csv + values_list(), same rows"


def measure_pages(db: Database, runs: int, explain: bool, static: Path) -> dict:
    command = [sys.executable, str(ROOT / "benchmarks" / "pages.py"), "--runs", str(runs)]
    if explain:
        command.append("--explain")
    output = subprocess.run(
        command,
        env=environment(db.url, DJANGO_STATIC_ROOT=str(static)),
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode:
        raise SystemExit(f"benchmarks/pages.py failed on {db.url}:\n{output.stderr}")
    return json.loads(output.stdout)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def report(big: dict, small: dict) -> list[str]:
    """Print the table of pages and the export; return the goals missed."""
    rows = {r["name"]: r for r in big["results"]}
    small_rows = {r["name"]: r for r in small["results"]}
    baseline = rows[BASELINE]["median"]
    n, n_small = big["developments"], small["developments"]
    header = (
        f"{'measured':<34} {'median ms':>10} {'min–max ms':>19} {'cold ms':>9} "
        f"{'edit ms':>8} {'queries':>7} {f'at {n_small:,}':>8} {'peak MB':>8} {'KB':>6} "
        f"{'ratio':>6} {'edit':>5}"
    )
    print(header)
    print("-" * len(header))
    missed = []
    for name, row in rows.items():
        # Pages are compared with the admin changelist, the export with plain csv.
        exporting = name in (EXPORT, EXPORT_BASELINE)
        against = rows[EXPORT_BASELINE]["median"] if exporting else baseline
        ratio = row["median"] / against
        # The page at 1,000 holding the same place: 'explorer, page 400' is page 40 there.
        twin = small_rows.get(name) or next(
            r
            for r in small["results"]
            if r["name"].split(",")[0] == name.split(",")[0] and r["name"] not in rows
        )
        queries = f"{row['queries']}/{row['cold_queries']}"
        queries_small = f"{twin['queries']}/{twin['cold_queries']}"
        after_edit = row.get("after_edit")
        edit_ratio = after_edit / baseline if after_edit is not None else None
        print(
            f"{name:<34} {ms(row['median']):>10} "
            f"{ms(row['min']) + '–' + ms(row['max']):>19} {ms(row['cold']):>9} "
            f"{ms(after_edit) if after_edit is not None else '':>8} "
            f"{queries:>7} {queries_small:>8} {row['peak_mb']:>8.1f} {row['bytes'] / 1024:>6.0f} "
            f"{ratio:>6.2f} {f'{edit_ratio:.2f}' if edit_ratio is not None else '':>5}"
        )
        if name in (BASELINE, EXPORT_BASELINE):
            continue
        if not exporting:
            if row["bytes"] >= 2**20:
                missed.append(f"{name}: {row['bytes'] / 2**20:.1f} MB of HTML (goal: under 1 MB)")
            if edit_ratio is not None and edit_ratio > 2:
                missed.append(
                    f"{name}: first request after an edit {edit_ratio:.2f}x the admin "
                    "changelist (goal: at most 2x)"
                )
        if name == EXPORT:
            if ratio > 2:
                missed.append(f"{name}: {ratio:.2f}x plain csv (goal: within 2x)")
            if row["peak_mb"] > 2 * twin["peak_mb"] + 1:
                missed.append(
                    f"{name}: peak memory {twin['peak_mb']:.1f} MB at {n_small:,}, "
                    f"{row['peak_mb']:.1f} MB at {n:,} (goal: flat)"
                )
        elif ratio > 1:
            missed.append(f"{name}: {ratio:.2f}x the admin changelist (goal: at most 1.0)")
        # The export reads its rows in chunks: two more queries per 1,000 rows. A page
        # may make fewer queries with more data (the timeline draws bars, not each
        # link, beyond 400 links), never more.
        grew = any(
            int(big_count) > int(small_count)
            for big_count, small_count in zip(
                queries.split("/"), queries_small.split("/"), strict=True
            )
        )
        if grew and name != EXPORT:
            missed.append(f"{name}: {queries} queries at {n:,}, {queries_small} at {n_small:,}")
    print(
        f"\nqueries: served from the cache / computed (cold); edit ms: the first request "
        f"after one edit (median); ratio and edit: median and after an edit against the "
        f"{BASELINE} median ({ms(baseline)} ms), the export against plain csv"
    )
    export, export_small = rows[EXPORT], small_rows[EXPORT]
    print(
        f"CSV export peak memory: {export_small['peak_mb']:.1f} MB for {n_small:,} rows, "
        f"{export['peak_mb']:.1f} MB for {n:,} ({export['bytes'] / 2**20:.1f} MB of CSV)"
    )
    return missed


def report_imports(imports: list) -> list[str]:
    """Print import against loaddata; return the goals missed."""
    missed = []
    if imports:
        print()
        width = max(len(label) for label, _, _ in imports)
        print(f"{'measured':<{width}}  {'seconds':>8}  {'peak MB':>8}")
        for label, seconds, peak in imports:
            print(f"{label:<{width}}  {seconds:>8.1f}  {peak:>8.0f}")
        (_, _, quarter_mb), (_, import_s, import_mb), (_, load_s, _) = imports
        speedup = load_s / import_s
        print(
            f"loaddata / import: {speedup:.1f}x (goal: at least 8x); import peak memory "
            f"{quarter_mb:.0f} MB for a quarter of the rows, {import_mb:.0f} MB for all"
        )
        if speedup < 8:
            missed.append(f"import: only {speedup:.1f}x faster than loaddata (goal: 8x)")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--frameworks", type=int, default=200)
    parser.add_argument("--recommendations", type=int, default=50, help="per framework")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--skip-import", action="store_true", help="skip import vs loaddata")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    collect_static(work / "static")
    all_missed = []
    for vendor in options.databases.split(","):
        sys.stdout.flush()
        big = Database(vendor, f"tracker_bench_{options.developments}", work)
        small = Database(vendor, f"tracker_bench_{options.small}", work)
        print(
            f"\n=== {vendor}: building {options.developments:,} and {options.small:,} developments"
        )
        seconds = build(
            big, options.developments, options.seed, options.frameworks, options.recommendations
        )
        print(
            f"generated {options.developments:,} developments in {seconds:.0f} s "
            f"({options.frameworks} frameworks of {options.recommendations} recommendations)"
        )
        # Fewer developments and fewer recommendations: query counts must not change.
        build(small, options.small, options.seed, options.frameworks // 10, 5)
        big_figures = measure_pages(big, options.runs, vendor == "postgresql", work / "static")
        small_figures = measure_pages(small, 2, False, work / "static")
        print(f"\n=== {vendor}, {big_figures['developments']:,} developments\n")
        missed = report(big_figures, small_figures)
        for name, plans in big_figures.get("explain", {}).items():
            print(f"\n--- EXPLAIN ANALYZE: {name}")
            for plan in plans:
                print(plan)
        if not options.skip_import:
            print("\nimport_developments against loaddata…", flush=True)
            base = base_for(big, options.seed)
            missed += report_imports(compare(big, base, work, options.developments))
            base.drop()
        print("\nGoals: " + ("all met" if not missed else "MISSED:\n  " + "\n  ".join(missed)))
        all_missed += [f"{vendor}: {m}" for m in missed]
        if not options.keep:
            big.drop()
            small.drop()
    shutil.rmtree(work, ignore_errors=True)
    if all_missed:
        print("\nGoals missed:\n  " + "\n  ".join(all_missed))


if __name__ == "__main__":
    main()
