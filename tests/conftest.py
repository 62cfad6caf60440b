"""Shared fixtures: the seed data, and users in each role."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from tracker.management.commands.seed import SEED_FIXTURES
from tracker.models import DataVersion, Framework
from tracker.roles import ANALYSTS, EDITORS


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: its database starts afresh, and its
    data version with it, so an earlier test's cached figures must not be found."""
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the seed loaded once for the whole run.

    Loading the two fixtures took about 0.2 s a test. Each test runs in a
    transaction that is rolled back, so the seed loaded here is there at the start
    of every test: those that ask for it (`seed`) use it, the others start from
    empty tracker tables (`tracker_tables_start_empty`)."""
    with django_db_blocker.unblock():
        _load_seed_if_missing()
    _database["blocker"] = django_db_blocker


# The database blocker, once the test database exists (see pytest_runtest_teardown).
_database: dict = {}


def _load_seed_if_missing() -> None:
    if not Framework.objects.filter(code="tsuruoka-2015").exists():
        call_command("loaddata", *SEED_FIXTURES, verbosity=0)


def _empties_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (a live server, threads) ends by emptying the database:
    load the seed again once it has, committed, so that the tests after it find it
    rather than each loading it in its own rolled-back transaction."""
    result = yield
    # After the run's last test the test databases are gone: nothing to reload.
    if nextitem is not None and _empties_the_database(item) and "blocker" in _database:
        with _database["blocker"].unblock():
            _load_seed_if_missing()
    return result


def _uses_database(request) -> bool:
    names = request.fixturenames
    return bool(
        request.node.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server"} & set(names)
    )


@pytest.fixture(autouse=True)
def tracker_tables_start_empty(request):
    """A test that does not ask for the seed finds no tracker rows (in its own
    transaction, rolled back after it, so the next test finds the seed again)."""
    if "seed" in request.fixturenames or not _uses_database(request):
        return
    request.getfixturevalue("db")
    tables = [
        model._meta.db_table
        for model in apps.get_app_config("tracker").get_models()
        if model is not DataVersion
    ]
    with transaction.atomic(), connection.cursor() as cursor:  # foreign keys checked at the end
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture
def seed(db):
    """The seed fixtures the README's `make run` loads (loaded once per run, and again
    after each transactional test; a test that empties the tables finds it gone)."""
    _load_seed_if_missing()


def _staff_member(django_user_model, username, group_name):
    user = django_user_model.objects.create_user(
        username=username, password="a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(db, django_user_model):
    return _staff_member(django_user_model, "eddie-editor", EDITORS)


@pytest.fixture
def analyst(db, django_user_model):
    return _staff_member(django_user_model, "ana-analyst", ANALYSTS)


def signed_in(user) -> Client:
    """A client of its own, so tests can act as several people at once."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return signed_in(editor)


@pytest.fixture
def analyst_client(analyst):
    return signed_in(analyst)


@pytest.fixture
def reader(analyst_client, seed):
    """An analyst's client on the seed data: what the report tests read with."""
    return analyst_client


def downloaded(response) -> bytes:
    """The body of a response, streamed (exports) or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def assert_constant_queries(django_assert_num_queries, django_assert_max_num_queries):
    """Checks that a page makes as many queries after grow() as before, both when
    its figures are computed and when they come from the cache."""

    # At most 17: the session and the user, the permission check (the user's and
    # their groups' permissions), the data version, and the page's own queries (the
    # recommendation page's, filtered by actor, are the most: its evidence table and
    # its count, chart, top actors, assessments and the verdict's figures).
    def check(client, url, grow, most=17):
        assert client.get(url).status_code == 200  # sessions, content types: warm
        cache.clear()
        with django_assert_max_num_queries(most) as computed:
            client.get(url)
        with django_assert_max_num_queries(len(computed)) as from_cache:
            client.get(url)
        grow()  # its writes raise the data version: the next read computes afresh
        with django_assert_num_queries(len(computed)):
            client.get(url)
        with django_assert_num_queries(len(from_cache)):
            client.get(url)

    return check
