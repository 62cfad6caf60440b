"""Portable backups: `backup` writes every table a JSON dump holds, and `restore`
brings all of it back, exactly, into an empty database (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime
import gzip
import io
import json

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker import figures, review, snapshots
from tracker.backup import DERIVED, NAMED_BY_KEY, NATURAL_KEYS, _as_json, backed_up_models
from tracker.management.commands.seed import SEED_FIXTURES
from tracker.models import (
    BackgroundJob,
    Correction,
    DataVersion,
    Development,
    DevelopmentKind,
    Evidence,
    PendingImport,
)
from tracker.roles import ANALYSTS, EDITORS, ROLES

# --- What is compared -------------------------------------------------------------------


def every_row() -> dict[str, list]:
    """Every row a backup holds, read with plain SQL, exactly as stored (times to the
    microsecond, password hashes): the tracker's tables and the users by id, which
    a restore keeps. Groups are named by name (`migrate` chooses their ids, and the
    backup names them by name), and so are the links of Django's through tables.
    The data version is apart: a restore moves it on (see test below)."""
    quote = connection.ops.quote_name
    rows: dict[str, list] = {}
    with connection.cursor() as cursor:
        for model in backed_up_models():
            if model in (Group, DataVersion):
                continue
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")
            rows[table] = cursor.fetchall()
    permission = ("permission__codename", "permission__content_type__app_label")
    rows["groups"] = sorted(Group.objects.values_list("name", flat=True))
    rows["group permissions"] = sorted(
        Group.permissions.through.objects.values_list("group__name", *permission)
    )
    rows["user groups"] = sorted(User.groups.through.objects.values_list("user_id", "group__name"))
    rows["user permissions"] = sorted(
        User.user_permissions.through.objects.values_list("user_id", *permission)
    )
    return rows


def assert_same_rows(before: dict[str, list], after: dict[str, list]) -> None:
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert after[table] == rows, table  # one table at a time: a readable difference


# --- A database with something in every table ----------------------------------------------


def fill_every_table() -> None:
    """The seed, demo developments, users in each role with passwords, a group of
    one's own, edits and a deletion in the audit trail, a proposal, a correction, a
    snapshot, an upload waiting for confirmation and a background job."""
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    call_command("generate_demo_data", developments=40, seed=1, verbosity=0)
    admin = User.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    editor = User.objects.create_user("eddie", password="another-long-password", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    analyst = User.objects.create_user("ana", first_name="Ana", last_name="Lyst", is_staff=True)
    analyst.groups.add(Group.objects.get(name=ANALYSTS))
    translators = Group.objects.create(name="Translators")
    translators.permissions.add(Permission.objects.get(codename="change_source"))
    analyst.groups.add(translators)
    analyst.user_permissions.add(Permission.objects.get(codename="view_proposal"))

    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    raa.summary, raa.title = "Edited by an editor.", "Japan’s RAA with the UK — 日英円滑化協定"
    raa._history_user = editor  # type: ignore[attr-defined]
    raa.save()
    link = Evidence.objects.filter(development=raa).first()
    link.strength, link._change_reason = 1, "Recoded"  # type: ignore[union-attr]
    link.save()  # type: ignore[union-attr]
    # A development that follows one written after it (a higher id).
    first, later = Development.objects.filter(key__startswith="demo-").order_by("pk")[:2]
    Development.objects.filter(pk=later.pk).update(date=first.date, end_date=None)
    first.follows, first.follows_as = later, "fulfils"
    first.save()
    # Deleted: its versions (and its links') now refer to a row that is gone.
    Development.objects.filter(key__startswith="demo-").order_by("-pk").first().delete()

    review.propose_development(
        raa, {**review.development_record(raa), "title": "Proposed title"}, editor, "the admin"
    )
    Correction.objects.create(
        kind=Correction.Kind.RECODED,
        recommendation=link.recommendation,  # type: ignore[union-attr]
        development=raa,
        subject=str(raa),
        before={"stance": "advances", "strength": 2, "confidence": "medium"},
        after={"stance": "advances", "strength": 1, "confidence": "medium"},
        reason="The sources say less.",
        made_by=admin,
    )
    snapshots.take("2026 Q4 review", admin)
    upload = PendingImport(name="new.csv", file_format="csv", created_by=editor)
    upload.keep(io.BytesIO(b"key,date,title\nx,2023,\xe6\x97\xa5\n"))
    upload.save()
    BackgroundJob.objects.create(
        kind=BackgroundJob.Kind.EXPORT,
        name="all.csv",
        file_format="csv",
        created_by=admin,
        state=BackgroundJob.State.DONE,
        report={"rows": 53},
        file="exports/all.csv",
        finished_at=timezone.now(),
    )


def empty_the_database() -> None:
    """As a new database stands after `migrate`: no rows, the roles' groups again,
    and (as flush leaves it) new ids for the permissions."""
    call_command("flush", interactive=False, verbosity=0)
    assert not Development.objects.exists() and not User.objects.exists()


# --- The round trip -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_restore_brings_back_every_row_of_every_table_exactly(tmp_path):
    fill_every_table()
    before, version = every_row(), DataVersion.objects.current()
    call_command("backup", str(tmp_path / "backup.json"), verbosity=0)

    empty_the_database()
    call_command("restore", str(tmp_path / "backup.json"), verbosity=0)

    assert_same_rows(before, every_row())
    assert DataVersion.objects.current() > version  # no cached figure of before is read
    assert figures.stale_links() == []
    assert figures.stale_tallies() == []
    assert before["tracker_historicaldevelopment"]  # the audit trail was there to compare
    assert User.objects.get(username="eddie").check_password("another-long-password")


@pytest.mark.django_db(transaction=True)
def test_a_restored_database_takes_new_rows_after_the_restored_ones(tmp_path):
    fill_every_table()
    call_command("backup", str(tmp_path / "backup.json"), verbosity=0)
    highest = Development.objects.order_by("-pk").values_list("pk", flat=True).first()
    empty_the_database()
    call_command("restore", str(tmp_path / "backup.json"), verbosity=0)

    # On PostgreSQL the ids come from sequences, which the restore moves past its rows.
    development = Development.objects.create(
        key="after-the-restore",
        date=datetime.date(2024, 5, 1),
        kind=DevelopmentKind.objects.first(),
        title="Written after the restore",
    )
    assert development.pk > highest
    assert development.history.count() == 1
    assert Group.objects.create(name="New group").pk
    assert User.objects.create_user("newcomer").pk


@pytest.mark.django_db(transaction=True)
def test_a_compressed_backup_restores_the_same(tmp_path):
    fill_every_table()
    before = every_row()
    call_command("backup", str(tmp_path / "backup.json.gz"), verbosity=0)
    with gzip.open(tmp_path / "backup.json.gz", "rt", encoding="utf-8") as text:
        assert json.load(text)[0]["model"] == "auth.group"
    empty_the_database()
    call_command("restore", str(tmp_path / "backup.json.gz"), verbosity=0)
    assert_same_rows(before, every_row())


@pytest.mark.django_db(transaction=True)
def test_the_backup_is_a_fixture_djangos_loaddata_reads_too(tmp_path):
    fill_every_table()
    before = every_row()
    call_command("backup", str(tmp_path / "backup.json"), verbosity=0)
    empty_the_database()
    call_command("loaddata", str(tmp_path / "backup.json"), verbosity=0)
    assert_same_rows(before, every_row())


@pytest.mark.django_db(transaction=True)
def test_the_backup_holds_what_dumpdata_with_natural_keys_cannot_write(tmp_path):
    """A development deleted since leaves versions that refer to it: dumpdata's
    natural keys cannot name it, and the README's old backup stopped there."""
    fill_every_table()
    with pytest.raises(CommandError, match="Development matching query does not exist"):
        call_command(
            "dumpdata",
            "tracker",
            natural_foreign=True,
            output=str(tmp_path / "dump.json"),
            verbosity=0,
        )
    call_command("backup", str(tmp_path / "backup.json"), verbosity=0)
    records = json.loads((tmp_path / "backup.json").read_text())
    deleted = {r["fields"]["id"] for r in records if r["model"] == "tracker.historicaldevelopment"}
    live = {r["pk"] for r in records if r["model"] == "tracker.development"}
    assert deleted - live  # the deleted development's versions are in it, by id


