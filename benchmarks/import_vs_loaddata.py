"""Benchmark: `import_developments` of a CSV against `loaddata` of the same developments.

    .venv/bin/python benchmarks/import_vs_loaddata.py [--developments 100000] [--seed 1]

Builds synthetic data with `generate_demo_data`, exports it as the import CSV and
as a Django fixture (`dumpdata` with primary keys: loaddata's fastest form; with
natural keys it is several times slower still), then loads each into a fresh
SQLite database holding the same reference data, one after the other in this run. Each load runs
in its own process, so its time and peak memory (max RSS) are its own. The import
is also run on a quarter of the file, to show whether its memory grows with the
file. Prints a table and the ratio loaddata / import (the goal: at least 8).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"


def manage(db: Path, *args: str) -> tuple[float, float]:
    """Run a management command on the SQLite file db: (seconds, peak RSS in MB)."""
    env = {
        **os.environ,
        # As in production: with DEBUG on, Django would also keep every query's SQL.
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-not-secret",
        "DATABASE_URL": f"sqlite:///{db}",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(MANAGE), *args], env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed with status {process.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    options = parser.parse_args()
    n, seed = options.developments, str(options.seed)
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    print(f"Scratch folder: {work}")

    base = work / "base.sqlite3"
    manage(base, "migrate", "--noinput", "-v", "0")
    manage(base, "loaddata", "reference", "-v", "0")
    # Demo frameworks, every country and the source pool: present before each load.
    manage(base, "generate_demo_data", "--developments", "0", "--seed", seed, "-v", "0")

    source = work / "source.sqlite3"
    shutil.copy(base, source)
    seconds, _ = manage(source, "generate_demo_data", "--developments", str(n), "--seed", seed)
    print(f"Generated {n:,} developments in {seconds:.1f} s")
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
    for label, path, args in (
        (f"import_developments, {n // 4:,} rows", "quarter", ("import_developments",)),
        (f"import_developments, {n:,} rows", "full", ("import_developments",)),
        (f"loaddata, {n:,} developments", "fixture", ("loaddata",)),
    ):
        target = work / f"{path}.sqlite3"
        shutil.copy(base, target)
        file = {"quarter": quarter, "full": csv_path, "fixture": fixture}[path]
        seconds, peak = manage(target, *args, str(file))
        results.append((label, seconds, peak))

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
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
