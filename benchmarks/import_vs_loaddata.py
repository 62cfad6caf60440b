"""Benchmark: `import_developments` of a CSV against `loaddata` of the same developments.

    .venv/bin/python benchmarks/import_vs_loaddata.py [--developments 100000] [--seed 1]
        [--database sqlite|postgresql]

Builds synthetic data with `generate_demo_data`, exports it as the import CSV and
as a Django fixture (`dumpdata` with primary keys: loaddata's fastest form; with
natural keys it is several times slower still), then loads each into a fresh
database holding the same reference data, one after the other in this run. Each
load runs in its own process, so its time and peak memory (max RSS) are its own.
The import is also run on a quarter of the file, to show whether its memory
grows with the file. Prints a table and the ratio loaddata / import (the goal:
at least 8). `benchmarks/run.py` runs the same comparison as part of the suite.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from pathlib import Path

from common import Database, manage


def compare(
    source: Database, base: Database, work: Path, n: int
) -> list[tuple[str, float, float]]:
    """(label, seconds, peak MB) of importing source's developments into copies of
    base (the same reference data, without them): a quarter, all, and loaddata."""
    csv_path, fixture = work / "developments.csv", work / "developments.json"
    manage(source, "export_developments", "--format", "csv", "--output", str(csv_path))
    manage(
        source,
        "dumpdata",
        "tracker.development",
        "tracker.developmentactor",
        "tracker.citation",
        "tracker.evidence",
        "--output",
        str(fixture),
    )
    quarter = work / "quarter.csv"
    with (
        csv_path.open(encoding="utf-8", newline="") as full,
        quarter.open("w", encoding="utf-8", newline="") as part,
    ):
        writer = csv.writer(part, lineterminator="\n")
        for number, record in enumerate(csv.reader(full)):  # records may span lines
            if number > n // 4:
                break
            writer.writerow(record)

    results = []
    for label, name, command, file in (
        (f"import_developments, {n // 4:,} rows", "quarter", "import_developments", quarter),
        (f"import_developments, {n:,} rows", "full", "import_developments", csv_path),
        (f"loaddata, {n:,} developments", "fixture", "loaddata", fixture),
    ):
        target = base.copy(f"{base.name}_{name}")
        seconds, peak = manage(target, command, str(file))
        results.append((label, seconds, peak))
        target.drop()
    return results


def base_for(source: Database, seed: int) -> Database:
    """A database with what source holds but its developments: the reference data,
    the demo frameworks, every country and the source pool."""
    base = Database(source.vendor, f"{source.name}_base", source.folder)
    base.create()
    manage(base, "loaddata", "reference", "-v", "0")
    manage(base, "generate_demo_data", "--developments", "0", "--seed", str(seed), "-v", "0")
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    options = parser.parse_args()
    n = options.developments
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    print(f"Scratch folder: {work}")

    source = Database(options.database, "tracker_bench_import", work)
    base = base_for(source, options.seed)
    base.copy(source.name)
    seconds, _ = manage(
        source, "generate_demo_data", "--developments", str(n), "--seed", str(options.seed)
    )
    print(f"Generated {n:,} developments in {seconds:.1f} s")
    results = compare(source, base, work, n)

    width = max(len(label) for label, _, _ in results)
    print()
    print(f"{'measured':<{width}}  {'seconds':>8}  {'peak MB':>8}")
    for label, seconds, peak in results:
        print(f"{label:<{width}}  {seconds:>8.1f}  {peak:>8.0f}")
    (_, _, quarter_mb), (_, import_s, import_mb), (_, load_s, load_mb) = results
    print()
    print(f"loaddata / import time: {load_s / import_s:.1f}x (goal: at least 8x)")
    print(
        f"import peak memory, full file / quarter file: {import_mb / quarter_mb:.2f} "
        f"({quarter_mb:.0f} MB → {import_mb:.0f} MB for 4x the rows; loaddata: {load_mb:.0f} MB)"
    )
    if not options.keep:
        for db in (source, base):
            db.drop()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
