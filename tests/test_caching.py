"""Cached report figures: every way of writing makes reports show the change at
once, rolled-back changes do not, the Redis backend serves them too, and a Redis
that is down or hung costs pages only their speed."""

from __future__ import annotations

import io
import logging
import re
import socket
import threading
import time
import uuid

import pytest
import redis
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from tests.factories import links_drawn, make_actor, make_development, make_evidence
from tests.test_production import production_setting
from tracker import progress
from tracker.interchange import import_developments
from tracker.management.commands.seed import SEED_FIXTURES
from tracker.models import (
    Assessment,
    DataVersion,
    Development,
    Evidence,
    Recommendation,
)

REPORTS = ("/", "/reports/matrix/", "/timeline/", "/recommendations/TSU-2/", "/actors/JP/")
# What changes from one request to the next: the CSRF token, the printed-on minute.
PER_REQUEST = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"|Printed on [^<]+? from ')


def steady(content: bytes) -> bytes:
    """A page less what each request changes."""
    return PER_REQUEST.sub(b"", content)


def pages(client) -> dict[str, bytes]:
    """Each report page as the reader sees it, less what each request changes."""
    return {url: steady(client.get(url).content) for url in REPORTS}


def tsu2():
    return Recommendation.objects.get(code="TSU-2")


def add_evidence():
    make_evidence(development=make_development(actors=("JP", "FR")), recommendation=tsu2())


def delete_a_development():
    Development.objects.get(key="2023-01-11-japan-uk-raa").delete()


def change_a_date():
    development = Development.objects.get(key="2023-01-11-japan-uk-raa")
    development.date = development.date.replace(year=2022)
    development.save()


def add_an_actor():
    Development.objects.get(key="2023-01-11-japan-uk-raa").actors.add(make_actor("PL"))


def unpublish():
    development = Development.objects.get(key="2023-01-11-japan-uk-raa")
    development.published = False
    development.save()


def assess():
    Assessment.objects.create(
        recommendation=tsu2(), assessed_on="2023-03-02", status="implemented", rationale="Done."
    )


def import_a_file():
    csv = (
        "key,date,title,kind,actors,evidence,note\n"
        "2023-02-01-new,2023-02-01,A new drill,exercise,JP;IT,TSU-2:advances:3,Joint drill.\n"
    )
    assert import_developments(io.BytesIO(csv.encode()), "csv").ok


def link_in_bulk():  # the admin's bulk action: bulk_create, no signals
    Evidence.objects.link(
        Development.objects.exclude(evidence__recommendation=tsu2()),
        tsu2(),
        Evidence.Stance.HINDERS,
        1,
        "Linked in bulk.",
    )


@pytest.mark.parametrize(
    "write",
    [
        add_evidence,
        delete_a_development,
        change_a_date,
        add_an_actor,
        unpublish,
        assess,
        import_a_file,
        link_in_bulk,
    ],
)
def test_reports_show_every_kind_of_write_at_once(reader, write):
    before = pages(reader)
    assert pages(reader) == before  # now from the cache
    write()
    after = pages(reader)
    cache.clear()
    assert pages(reader) == after  # what the cache served is what a fresh read gives
    assert any(after[url] != before[url] for url in REPORTS)


def test_a_rolled_back_change_keeps_the_version(seed):
    version = DataVersion.objects.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        add_evidence()
        assert DataVersion.objects.current() > version
        raise RuntimeError("changed my mind")
    assert DataVersion.objects.current() == version


def test_loading_a_fixture_raises_the_version_once(db):
    version = DataVersion.objects.current()
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    assert DataVersion.objects.current() == version + 1


def test_a_demo_data_run_raises_the_version(seed):
    version = DataVersion.objects.current()
    call_command("generate_demo_data", developments=3, seed=2, verbosity=0)
    assert DataVersion.objects.current() > version


