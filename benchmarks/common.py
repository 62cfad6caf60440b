"""What the benchmarks share: scratch databases on SQLite or PostgreSQL, and
running manage.py in a process of its own (its time and peak memory its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
PG = "postgres://postgres@127.0.0.1:5432"


def environment(url: str, **extra: str) -> dict[str, str]:
    """As in production (debug off, which also keeps Django from storing every
    query's SQL), on plain HTTP, on the database at url."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-not-secret",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DATABASE_URL": url,
        **extra,
    }


def collect_static(folder: Path) -> None:
    """The hashed static files pages name, as production serves them (debug off)."""
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=environment("sqlite://:memory:", DJANGO_STATIC_ROOT=str(folder)),
        check=True,
    )


@dataclass
class Database:
    """A scratch database: a SQLite file in `folder`, or a PostgreSQL database."""

    vendor: str  # "sqlite" or "postgresql"
    name: str
    folder: Path

    @property
    def url(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{self.folder / self.name}.sqlite3"
        return f"{PG}/{self.name}"

    def drop(self) -> None:
        if self.vendor == "sqlite":
            (self.folder / f"{self.name}.sqlite3").unlink(missing_ok=True)
        else:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", self.name],
                check=True,
            )

    def copy(self, name: str) -> Database:
        """A copy of this database (it must not be in use) under another name."""
        copy = Database(self.vendor, name, self.folder)
        copy.drop()
        if self.vendor == "sqlite":
            shutil.copy(self.folder / f"{self.name}.sqlite3", self.folder / f"{name}.sqlite3")
        else:
            subprocess.run(
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", self.name, name],
                check=True,
            )
        return copy

    def create(self) -> None:
        self.drop()
        if self.vendor == "postgresql":
            subprocess.run(
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", self.name], check=True
            )
        manage(self, "migrate", "--noinput", "-v", "0")

    def analyse(self) -> None:
        """Fresh planner statistics on PostgreSQL, as autovacuum keeps them in
        production. (SQLite is left as a fresh install would have it.)"""
        if self.vendor == "postgresql":
            subprocess.run(
                ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", self.name, "-c", "ANALYZE"],
                check=True,
            )


def manage(db: Database, *args: str, quiet: bool = True) -> tuple[float, float]:
    """Run manage.py on db in a new process: (seconds, peak RSS in MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(MANAGE), *args],
        env=environment(db.url),
        stdout=subprocess.DEVNULL if quiet else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"manage.py {' '.join(args)} failed on {db.url}")
    return seconds, usage.ru_maxrss / 1024


def build(
    db: Database,
    developments: int,
    seed: int,
    frameworks: int = 3,
    recommendations: int | None = None,
) -> float:
    """A fresh database with the reference data and `developments` demo ones, in
    `frameworks` demo frameworks of `recommendations` each (by default 3 to 5)."""
    db.create()
    manage(db, "loaddata", "reference", "-v", "0")
    portfolio = ["--frameworks", str(frameworks)]
    if recommendations:
        portfolio += ["--recommendations", str(recommendations)]
    seconds, _ = manage(
        db,
        "generate_demo_data",
        "--developments",
        str(developments),
        "--seed",
        str(seed),
        *portfolio,
    )
    db.analyse()
    return seconds