# --- Backups written by dumpdata, with natural keys (the README's former instructions) --------


def dumped(path) -> list:
    call_command(
        "dumpdata",
        "tracker",
        "auth.user",
        "auth.group",
        natural_foreign=True,
        natural_primary=True,
        indent=2,
        output=str(path),
        verbosity=0,
    )
    records = json.loads(path.read_text().replace('.000Z"', 'Z"'))  # dumpdata's milliseconds
    # The data version and the tallies are not backed up (the tallies are counted
    # again, under the restored rows' ids).
    return [r for r in records if r["model"] not in {"tracker.dataversion", *DERIVED}]


@pytest.mark.django_db(transaction=True)
def test_restore_reads_a_dumpdata_backup_with_natural_keys(tmp_path):
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    call_command("generate_demo_data", developments=30, seed=1, verbosity=0)
    editor = User.objects.create_user("eddie", password="another-long-password")
    editor.groups.add(Group.objects.get(name=EDITORS))
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    raa.created_by, raa.summary, raa._history_user = editor, "Edited.", editor  # type: ignore[attr-defined]
    raa.save()
    before = dumped(tmp_path / "before.json")

    empty_the_database()
    call_command("restore", str(tmp_path / "before.json"), verbosity=0)

    assert dumped(tmp_path / "after.json") == before
    assert Development.history.filter(key=raa.key, history_user__username="eddie").exists()


