"""Frozen snapshots: taken by command, never changed, exported, compared with today."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils.html import strip_tags

from tests.conftest import downloaded
from tracker import methodology, progress, snapshots
from tracker.models import Evidence, FrozenError, Snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(seed):
    out = io.StringIO()
    call_command("take_snapshot", title="2026 Q4 review", stdout=out)
    assert "Snapshot '2026 Q4 review' taken: 3 recommendations" in out.getvalue()
    return Snapshot.objects.get()


def test_a_snapshot_keeps_the_dashboard_figures_and_every_counted_link(snapshot):
    assert snapshot.figures == progress.dashboard_figures(progress.dashboard(None))
    counted = Evidence.objects.filter(progress.counted(None))
    assert len(snapshot.links) == counted.count()
    assert snapshot.methodology == methodology.VERSION
    assert snapshot.slug.endswith("-2026-q4-review")
    by_code = {figure["code"]: figure for figure in snapshot.figures}
    for code, figure in by_code.items():
        balance = sum(link["points"] for link in snapshot.links if link["recommendation"] == code)
        assert figure["balance"] == methodology.as_number(balance)


def test_a_snapshot_never_changes_and_shows_what_changed_since(snapshot, reader):
    with pytest.raises(FrozenError):
        snapshot.save()
    frozen = Snapshot.objects.get().figures
    link = Evidence.objects.filter(recommendation__code="TSU-2", strength__lt=3).first()
    link.strength += 1
    link.save()
    assert Snapshot.objects.get().figures == frozen  # recoding today leaves it be

    page = reader.get(snapshot.get_absolute_url())
    assert page.status_code == 200
    content = page.content.decode()
    assert "These figures never change" in content
    tsu2 = content.split('data-code="TSU-2"')[1].split("</section>")[0]
    assert f"Recoded: {link.development.title}" in tsu2
    assert f"strength {link.strength - 1} → {link.strength}" in tsu2
    tsu1 = content.split('data-code="TSU-1"')[1].split("</section>")[0]
    assert "Nothing has changed." in tsu1


def test_removing_a_link_shows_as_removed_and_the_balance_moves(snapshot):
    link = Evidence.objects.filter(recommendation__code="TSU-3").first()
    link.delete()
    change = next(c for c in snapshots.compare(snapshot) if c.code == "TSU-3")
    assert [(c.what, c.development) for c in change.links] == [("removed", link.development.key)]
    assert change.balance_change != 0


@pytest.mark.parametrize("export_format", ["csv", "json"])
def test_a_snapshot_exports_its_frozen_rows(snapshot, reader, export_format):
    response = reader.get(f"{snapshot.get_absolute_url()}?_export={export_format}")
    body = downloaded(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body))) if export_format == "csv" else json.loads(body)
    assert [row["Code"] for row in rows] == [f["code"] for f in snapshot.figures]
    assert [str(row["Balance"]) for row in rows] == [str(f["balance"]) for f in snapshot.figures]


def test_the_page_gives_a_citation_and_a_permalink(snapshot, reader):
    content = reader.get(snapshot.get_absolute_url()).content.decode()
    assert "Cite this:" in content
    cite = snapshots.citation(snapshot, f"http://testserver{snapshot.get_absolute_url()}")
    assert "2026 Q4 review" in cite and f"methodology v{methodology.VERSION}" in cite
    assert snapshot.get_absolute_url() in cite
    listing = reader.get("/snapshots/").content.decode()
    assert snapshot.get_absolute_url() in listing


def test_two_snapshots_with_one_title_on_one_day_get_their_own_addresses(snapshot):
    second = snapshots.take("2026 Q4 review")
    assert second.slug == f"{snapshot.slug}-2"


def test_a_snapshot_needs_a_title(seed):
    with pytest.raises(CommandError, match="needs a title"):
        call_command("take_snapshot", title="   ")
    assert not Snapshot.objects.exists()


def test_readers_without_a_role_cannot_read_snapshots(snapshot, client, django_user_model):
    response = client.get(snapshot.get_absolute_url())
    assert response.status_code == 302
    user = django_user_model.objects.create_user("nobody", password="a-long-test-password")
    client.force_login(user)
    assert client.get(snapshot.get_absolute_url()).status_code == 403
    assert client.get("/snapshots/").status_code == 403


@pytest.mark.parametrize("url", ["/", "/recommendations/TSU-2/", "/reports/matrix/", "/timeline/"])
def test_an_as_of_view_says_at_the_top_that_it_is_coded_today(reader, url):
    content = reader.get(url, {"as_of": "2023-01-20"}).content.decode()
    banner = content.split('class="banner"')[1].split("</p>")[0]
    assert "As of 20 January 2023: events dated up to that day" in strip_tags(banner)
    assert "as coded today" in banner
    assert content.index('class="banner"') < content.index("<h1")
    assert 'class="banner"' not in reader.get(url).content.decode()
