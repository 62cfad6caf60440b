"""Shared fixtures: the seed data, and users in each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from tracker.management.commands.seed import SEED_FIXTURES
from tracker.roles import ANALYSTS, EDITORS


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: its database starts afresh, and its
    data version with it, so an earlier test's cached figures must not be found."""
    cache.clear()


@pytest.fixture
def seed(db):
    """The seed fixtures the README's `make run` loads."""
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)


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
def assert_constant_queries(django_assert_num_queries, django_assert_max_num_queries):
    """Checks that a page makes as many queries after grow() as before, both when
    its figures are computed and when they come from the cache."""

    def check(client, url, grow, most=14):
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
