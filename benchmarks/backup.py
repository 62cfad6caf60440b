"""Benchmark: portable backups, `backup` and `restore` against `dumpdata` and `loaddata`
(`make bench-backup`).

    .venv/bin/python benchmarks/backup.py [--sizes 2000,20000,100000] [--baseline 2000]
        [--runs 3] [--database sqlite|postgresql] [--seed 1] [--keep]

For each size it builds a database as one in use holds it: the seed (`manage.py
seed`), `generate_demo_data --developments N --seed S`, three users in the
roles (with password hashes) and a group of their own, a version in the audit
trail for every row (the demo writes in bulk, without one; imports and the
admin write one), an edit by a user of one development in a hundred, and a
snapshot (every counted link in one record). Then, `--runs` times, each step in
a process of its own (its time and peak memory its own):

- `backup`: `manage.py backup` to a file;
- `restore`: `manage.py restore` of that file into a fresh database that
  `migrate` has just made (not timed). The first run backs the restored
  database up again: the two files must be the same, line for line, but the
  data version, which a restore moves on;
- at the baseline sizes, the README's former way: `dumpdata tracker auth.user
  auth.group --natural-foreign --natural-primary` and `loaddata` of its file
  into a fresh database, and `restore` of that same file (its natural keys
  looked up a query per table per chunk, where loaddata makes one per reference).

Prints one table (seconds min-max over the runs, peak memory, the file's size)
and the goal: a restore of 100,000 developments, users, groups and history
included, within 3 minutes on SQLite.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common import Database, manage

GOAL_DEVELOPMENTS, GOAL_SECONDS = 100_000, 180.0

# Run by `manage.py shell -c` in the source database once the demo data is in.
IN_USE = """
from django.contrib.auth.models import Group, Permission, User
from tracker import snapshots
from tracker.interchange.writer import record_history
from tracker.models import (Actor, Assessment, Citation, Development, DevelopmentActor,
    DevelopmentKind, Evidence, Framework, Recommendation, Source)
from tracker.roles import ANALYSTS, EDITORS

admin = User.objects.create_superuser("admin", "admin@example.org", "bench-password-1")
editor = User.objects.create_user("eddie", "eddie@example.org", "bench-password-2", is_staff=True)
editor.groups.add(Group.objects.get(name=EDITORS))
analyst = User.objects.create_user("ana", "ana@example.org", "bench-password-3", is_staff=True)
analyst.groups.add(Group.objects.get(name=ANALYSTS), Group.objects.create(name="Reviewers"))
Group.objects.get(name="Reviewers").permissions.add(Permission.objects.get(codename="change_proposal"))
for model in (Source, Framework, Recommendation, Actor, DevelopmentKind, Development,
              DevelopmentActor, Citation, Evidence, Assessment):
    versioned = set(model.history.values_list("id", flat=True))
    ids = [pk for pk in model.objects.values_list("pk", flat=True) if pk not in versioned]
    for start in range(0, len(ids), 1000):
        record_history(model, "id", ids[start:start + 1000], "+", editor, "Imported from demo.csv")
last = Development.objects.order_by("-pk").values_list("pk", flat=True).first()
for development in Development.objects.filter(pk__in=range(1, last + 1, 100)):
    development.summary += " Edited."
    development._history_user = admin
    development.save()
