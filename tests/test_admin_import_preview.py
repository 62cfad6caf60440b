"""The admin's import preview says what each record would do, counts the valid
records of a file with problems, and the import page offers a template CSV and the
format's description."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import signed_in
from tests.test_importers import GOOD
from tracker.admin.views import ImportAndRestoreViews, format_description
from tracker.interchange import COLUMNS, import_developments
from tracker.models import Development, PendingImport

pytestmark = pytest.mark.django_db
URL = reverse("admin:tracker_development_import")
TEMPLATE_URL = reverse("admin:tracker_development_import_template")
FORMAT_URL = reverse("admin:tracker_development_import_format")

UPDATE = (
    "key,date,title,kind,actors,evidence,note\n"
    "2023-01-11-japan-uk-raa,2023-01-11,Japan and the UK sign an access agreement,"
    "agreement,JP;GB;FR,TSU-2:advances:2:low,Signed.\n"
    "preview-new,2023-05,Japan and Lithuania open a dialogue,meeting,JP;LT,"
    "TSU-1:advances:1,A first step.\n"
)
BROKEN = "broken,2023-13-45,,meeting,JP,TSU-9:advances,\n"


def upload(client, content: str, name="developments.csv"):
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post(URL, {"file": file})


@pytest.fixture
def root_client(seed, admin_user):
    return signed_in(admin_user)


def test_preview_lists_each_records_title_date_actors_and_evidence(editor_client, seed):
    response = upload(editor_client, UPDATE)
    changes = {change.key: change for change in response.context["report"].changes}
    new = changes["preview-new"]
    assert (new.action, new.line, new.title, new.date) == (
        "create",
        3,
        "Japan and Lithuania open a dialogue",
        "May 2023",
    )
    assert new.actors == ("JP", "LT")
    assert new.evidence == ("TSU-1 advances, strength 1, medium confidence",)
    content = response.content.decode()
    assert "Japan and Lithuania open a dialogue" in content
    assert "TSU-1 advances, strength 1, medium confidence" in content
    assert '<td data-label="Actors">JP, LT</td>' in content


def test_preview_says_what_an_update_changes(editor_client, seed):
    response = upload(editor_client, UPDATE)
    raa = next(c for c in response.context["report"].changes if c.key.endswith("-raa"))
    assert raa.action == "propose"  # an editor's change to a published development
    differences = {d.what: (d.before, d.after) for d in raa.differences}
    assert differences["Title"] == (
        "Japan and the UK sign a Reciprocal Access Agreement",
        "Japan and the UK sign an access agreement",
    )
    assert differences["Actor FR"] == ("—", "takes part")
    assert differences["Evidence TSU-2"][1] == "advances, strength 2: Signed."
    # The citation the file leaves out goes.
    assert any(
        what.startswith("Citation ") and after == "—" for what, (_, after) in differences.items()
    )
    content = response.content.decode()
    assert (
        "<strong>Title</strong>: <del>Japan and the UK sign a Reciprocal Access Agreement</del>"
        in content
    )


def test_an_unchanged_record_is_counted_not_listed(root_client):
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    out = io.StringIO()
    from tracker.interchange import export_developments

    export_developments(out, "csv", Development.objects.filter(pk=raa.pk))
    report = upload(root_client, out.getvalue()).context["report"]
    assert (report.unchanged, report.changes) == (1, [])


def test_valid_records_are_counted_and_listed_when_others_have_problems(editor_client, seed):
    response = upload(editor_client, UPDATE + BROKEN)
    report = response.context["report"]
    assert {problem.line for problem in report.errors} == {4}
    assert (report.records, report.invalid) == (3, 1)
    assert (report.created, report.proposed, report.updated, report.unchanged) == (1, 1, 0, 0)
    assert [c.key for c in report.changes] == ["2023-01-11-japan-uk-raa", "preview-new"]  # by line
    content = response.content.decode()
    assert (
        "3 records: 1 with problems; of the other 2, 1 would be created, 0 would be updated, "
        "1 would be proposed for review"
    ) in content
    assert "Japan and Lithuania open a dialogue" in content
    assert 'name="confirm"' not in content
    assert not PendingImport.objects.exists()
    assert not Development.objects.filter(key="preview-new").exists()


def test_a_record_whose_key_another_development_has_is_a_problem_and_not_counted(
    editor_client, seed
):
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    # No key: made from date and title, and the RAA's key is that; but its title differs.
    taken = f"date,title,kind,actors\n{raa.date},Japan UK RAA,agreement,JP\n"
    Development.objects.filter(pk=raa.pk).update(key="2023-01-11-japan-uk-raa-2")
    Development.objects.create(
        key="2023-01-11-japan-uk-raa", date=raa.date, title="Other", kind=raa.kind
    )
    report = upload(editor_client, taken + BROKEN.replace("broken,", "")).context["report"]
    assert report.created == 0
    assert report.invalid == 2


def test_the_count_of_a_file_with_many_problems_says_only_that_nothing_is_imported(seed):
    lines = "".join(f"2023-13-{n:02},Bad {n},meeting,JP\n" for n in range(1, 1100))
    report = import_developments(
        io.BytesIO(f"date,title,kind,actors\n{lines}".encode()), "csv", dry_run=True
    )
    assert report.unlisted_errors
    assert report.summary() == "1099 records; nothing is imported until the problems are fixed."


def test_a_file_without_problems_keeps_its_summary(seed):
    report = import_developments(io.BytesIO(GOOD.encode()), "csv", dry_run=True)
    assert report.summary() == "3 records: 2 would be created, 1 would be updated, 0 unchanged."


# --- The template and the format's description ----------------------------------------


def test_the_import_page_links_to_the_template_and_the_format(editor_client):
    content = editor_client.get(URL).content.decode()
    assert f'href="{TEMPLATE_URL}"' in content
    assert f'href="{FORMAT_URL}"' in content


def test_the_template_names_every_column_and_imports_cleanly(editor_client, seed):
    response = editor_client.get(TEMPLATE_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="developments-template.csv"' in response["Content-Disposition"]
    body = response.content
    assert body.decode().splitlines()[0] == ",".join(COLUMNS)
    report = import_developments(io.BytesIO(body), "csv", dry_run=True)
    assert report.errors == []
    assert report.created == 2


def test_the_template_fits_a_tracker_without_recommendations(editor_client, db):
    from django.core.management import call_command

    call_command("loaddata", "reference", verbosity=0)  # kinds and actors only
    body = editor_client.get(TEMPLATE_URL).content
    assert import_developments(io.BytesIO(body), "csv", dry_run=True).errors == []


def test_the_format_description_is_the_readmes_and_covers_every_column(editor_client):
    response = editor_client.get(FORMAT_URL)
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("## Importing and exporting developments\n")
    assert "### The CSV format" in text and "### The JSON format" in text
    assert "## Background jobs" not in text
    for column in COLUMNS:
        assert f"`{column}`" in text, column


def test_without_a_readme_the_format_is_a_404_not_an_error(editor_client, monkeypatch, tmp_path):
    monkeypatch.setattr("tracker.admin.views.README", tmp_path / "missing.md")
    assert format_description() is None
    assert editor_client.get(FORMAT_URL).status_code == 404


def test_the_downloads_take_no_posts(editor_client):
    for url in (TEMPLATE_URL, FORMAT_URL):
        assert editor_client.post(url).status_code == 405


def test_every_page_the_import_views_add_is_refused_to_those_who_may_not_import(
    analyst_client, editor_client, seed
):
    """Enumerated from the development admin itself, so a page added later is checked."""
    model_admin = admin.site._registry[Development]
    added = [
        pattern
        for pattern in model_admin.get_urls()
        if pattern.name
        not in {p.name for p in super(ImportAndRestoreViews, model_admin).get_urls()}
    ]
    assert {p.name for p in added} >= {
        "tracker_development_import",
        "tracker_development_import_template",
        "tracker_development_import_format",
        "tracker_development_export",
    }
    for pattern in added:
        args = ["1"] * len(pattern.pattern.converters)
        url = reverse(f"admin:{pattern.name}", args=args)
        assert analyst_client.get(url).status_code in (403, 405), url  # 405: POST only
        assert analyst_client.post(url).status_code == 403, url
    for name in ("import_template", "import_format"):
        assert editor_client.get(reverse(f"admin:tracker_development_{name}")).status_code == 200


def test_an_editors_import_says_its_new_developments_wait_and_for_whom(seed, editor, admin_user):
    client = signed_in(editor)
    pending = upload(client, UPDATE).context["pending"]
    response = client.post(URL, {"confirm": "1", "pending": pending.pk}, follow=True)
    said = [str(message) for message in response.context["messages"]]
    assert (
        "The new development is a draft by eddie-editor: reports leave it out until "
        f"someone else publishes it. Who may: {admin_user.username}."
    ) in said
    assert not Development.objects.get(key="preview-new").published


def test_an_administrators_import_says_nothing_of_drafts(root_client):
    pending = upload(root_client, UPDATE).context["pending"]
    response = root_client.post(URL, {"confirm": "1", "pending": pending.pk}, follow=True)
    assert not any("draft" in str(message) for message in response.context["messages"])


def test_the_drafts_message_counts_several(seed, editor):
    from tracker.admin.views import drafts_message

    assert drafts_message(3, editor).startswith(
        "The 3 new developments are drafts by eddie-editor: reports leave them out until "
        "someone else publishes them. Who may: "
    )
