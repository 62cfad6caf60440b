"""Load test (`make bench-load`): two gunicorn instances on one PostgreSQL database
of 500,000 developments in 200 frameworks of 50 recommendations; 20 concurrent
users for 60 seconds against one of them.

    .venv/bin/python benchmarks/load.py [--developments 500000] [--frameworks 200]
        [--recommendations 50] [--users 20] [--seconds 60] [--workers 4] [--reuse]

1. Builds the database (or, with --reuse, keeps the one a previous run left).
2. Starts instance A (--workers workers, port 8101) and instance B (2 workers,
   port 8102), as production would: debug off, hashed static files, sessions in
   the database, the report cache in each process's memory (REDIS_URL unset).
3. Signs in through the sign-in form on A, then shows that B knows the session,
   serves the same data, and that signing out on B signs out on A too.
4. Runs wrk (Debian's package) against A only, on 127.0.0.1: each of --users
   connections requests the portfolio, framework dashboards, recommendation
   pages, a matrix, a timeline, the actors and the explorer with filters, as
   fast as it is answered, for --seconds. Prints requests per second, median
   and 95th-percentile latency, and every error.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from common import ROOT, Database, build, environment, manage

USERNAME, PASSWORD = "load-test-analyst", "a-long-load-test-password"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# What 20 analysts might do across a portfolio (demo codes of seed 1): the
# portfolio, framework dashboards, recommendation pages, a framework's matrix and
# timeline, the actors, and the explorer (paged, filtered, searched).
PATHS = [
    "/",
    "/?page=3",
    "/?q=framework+12",
    "/frameworks/demo-1-50/",
    "/frameworks/tsuruoka-2015/",
    "/recommendations/TSU-2/",
    "/recommendations/D1-50-3/",
    "/recommendations/D1-120-17/",
    "/reports/matrix/?framework=demo-1-50",
    "/timeline/?framework=demo-1-120",
    "/actors/",
    "/actors/EU/",
    "/developments/",
    "/developments/?page=7",
    "/developments/?kind=exercise",
    "/developments/?actor=EU&kind=agreement",
    "/developments/?recommendation=D1-50-3&stance=hinders",
    "/developments/?q=maritime+security",
    "/developments/?date_after=2020-01-01&date_before=2020-12-31&sort=title",
    "/developments/?actor=JP&page=2",
]

WRK_SCRIPT = """
paths = {%(paths)s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Cookie"] = "%(cookie)s"})
end
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, '
    .. '"max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, '
    .. '"timeout": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
"""


class Client:
    """A browser's cookie jar over urllib, for one instance."""

    def __init__(self, port: int, jar: http.cookiejar.CookieJar):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, final path after redirects, body)."""
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                final = urllib.parse.urlparse(response.url).path
                return response.status, final, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, path, error.read().decode()

    def sign_in(self) -> None:
        """Through the sign-in form, as the load test's analyst."""
        _, _, form = self.get("/accounts/login/")
        self.post(
            "/accounts/login/",
            {
                "username": USERNAME,
                "password": PASSWORD,
                "csrfmiddlewaretoken": TOKEN.search(form).group(1),
            },
        )

    def post(self, path: str, data: dict) -> int:
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        with self.opener.open(request, timeout=30) as response:
            return response.status


def start(db: Database, port: int, workers: int, static: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment(db.url, DJANGO_STATIC_ROOT=str(static)),
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn on port {port} did not start")


def without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


def check_shared_sessions(a: Client, b: Client) -> list[str]:
    """Sign in on A; B must know the session and serve the same pages."""
    problems = []
    a.sign_in()
    for path in ("/", "/developments/?kind=exercise", "/recommendations/TSU-2/"):
        status_a, _, body_a = a.get(path)
        status_b, final_b, body_b = b.get(path)
        if (status_a, status_b, final_b) != (200, 200, urllib.parse.urlparse(path).path):
            problems.append(f"{path}: A {status_a}, B {status_b} at {final_b}")
        elif without_tokens(body_a) != without_tokens(body_b):
            problems.append(f"{path}: A and B serve different pages")
    # Sign out on B: A must no longer know the session.
    _, _, page = b.get("/")
    b.post("/accounts/logout/", {"csrfmiddlewaretoken": TOKEN.search(page).group(1)})
    _, final, _ = a.get("/")
    if not final.startswith("/accounts/login/"):
        problems.append("signed out on B, still signed in on A")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developments", type=int, default=500_000)
    parser.add_argument("--frameworks", type=int, default=200)
    parser.add_argument("--recommendations", type=int, default=50, help="per framework")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="reuse the last run's database")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("The load test needs wrk: apt-get install wrk (make bench-load does).")

    work = Path(tempfile.mkdtemp(prefix="tracker-load-"))
    db = Database("postgresql", f"tracker_load_{options.developments}", work)
    if not options.reuse:
        print(f"Building {options.developments:,} developments on PostgreSQL…")
        build(db, options.developments, options.seed, options.frameworks, options.recommendations)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=environment(db.url, DJANGO_STATIC_ROOT=str(work / "static")),
        check=True,
    )
    manage(
        db,
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User; "
        f"u, _ = User.objects.get_or_create(username='{USERNAME}'); "
        f"u.set_password('{PASSWORD}'); u.save(); "
        "u.groups.add(Group.objects.get(name='Analysts'))",
    )

    servers = [
        start(db, 8101, options.workers, work / "static"),
        start(db, 8102, 2, work / "static"),
    ]
    try:
        jar = http.cookiejar.CookieJar()
        a, b = Client(8101, jar), Client(8102, jar)
        problems = check_shared_sessions(a, b)
        print(
            "Two instances, one database: "
            + ("same session and same pages on both" if not problems else "; ".join(problems))
        )
        # A fresh session for the load, signed in on A.
        jar = http.cookiejar.CookieJar()
        a = Client(8101, jar)
        a.sign_in()
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        for path in PATHS:  # every path answers 200 before the load starts
            status, final, _ = a.get(path)
            if status != 200 or final != urllib.parse.urlparse(path).path:
                raise SystemExit(f"{path} answered {status} at {final}")
        script = work / "mix.lua"
        script.write_text(
            WRK_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in PATHS), "cookie": cookie}
        )
        print(
            f"wrk: {options.users} users for {options.seconds} s against 127.0.0.1:8101 "
            f"({options.workers} gunicorn workers), {len(PATHS)} paths in turn…"
        )
        output = subprocess.run(
            [
                "wrk",
                "--threads",
                "2",
                "--connections",
                str(options.users),
                "--duration",
                f"{options.seconds}s",
                "--timeout",
                "10s",
                "--script",
                str(script),
                "http://127.0.0.1:8101",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(output.stdout.strip().splitlines()[-1])
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    print(
        f"\n{'requests':>9} {'per second':>11} {'median ms':>10} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>7}\n"
        f"{figures['requests']:>9,} {figures['requests'] / figures['seconds']:>11.1f} "
        f"{figures['p50_us'] / 1000:>10.1f} {figures['p95_us'] / 1000:>8.1f} "
        f"{figures['p99_us'] / 1000:>8.1f} {figures['max_us'] / 1000:>8.1f} {errors:>7}"
    )
    if errors:
        print(
            "errors: "
            + ", ".join(
                f"{k} {figures[k]}" for k in ("connect", "read", "write", "status", "timeout")
            )
            + " (status: answers other than 2xx/3xx)"
        )
    if problems or errors:
        sys.exit(1)
    print(f"(database {db.name} kept: rerun with --reuse to skip building it)")


if __name__ == "__main__":
    main()
