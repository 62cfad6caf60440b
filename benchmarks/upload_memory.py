"""Benchmark: the peak memory of a gunicorn worker that previews a 50 MB upload.

    .venv/bin/python benchmarks/upload_memory.py [--database sqlite|postgresql]

Writes a CSV and a JSON file of valid developments just under the admin's 50 MB
limit, starts gunicorn (one worker, production settings) on a scratch database
holding the reference data, signs an administrator in and posts each file to the
admin's import page, each in a fresh worker. Prints the records previewed, the
time and the worker's peak resident memory (VmHWM) against the goal: under 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import MANAGE, ROOT, Database, environment, manage

LIMIT = 49_900_000  # bytes: the admin refuses files over 50,000,000
GOAL_MB = 200
PORT = 8797
COLUMNS = ["key", "date", "title", "summary", "kind", "actors", "location"]
COLUMNS += ["source_title", "source_url", "evidence", "note"]


def record(i: int) -> dict:
    return {
        "key": f"upload-{i}",
        "date": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "title": f"Development {i} of the upload benchmark, café",
        "summary": "A summary as long as a real one: " + "words " * 20,
        "kind": "meeting",
        "actors": "JP;GB",
        "location": "Tokyo",
        "source_title": f"Source {i}",
        "source_url": f"https://example.org/news/{i}",
        "evidence": "TSU-1:advances:2",
        "note": "Because.",
    }


def write_files(folder: Path) -> list[Path]:
    csv_path, json_path = folder / "upload.csv", folder / "upload.json"
    with csv_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        i = 0
        while out.tell() < LIMIT - 1000:
            writer.writerow([record(i)[name] for name in COLUMNS])
            i += 1
    with json_path.open("w", encoding="utf-8") as out:
        out.write("[")
        i = 0
        while out.tell() < LIMIT - 1000:
            item = {**record(i), "actors": ["JP", "GB"]}
            out.write(("," if i else "") + "\n" + json.dumps(item, ensure_ascii=False))
            i += 1
        out.write("\n]\n")
    return [csv_path, json_path]


def run(env: dict, *args: str) -> str:
    """manage.py args, with env; what it printed."""
    done = subprocess.run(
        [sys.executable, str(MANAGE), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def session_of_a_superuser(env: dict) -> str:
    code = (
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY,"
        " HASH_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "u = get_user_model().objects.create_superuser('bench', password='x-long-pass-1')\n"
        "s = SessionStore(); s[SESSION_KEY] = str(u.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.save()\n"
        "print('SESSION', s.session_key)"
    )
    out = run(env, "shell", "-c", code)
    return re.search(r"SESSION (\w+)", out).group(1)


def preview(path: Path, session: str, env: dict) -> tuple[str, float, int]:
    """(summary, seconds, peak kB) of one preview, in a fresh gunicorn worker."""
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1"),
            *("--bind", f"127.0.0.1:{PORT}", "--timeout", "600"),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        worker = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        token = "a" * 32
        start = time.perf_counter()
        page = subprocess.run(
            [
                *("curl", "-s", "-b", f"sessionid={session}; csrftoken={token}"),
                *("-H", f"X-CSRFToken: {token}", "-F", f"file=@{path}"),
                f"http://127.0.0.1:{PORT}/admin/tracker/development/import/",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        seconds = time.perf_counter() - start
        status = Path(f"/proc/{worker}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        summary = re.search(r"[\d,]+ records?: [^<]*", page)
        return (summary.group(0) if summary else "no preview"), seconds, peak
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = Database(options.database, "tracker_bench_upload", folder)
        database.create()
        manage(database, "loaddata", "reference", "-v", "0")
        static = folder / "static"
        env = environment(database.url, DJANGO_STATIC_ROOT=str(static))
        run(env, "collectstatic", "--noinput", "-v", "0")
        session = session_of_a_superuser(env)
        print(f"Preview of a 50 MB upload in the admin ({options.database}), one worker:")
        met = True
        for path in write_files(folder):
            summary, seconds, peak = preview(path, session, env)
            met &= peak < GOAL_MB * 1024
            print(
                f"  {path.suffix[1:]:4} {path.stat().st_size / 1e6:5.1f} MB  {seconds:6.1f} s  "
                f"peak {peak / 1024:6.1f} MB  ({summary})"
            )
        print(f"Goal: under {GOAL_MB} MB: {'met' if met else 'MISSED'}.")
        database.drop()


if __name__ == "__main__":
    main()
