"""Readers never write: every admin URL, every writing method, every role without
the right permission gets 403 and changes nothing.

The URLs are enumerated from the admin site itself (every registered model's
URLs, the ones django-simple-history and this project add included), so a URL
added later is swept by the same test. Each is attacked with a real payload: the
form a superuser would post on that page, replayed (and, on the change lists,
every action with its confirmation), so that a missing check would show as a
write, not as a harmless bad request.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLResolver

from tests.conftest import signed_in
from tests.factories import make_development, make_evidence, make_member
from tracker import snapshots
from tracker.models import Assessment, DataVersion, Development, Recommendation
from tracker.roles import ANALYSTS, EDITOR_PERMISSIONS, EDITORS

pytestmark = pytest.mark.django_db

WRITING_METHODS = ("post", "put", "patch", "delete")
OWN_ACCOUNT = {"login", "logout", "password_change"}  # the user's own session and password
PLACEHOLDER = re.compile(r"<(?:\w+:)?\w+>|\((?:\?P<\w+>)?[^)]*\)")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.name


def admin_routes():
    """(route, url name, model or None) for every URL of the admin site."""
    for route, name in _walk(admin.site.get_urls()):
        model = None
        for registered in admin.site._registry:
            if route.startswith(f"{registered._meta.app_label}/{registered._meta.model_name}/"):
                model = registered
        yield route, name, model


def concrete(route: str, values: list[str]) -> str:
    """The route with its placeholders filled in order, as a path under /admin/."""
    filled = iter(values)
    path = PLACEHOLDER.sub(lambda _: next(filled, "1"), route)
    return "/admin/" + path.replace("^", "").replace("$", "").replace(".*", "")


class FormFields(HTMLParser):
    """The fields of the page's main form (not the header's sign-out form), as posted."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.depth = 0
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if self.depth == 0 and "logout" not in (attrs.get("action") or ""):
                self.depth = 1 if not self.data else 0
            return
        if not self.depth:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind == "submit" and name != "_save":
                return
            self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth = -1  # one form only
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.depth > 0:
            self.data[self.textarea][0] += data


def replayed_form(superuser: Client, url: str) -> dict:
    response = superuser.get(url)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return {}
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.data


def payloads(superuser: Client, url: str, model, name) -> list[dict]:
    """What an attacker posts: the page's own form, and on a list every action."""
    found = [replayed_form(superuser, url), {"post": "yes"}]
    if model is not None and name and name.endswith("_changelist"):
        pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:3]]
        for action in admin.site._registry[model].actions or ():
            found.append(
                {
                    "action": action,
                    "_selected_action": pks,
                    "post": "yes",
                    "apply": "1",
                    "recommendation": str(Recommendation.objects.first().pk),
                    "stance": "hinders",
                    "strength": "3",
                    "rationale": "Sweep.",
                }
            )
        found.append({"action": "delete_selected", "_selected_action": pks, "post": "yes"})
    return found


def snapshot():
    """Everything a write would change: row counts, the data version, users and groups."""
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model is not Session and model._meta.app_label != "axes"
    }
    return (
        counts,
        DataVersion.objects.current(),
        list(User.objects.order_by("pk").values()),
        list(Group.objects.order_by("pk").values()),
        list(Development.objects.order_by("pk").values()),
    )


@pytest.fixture
def world(seed, django_user_model, editor):
    """The seed, a draft, a deleted development, a snapshot, history everywhere, and
    every role."""
    draft = make_development(title="A draft", published=False, created_by=editor)
    gone = make_development(title="Deleted")
    gone.delete()
    make_evidence(development=draft, recommendation=Recommendation.objects.first())
    Assessment.objects.filter(pk=Assessment.objects.first().pk).update(published=False)
    snapshots.take("Swept")

    superuser = make_member("root", is_staff=True, is_superuser=True)
    return {
        "superuser": signed_in(superuser),
        "readers": {
            "anonymous": Client(),
            "signed in, no role": signed_in(make_member("nobody")),
            "staff, no role": signed_in(make_member("staff-only", is_staff=True)),
            "analyst": signed_in(make_member("analyst-2", ANALYSTS, is_staff=True)),
        },
        "editor": signed_in(make_member("editor-2", EDITORS, is_staff=True)),
    }


def editor_may_write(model) -> bool:
    if model is None or model._meta.app_label != "tracker":
        return False
    return bool(set(EDITOR_PERMISSIONS.get(model._meta.model_name, ())) - {"view"})


def sample_args(model) -> list[list[str]]:
    """Ids to fill a model's URLs with: a live row (a draft too, where there is one)
    and a version from its history, so pages for rows and for versions are reached."""
    if model is None:
        return [[]]
    rows = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:1])
    if hasattr(model, "published"):
        rows += list(
            model._default_manager.filter(published=False).values_list("pk", flat=True)[:1]
        )
    history = getattr(model, "history", None)
    out = []
    for pk in rows or [1]:
        version = (
            history.filter(id=pk).values_list("history_id", flat=True).first() if history else None
        )
        out.append([str(pk), str(version or 1)])
    return out


def test_no_admin_url_takes_a_write_from_anyone_without_a_write_permission(world):
    superuser = world["superuser"]
    attackers = dict(world["readers"])
    swept = refused = 0
    development_type = ContentType.objects.get_for_model(Development)
    for route, name, model in admin_routes():
        if name in OWN_ACCOUNT:
            continue
        who = dict(attackers)
        if not editor_may_write(model):
            who["editor"] = world["editor"]
        for args in sample_args(model):
            if name == "view_on_site":
                args = [str(development_type.pk), args[0] if args else "1"]
            url = concrete(route, args)
            before = snapshot()
            attempts = [("post", data) for data in payloads(superuser, url, model, name)]
            attempts += [(method, None) for method in WRITING_METHODS if method != "post"]
            for method, data in attempts:
                for role, client in who.items():
                    response = getattr(client, method)(url, data)
                    swept += 1
                    assert response.status_code == 403, (role, method.upper(), url, data)
                    refused += 1
            assert snapshot() == before, (url, "changed by a refused request")
    # Every model's pages were reached, and the count says how wide the sweep was.
    assert swept == refused > 1500, swept


def test_the_admin_refuses_put_patch_and_delete_even_from_those_who_may_write(world):
    """Its views would answer them as reads (a 200 that looks like acceptance)."""
    development = Development.objects.first()
    url = f"/admin/tracker/development/{development.pk}/change/"
    for client in (world["editor"], world["superuser"]):
        for method in ("put", "patch", "delete"):
            assert getattr(client, method)(url).status_code == 403


def test_the_replayed_revert_form_would_write_for_someone_allowed(world):
    """The payloads are real: the revert page's own form, posted by an administrator, saves."""
    development = Development.objects.get(key="2023-01-11-japan-uk-raa")
    development.title = "Renamed"
    development.save()
    version = development.history.order_by("history_date").first()
    url = f"/admin/tracker/development/{development.pk}/history/{version.history_id}/"
    data = replayed_form(world["superuser"], url)
    assert data, "the revert page has a form"
    assert world["readers"]["analyst"].post(url, data).status_code == 403
    assert world["superuser"].post(url, data).status_code == 302
    development.refresh_from_db()
    assert development.title == version.title