def natural_key_backup(developments: int) -> str:
    """dumpdata's form: no ids, every reference by natural key."""
    records = [
        {"model": "auth.user", "fields": {"username": "eddie", "password": "!", "groups": []}},
        {
            "model": "tracker.developmentkind",
            "fields": {"code": "summit", "name": "Summit", "nature": "verbal"},
        },
    ] + [
        {
            "model": "tracker.development",
            "fields": {
                "key": f"d-{n}",
                "date": "2023-01-09",
                "title": f"Development {n}",
                "kind": ["summit"],
                "created_by": ["eddie"],
            },
        }
        for n in range(developments)
    ]
    return json.dumps(records, indent=2)


def test_natural_keys_are_looked_up_a_query_per_table_per_chunk_not_per_reference(db, tmp_path):
    queries = []
    for developments in (5, 500):
        path = tmp_path / f"{developments}.json"
        path.write_text(natural_key_backup(developments))
        with CaptureQueriesContext(connection) as captured:
            call_command("restore", str(path), verbosity=0)
        queries.append(len(captured))
        assert Development.objects.filter(created_by__username="eddie").count() == developments
        empty_tracker_tables()
    assert queries[0] == queries[1]


def empty_tracker_tables() -> None:
    with connection.cursor() as cursor:
        for model in reversed(backed_up_models()):
            if model not in (Group, DataVersion):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    User.groups.through.objects.all().delete()


def test_each_natural_key_lookup_gives_the_models_natural_key(seed, editor):
    snapshots.take("A snapshot")
    known = [*backed_up_models(), Permission, ContentType]
    for label, lookups in NATURAL_KEYS.items():
        model = next(m for m in known if m._meta.label_lower == label)
        row = model._base_manager.order_by("pk").first()
        found = model._base_manager.filter(pk=row.pk).values_list(*lookups).get()
        assert tuple(map(_as_json, found)) == tuple(row.natural_key()), label
    for model in backed_up_models():
        if hasattr(model, "natural_key"):
            assert model._meta.label_lower in NATURAL_KEYS, model
    assert NATURAL_KEYS.keys() >= NAMED_BY_KEY


# --- Refusals: nothing half-written, a line that says where ---------------------------------

KIND = (
    '{"model": "tracker.developmentkind", "pk": 1, "fields": '
    '{"code": "meeting", "name": "Meeting", "nature": "verbal", "description": ""}}'
)
DEVELOPMENT = (
    '{"model": "tracker.development", "pk": 1, "fields": '
    '{"key": "k", "date": "2023-01-09", "title": "A meeting", "kind": 1}}'
)


def listed(*records: str) -> str:
    return "[\n" + ",\n".join(records) + "\n]\n"


def restore_text(tmp_path, text: str, **options) -> None:
    path = tmp_path / "backup.json"
    path.write_text(text, encoding="utf-8")
    call_command("restore", str(path), **{"verbosity": 0, **options})


