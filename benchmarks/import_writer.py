"""Benchmark: the import's write path (raw SQL inserts) against `bulk_create` on the
same rows, on SQLite and PostgreSQL (`make bench-writer`).

    .venv/bin/python benchmarks/import_writer.py [--developments 20000] [--runs 3]
        [--databases sqlite,postgresql] [--seed 1]

For each database it builds the import file as `import_vs_loaddata.py` does
(`generate_demo_data`, then `export_developments` to CSV: actors, sources,
citations and evidence as an import carries them) and a database holding the
same reference data, countries and sources but no developments. Each run writes
the file into a fresh copy of that database, in a process of its own
(benchmarks/write_paths.py), validation excluded:

- `writer`: `import_developments()`'s write pass as the import command runs it
  (`Writer`: raw SQL inserts, then one INSERT … SELECT per table for history);
- `bulk_create`: the same pass with only the inserts swapped for
  `simple_history.utils.bulk_create_with_history` on Development,
  DevelopmentActor, Citation and Evidence (rows and their historical rows).

The two methods take turns, `--runs` times each. Both must write the same number
of rows to every table, history included, with the same contents (asserted).
Prints min–max and median seconds of the whole write pass and of the inserts
alone, rows written per second, and the ratio of medians writer / bulk_create:
below 1 the raw SQL is faster.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, Database, environment, manage
from import_vs_loaddata import base_for

METHODS = ("writer", "bulk_create")


def prepare(vendor: str, work: Path, n: int, seed: int) -> tuple[Database, Path]:
    """The database without developments, and the import file of n developments."""
    source = Database(vendor, f"bench_writer_{vendor}", work)
    base = base_for(source, seed)
    base.copy(source.name)
    manage(source, "generate_demo_data", "--developments", str(n), "--seed", str(seed))
    csv_path = work / f"{vendor}.csv"
    manage(source, "export_developments", "--format", "csv", "--output", str(csv_path))
    source.drop()
    return base, csv_path


def measure(base: Database, csv_path: Path, method: str) -> dict:
    """Write the file into a fresh copy of base, the given way, in a new process."""
    target = base.copy(f"{base.name}_run")
    try:
        output = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "write_paths.py"), method, str(csv_path)],
            env=environment(target.url),
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        target.drop()
    if output.returncode:
        raise SystemExit(f"write_paths.py {method} failed on {target.url}:\n{output.stderr}")
    return json.loads(output.stdout)


def check_same_rows(results: list[dict]) -> dict[str, int]:
    """The rows written to each table, the same for every run of either method."""
    first = results[0]
    for other in results[1:]:
        for key in ("written", "digests"):
            assert other[key] == first[key], (
                f"{other['method']} wrote other rows than {first['method']}: "
                f"{other[key]} != {first[key]}"
            )
    return first["written"]


def span(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"


def report(vendor: str, results: list[dict]) -> None:
    written = check_same_rows(results)
    rows = sum(written.values())
    print(f"\n=== {vendor}: {results[0]['developments']:,} developments, {rows:,} rows written")
    print("    " + ", ".join(f"{table} {count:,}" for table, count in written.items() if count))
    medians = {}
    header = (
        f"{'backend':<10} {'rows':>9} {'method':<12} {'min–max s':>13} {'median s':>9} "
        f"{'rows/s':>9} {'inserts: min–max s':>19} {'median s':>9}"
    )
    print(header)
    print("-" * len(header))
    for method in METHODS:
        runs = [r for r in results if r["method"] == method]
        seconds = [r["seconds"] for r in runs]
        inserting = [r["inserting"] for r in runs]
        medians[method] = statistics.median(seconds), statistics.median(inserting)
        print(
            f"{vendor:<10} {rows:>9,} {method:<12} {span(seconds):>13} "
            f"{medians[method][0]:>9.2f} {rows / medians[method][0]:>9,.0f} "
            f"{span(inserting):>19} {medians[method][1]:>9.2f}"
        )
    (total, inserts), (bulk_total, bulk_inserts) = medians["writer"], medians["bulk_create"]
    print(
        f"writer / bulk_create, medians: {total / bulk_total:.2f} for the write pass, "
        f"{inserts / bulk_inserts:.2f} for the inserts alone (below 1: raw SQL is faster)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    try:
        for vendor in options.databases.split(","):
            print(f"\n{vendor}: building {options.developments:,} developments…", flush=True)
            base, csv_path = prepare(vendor, work, options.developments, options.seed)
            try:
                results = [
                    measure(base, csv_path, method)
                    for _ in range(options.runs)
                    for method in METHODS
                ]
            finally:
                base.drop()
            report(vendor, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