snapshots.take("Benchmark snapshot", admin)
"""

DUMPDATA = ("tracker", "auth.user", "auth.group", "--natural-foreign", "--natural-primary")


@dataclass
class Step:
    size: int
    label: str
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    note: str = ""


def same_backup(first: Path, second: Path) -> bool:
    """The same rows, line for line, but the data version (a restore moves it on)."""
    with first.open(encoding="utf-8") as a, second.open(encoding="utf-8") as b:
        for line_a, line_b in zip(a, b, strict=True):
            if line_a != line_b and '"tracker.dataversion"' not in line_a:
                return False
    return True


def build(source: Database, n: int, seed: int) -> None:
    source.create()
    manage(source, "seed")
    manage(source, "generate_demo_data", "--developments", str(n), "--seed", str(seed))
    manage(source, "shell", "-c", IN_USE)
    source.analyse()


def restore_into_fresh(source: Database, name: str, *command: str) -> tuple[float, float]:
    """Run the command (a restore) into a database `migrate` has just made."""
    target = Database(source.vendor, name, source.folder)
    target.create()
    return manage(target, *command)


def measure_size(source: Database, work: Path, n: int, options) -> list[Step]:
    backup, restore = Step(n, "backup"), Step(n, "restore")
    path = work / f"backup-{n}.json"
    target = f"{source.name}_restored"
    for run in range(options.runs):
        seconds, peak = manage(source, "backup", str(path), "-v", "0")
        backup.seconds.append(seconds)
        backup.peak_mb.append(peak)
        seconds, peak = restore_into_fresh(source, target, "restore", str(path))
        restore.seconds.append(seconds)
        restore.peak_mb.append(peak)
        if run == 0:
            again = work / f"again-{n}.json"
            manage(Database(source.vendor, target, work), "backup", str(again), "-v", "0")
            if not same_backup(path, again):
                raise SystemExit(f"The restored database of {n:,} developments differs")
            again.unlink()
    with path.open(encoding="utf-8") as lines:
        rows = sum(1 for _ in lines) - 2
    backup.note = f"{rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB"
    restore.note = "same rows (backed up again)"
    Database(source.vendor, target, work).drop()
    return [backup, restore]


def measure_baseline(source: Database, work: Path, n: int, options) -> list[Step]:
    dump, load = Step(n, "dumpdata (natural keys)"), Step(n, "loaddata of its file")
    fast = Step(n, "restore of the same file")
    path = work / f"dumpdata-{n}.json"
    target = f"{source.name}_loaded"
    for _ in range(options.runs):
        seconds, peak = manage(source, "dumpdata", *DUMPDATA, "--output", str(path))
        dump.seconds.append(seconds)
        dump.peak_mb.append(peak)
        for step, command in ((load, "loaddata"), (fast, "restore")):
            seconds, peak = restore_into_fresh(source, target, command, str(path))
            step.seconds.append(seconds)
            step.peak_mb.append(peak)
    dump.note = f"{path.stat().st_size / 1e6:,.0f} MB"
    Database(source.vendor, target, work).drop()
    path.unlink()
    return [dump, load, fast]


def span(values: list[float], digits: int = 1) -> str:
    low, high = min(values), max(values)
    return f"{low:.{digits}f}" if len(values) == 1 else f"{low:.{digits}f}-{high:.{digits}f}"


def report(vendor: str, steps: list[Step], runs: int) -> None:
    print(f"\n=== {vendor}: seconds and peak memory, {runs} run{'s' * (runs > 1)} each")
    header = f"{'developments':>12}  {'step':<26} {'seconds':>13} {'peak MB':>9}  note"
    print(header)
    print("-" * len(header))
    for step in steps:
        print(
            f"{step.size:>12,}  {step.label:<26} {span(step.seconds):>13} "
            f"{span(step.peak_mb, 0):>9}  {step.note}"
        )
    print()
    for step in steps:
        if step.label == "loaddata of its file":
            same = [s for s in steps if s.size == step.size]
            fast = next(s for s in same if s.label == "restore of the same file")
            ours = next(s for s in same if s.label == "restore")
            print(
                f"{step.size:,} developments: loaddata {min(step.seconds):.1f} s; restore of "
                f"the same file {min(fast.seconds):.1f} s "
                f"({min(step.seconds) / min(fast.seconds):.0f}x faster), of a backup "
                f"{min(ours.seconds):.1f} s ({min(step.seconds) / min(ours.seconds):.0f}x)"
            )
    goal = [s for s in steps if s.size == GOAL_DEVELOPMENTS and s.label == "restore"]
    if goal and vendor == "sqlite":
        worst = max(goal[0].seconds)
        verdict = "met" if worst <= GOAL_SECONDS else "MISSED"
        print(
            f"Goal: restore {GOAL_DEVELOPMENTS:,} developments within {GOAL_SECONDS:.0f} s: "
            f"{verdict} (slowest run {worst:.1f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument(
        "--baseline", default="2000", help="sizes at which to run dumpdata and loaddata too"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    options = parser.parse_args()
    baseline = {int(n) for n in options.baseline.split(",") if n}
    work = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    print(f"Scratch folder: {work}")
    steps: list[Step] = []
    try:
        for n in (int(size) for size in options.sizes.split(",")):
            source = Database(options.database, f"tracker_bench_backup_{n}", work)
            print(f"Building {n:,} developments…", flush=True)
            build(source, n, options.seed)
            steps += measure_size(source, work, n, options)
            if n in baseline:
                steps += measure_baseline(source, work, n, options)
            if not options.keep:
                source.drop()
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(options.database, steps, options.runs)


if __name__ == "__main__":
    main()