def redis_reachable() -> bool:
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379")
def test_redis_serves_cached_figures_and_sees_changes(reader, django_assert_max_num_queries):
    prefix = f"test-{uuid.uuid4().hex}"
    backend = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": prefix,
        }
    }
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        with override_settings(CACHES=backend):
            reader.get("/")
            assert client.keys(f"{prefix}:*dashboard*"), "the dashboard's figures are in Redis"
            # Session, user, the user's and their groups' permissions, whether there is
            # more than one framework, data version, recent developments and their actors.
            with django_assert_max_num_queries(8):
                from_redis = reader.get("/").content
            add_evidence()
            assert steady(reader.get("/").content) != steady(from_redis)
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_timeline_counts_links_per_period_when_there_are_many(reader, monkeypatch):
    monkeypatch.setattr(progress, "MAX_TIMELINE_MARKS", 5)
    content = reader.get("/timeline/").content.decode()
    assert "bars count them per period" in content
    bars = re.findall(
        r'<a href="(/developments/\?recommendation=TSU-2&amp;stance=advances[^"]+)" '
        r'class="mark"><title>TSU-2, (\w+ \d{4}): (\d+) advancing link',
        content,
    )
    assert len(bars) >= 2, "bars for TSU-2's advancing links, per month, to the explorer"
    for url, _, count in bars:
        listed = reader.get(url.replace("&amp;", "&")).context["table"].rows
        assert len(listed) == int(count)
    assert sum(int(count) for _, _, count in bars) == (
        tsu2().evidence.filter(stance="advances").count()
    )


def test_timeline_marks_each_link_when_there_are_few(reader):
    content = reader.get("/timeline/").content.decode()
    assert "bars count them per period" not in content
    # the seed's TSU-2 links of 8 to 11 January 2023 share one badge
    assert 'class="mark badge"' in content
    assert links_drawn(content) == Evidence.objects.count()


# --- Redis down or hung ------------------------------------------------------------


def production_redis(url: str) -> dict:
    """CACHES as the production settings make it for REDIS_URL=url (timeouts included)."""
    return production_setting("CACHES", REDIS_URL=url)


@pytest.fixture(scope="module")
def redis_down():
    return production_redis("redis://127.0.0.1:6390/0")  # nothing listens there


@pytest.fixture
def redis_hung():
    """A port that takes connections and never answers, as a hung Redis does. Closed
    after a minute at the latest, so a test without timeouts fails instead of hanging."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Timer(60, server.close)
    stop.start()
    yield production_redis(f"redis://127.0.0.1:{server.getsockname()[1]}/0")
    stop.cancel()
    server.close()


def test_reports_answer_without_redis_and_say_so_in_the_log(reader, redis_down, caplog):
    fresh = pages(reader)  # computed with the local cache, for comparison
    with override_settings(CACHES=redis_down), caplog.at_level(logging.WARNING):
        assert pages(reader) == fresh
        assert all(reader.get(url).status_code == 200 for url in REPORTS)
    warnings = [r for r in caplog.records if r.name == "tracker.caching"]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    assert "Cache unavailable" in warnings[0].getMessage()


def test_a_hung_redis_costs_each_page_at_most_its_timeout(reader, redis_hung):
    with override_settings(CACHES=redis_hung):
        for url in REPORTS:
            started = time.monotonic()
            assert reader.get(url).status_code == 200
            # One read of the cache, given up after half a second, then computed.
            assert time.monotonic() - started < 3, url


@pytest.mark.django_db
def test_healthz_says_when_the_cache_does_not_answer(client, redis_down):
    with override_settings(CACHES=redis_down):
        response = client.get("/healthz")
    assert response.status_code == 200  # the app still serves, only slower
    assert response.content == b"ok\ndatabase: ok\ncache: unavailable\n"


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db
def test_healthz_says_when_redis_answers(client):
    with override_settings(CACHES=production_redis("redis://127.0.0.1:6379/0")):
        response = client.get("/healthz")
    assert response.content == b"ok\ndatabase: ok\ncache: ok\n"


@pytest.mark.django_db
def test_a_new_release_reads_none_of_an_older_releases_cached_figures(monkeypatch):
    """Cached figures are pickled objects: after a deploy that changes their shape, a
    shared cache must not hand the new code an old release's entry."""
    from tracker import caching

    computed = []
    assert caching.cached("figures", lambda: computed.append(1) or "old") == "old"
    assert caching.cached("figures", lambda: computed.append(2) or "again") == "old"
    monkeypatch.setattr(caching, "CODE", "next-release")
    assert caching.cached("figures", lambda: computed.append(3) or "new") == "new"
    assert computed == [1, 3]