def nothing_written() -> bool:
    return (
        not DevelopmentKind.objects.exists()
        and not Development.objects.exists()
        and set(Group.objects.values_list("name", flat=True)) == set(ROLES)
        and DataVersion.objects.exists()
    )


def test_a_file_of_records_with_missing_fields_restores_with_their_defaults(db, tmp_path):
    restore_text(tmp_path, listed(KIND, DEVELOPMENT))
    development = Development.objects.get()
    assert (development.kind.code, development.status, development.published) == (
        "meeting",
        "occurred",
        True,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (KIND, "line 1: a backup is a JSON list of objects"),
        (listed(KIND, DEVELOPMENT.replace('"k",', '"k",,')), "line 3: not valid JSON"),
        (listed(KIND, DEVELOPMENT)[:-30], "line 3: not valid JSON"),
        ("[\n" + KIND + "\n" + DEVELOPMENT + "\n]", "line 3: expected ',' or ']'"),
        (listed(KIND) + "[]", "line 4: text after the end of the list"),
        (listed(KIND, "[1, 2]"), "line 3: each element of the list must be an object"),
        (
            listed('{"model": "sessions.session", "pk": "x", "fields": {}}'),
            "line 2: 'sessions.session' is not a table a backup holds",
        ),
        (
            listed(KIND.replace('"description"', '"colour"')),
            "line 2: tracker.developmentkind has no field 'colour'",
        ),
        (
            listed(KIND, DEVELOPMENT.replace("2023-01-09", "2023-02-30")),
            "line 3: tracker.development, date: ",
        ),
        (
            listed(KIND, DEVELOPMENT.replace('"kind": 1', '"kind": 1, "published": "perhaps"')),
            "line 3: tracker.development, published: ",
        ),
        (listed(KIND, KIND.replace("meeting", "summit")), "line 3: tracker.developmentkind: "),
        (
            listed(KIND, DEVELOPMENT.replace('"kind": 1', '"kind": 1, "status": "rumoured"')),
            "line 3: tracker.development: ",
        ),
        (
            listed(KIND, DEVELOPMENT.replace('"kind": 1', '"kind": ["summit"]')),
            'line 3: tracker.development, kind: no tracker.developmentkind ["summit"]',
        ),
        (
            listed('{"model": "auth.group", "fields": {"name": "G", "permissions": [["fly"]]}}'),
            'line 2: auth.group, permissions: no auth.permission ["fly"]',
        ),
        (
            listed(KIND, DEVELOPMENT.replace('"kind": 1', '"kind": 99')),
            "A row refers to one the backup does not hold: ",
        ),
    ],
    ids=[
        "not a list",
        "bad JSON",
        "cut short",
        "no comma",
        "text after",
        "not an object",
        "unknown table",
        "unknown field",
        "impossible date",
        "not a boolean",
        "duplicate id",
        "against a rule",
        "unknown natural key",
        "unknown permission",
        "missing row",
    ],
)
def test_a_bad_file_is_refused_whole_with_one_line_that_says_where(db, tmp_path, text, message):
    with pytest.raises(CommandError) as refused:
        restore_text(tmp_path, text)
    assert message in str(refused.value)
    assert str(refused.value).endswith("Nothing was restored.")
    assert "\n" not in str(refused.value)
    assert nothing_written()


def test_a_database_that_holds_data_is_refused(seed, tmp_path):
    count = Development.objects.count()
    with pytest.raises(CommandError) as refused:
        restore_text(tmp_path, listed(KIND))
    assert "The database is not empty (it holds " in str(refused.value)
    assert "\n" not in str(refused.value)
    assert Development.objects.count() == count


def test_a_dry_run_checks_the_whole_file_and_writes_nothing(db, tmp_path, capsys):
    restore_text(tmp_path, listed(KIND, DEVELOPMENT), dry_run=True, verbosity=1)
    assert "Would restore 2 rows (0 users, 0 groups, 1 developments" in capsys.readouterr().out
    assert nothing_written()
    with pytest.raises(CommandError, match="A row refers to one the backup does not hold"):
        missing_kind = DEVELOPMENT.replace('"kind": 1', '"kind": 99')
        restore_text(tmp_path, listed(KIND, missing_kind), dry_run=True)
    assert nothing_written()
