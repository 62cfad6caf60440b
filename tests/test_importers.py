"""CSV and JSON imports: accepted whole or not at all, and the same format comes back."""

import csv
import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

from tracker.interchange import ImportFileError, export_developments, import_developments, writer
from tracker.models import (
    Actor,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Source,
)

pytestmark = pytest.mark.django_db

PIVOT = "https://magazine.thediplomat.com/2023-03/japans-pivot-to-europe"
GOOD = "\n".join(
    [
        "key,date,end_date,title,kind,actors,source_title,source_url,evidence,note",
        "2023-01-11-japan-uk-raa,2023-01-11,,Japan and the UK sign a Reciprocal Access "
        f"Agreement,agreement,JP;GB,Japan’s Pivot to Europe,{PIVOT},TSU-2:advances:3,"
        "Lets forces exercise in each other's country.",
        ',2022-12,,"Japan, Italy and the UK: a fighter jet, ""GCAP""",defence-industry,'
        'JP;IT;GB,,,TSU-2:advances;TSU-3:advances:1,"[TSU-2] Common equipment.',
        '[TSU-3] Three-way synergy."',
        "2023-01-09-drills,2023-01-09,2023-01-14,Drills in the Gulf of Aden,exercise,JP;FR;US,,,,",
        "",
    ]
)


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def run(text: str | bytes, file_format="csv", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_developments(io.BytesIO(data), file_format, **kwargs)


def snapshot():
    """Everything an import writes, comparable across databases (no ids or times)."""
    return {
        "developments": sorted(
            Development.objects.values_list(
                "key",
                "date",
                "precision",
                "end_date",
                "title",
                "summary",
                "kind__code",
                "status",
                "follows__key",
                "follows_as",
                "location",
            )
        ),
        "actors": sorted(
            DevelopmentActor.objects.values_list("development__key", "actor__code", "actor__name")
        ),
        "citations": sorted(
            Citation.objects.values_list(
                "development__key",
                "source__title",
                "source__publisher",
                "source__url",
                "source__published_on",
                "source__reliability",
                "quote",
                "locator",
            )
        ),
        "evidence": sorted(
            Evidence.objects.values_list(
                "development__key",
                "recommendation__code",
                "stance",
                "strength",
                "rationale",
                "confidence",
            )
        ),
    }


def test_a_good_file_creates_developments_with_their_links(reference):
    report = run(GOOD)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    assert sorted(raa.actors.values_list("code", flat=True)) == ["GB", "JP"]
    assert raa.citations.get().source.url.startswith("https://magazine.thediplomat.com")
    jet = Development.objects.get(title='Japan, Italy and the UK: a fighter jet, "GCAP"')
    assert (jet.key, jet.precision, jet.date_display) == (
        "2022-12-japan-italy-and-the-uk-a-fighter-jet-gcap",
        "month",
        "December 2022",
    )
    notes = dict(jet.evidence.values_list("recommendation__code", "rationale"))
    assert notes == {"TSU-2": "Common equipment.", "TSU-3": "Three-way synergy."}
    assert jet.evidence.get(recommendation__code="TSU-2").strength == 2  # the default
    assert Development.objects.get(key="2023-01-09-drills").date_display == "9–14 January 2023"


def test_a_file_without_the_methodology_v2_columns_imports_with_their_defaults(reference):
    report = run(GOOD)  # no follows, follows_as, source_reliability, nor confidences

    assert report.ok, report.errors
    assert set(Development.objects.values_list("follows", "follows_as")) == {(None, "")}
    assert set(Evidence.objects.values_list("confidence", flat=True)) == {"medium"}
    assert Source.objects.get(url=PIVOT).reliability == "secondary"
    assert run(GOOD).unchanged == 3


def test_missing_countries_are_created_from_the_country_list(reference):
    assert not Actor.objects.filter(code="FR").exists()
    run(GOOD)
    france = Actor.objects.get(code="FR")
    assert (france.name, france.kind) == ("France", "state")


def test_importing_the_same_file_twice_creates_nothing_the_second_time(reference):
    run(GOOD)
    before, sources = snapshot(), Source.objects.count()
    report = run(GOOD)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert snapshot() == before
    assert Source.objects.count() == sources


def test_a_changed_row_updates_and_replaces_its_links(reference):
    run(GOOD)
    changed = GOOD.replace("JP;GB,", "JP;GB;AU,").replace(
        "TSU-2:advances:3,Lets", "TSU-3:hinders:1,Lets"
    )
    report = run(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    raa = Development.objects.get(key="2023-01-11-japan-uk-raa")
    assert sorted(raa.actors.values_list("code", flat=True)) == ["AU", "GB", "JP"]
    assert list(raa.evidence.values_list("recommendation__code", "stance", "strength")) == [
        ("TSU-3", "hinders", 1)
    ]


def test_dry_run_reports_what_would_happen_and_writes_nothing(reference):
    report = run(GOOD, dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert "would be created" in report.summary()
    assert not Development.objects.exists()
    assert not Actor.objects.filter(code="FR").exists()


def test_reference_data_deleted_between_check_and_write_is_reported_not_a_crash(
    reference, monkeypatch
):
    # The first pass runs before the import's transaction: a kind deleted meanwhile
    # turns a checked record invalid in the second (it was an AttributeError).
    first_pass = writer.check_records

    def check_then_delete_a_kind(*args, **kwargs):
        checked = first_pass(*args, **kwargs)
        DevelopmentKind.objects.filter(code="exercise").delete()
        return checked

    monkeypatch.setattr(writer, "check_records", check_then_delete_a_kind)
    report = run(GOOD)
    assert not report.ok
    assert [(e.line, e.column) for e in report.errors] == [(5, "kind")]
    assert "unknown kind 'exercise'" in report.errors[0].message
    assert not Development.objects.exists()
    assert not Actor.objects.filter(code="FR").exists()


def test_every_error_is_reported_with_line_and_column_and_nothing_is_written(reference):
    bad = (
        "key,date,end_date,title,kind,actors,evidence,note\n"
        "ok-row,2023-01-09,,Fine,meeting,JP,,\n"
        "k1,2023-02-30,,T,meeting,JP;XX,TSU-9:advances,n\n"
        'k2,2023,,"multi\nline title",volcano,NATO,TSU-1:sideways:5,\n'
        "k2,2023-01,2022-12,T3,meeting,,TSU-1:hinders,\n"
        "k4,2023-01-01,,T4,meeting,JP,TSU-1:advances:7,x\n"
        "bad key!,2023,,T5,meeting,JP,TSU-1:advances,\n"
    )
    report = run(bad)
    assert [str(p) for p in report.errors] == [
        "line 3, date: '2023-02-30' is not a real date",
        "line 3, actors: unknown actor 'XX' (not an ISO country code, nor an actor in the admin)",
        "line 3, evidence: unknown recommendation 'TSU-9'",
        "line 4, kind: unknown kind 'volcano' (known: agreement, assistance, defence-industry, "
        "exercise, institutional, meeting, other, statement)",
        "line 4, evidence: 'sideways' for TSU-1 is not 'advances' or 'hinders'",
        "line 6, end_date: 2022-12 is before the date 2023-01",
        "line 6, actors: is required: at least one actor code",
        "line 6, note: evidence for TSU-1 needs a rationale: say why in 'note'",
        "line 6, key: same key as the record on line 4",
        "line 7, evidence: strength for TSU-1 must be 1, 2 or 3",
        "line 8, note: evidence for TSU-1 needs a rationale: say why in 'note'",
        "line 8, key: 'bad key!' may hold only letters, digits, '-' and '_' (100 at most)",
    ]
    assert not Development.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"key,date,title,kind,actors\n", "The file has a header row but no records."),
        (
            b"key,date,title,kind\nk,2023,T,meeting\n",
            "Required column missing from the header: actors.",
        ),
        (b"key,date,title,kind,actors,colour\n", "Unknown column in the header: 'colour'"),
        (b"date,date,title,kind,actors\n", "Column repeated in the header: date."),
        (b"date,title,kind,actors\n2023,Caf\xe9,meeting,JP\n", "The file is not UTF-8 text"),
        (
            b"date,title,kind,actors,summary\n2023,T,meeting,JP," + b"x" * 200_000 + b"\n",
            "Line 2 holds a field longer than 100,000 characters.",
        ),
    ],
)
def test_bad_files_get_one_clear_line(reference, content, message):
    with pytest.raises(ImportFileError) as error:
        run(content)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert not Development.objects.exists()


def test_bom_and_crlf_line_ends_are_read(reference):
    crlf = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")
    report = run(crlf)
    assert report.ok, report.errors
    assert report.created == 3
    jet = Development.objects.get(precision="month")
    assert "\r" not in jet.title


def test_a_record_with_embedded_newlines_is_counted_by_its_first_line(reference):
    text = (
        "date,title,kind,actors,summary\n"
        '2023,"A title","meeting",JP,"first\nsecond\nthird"\n'
        "2023,Second,volcano,JP,\n"
    )
    report = run(text)
    assert [str(p) for p in report.errors] == [
        "line 5, kind: unknown kind 'volcano' (known: agreement, assistance, "
        "defence-industry, exercise, institutional, meeting, other, statement)"
    ]


def test_json_records_accept_lists_and_objects(reference):
    records = [
        {
            "key": "hotline",
            "date": "2023-01-24",
            "title": "EU-Japan hotline",
            "kind": "institutional",
            "status": "announced",
            "actors": ["EU", "EEAS", "jp"],
            "evidence": [
                {
                    "recommendation": "TSU-3",
                    "stance": "advances",
                    "strength": 2,
                    "rationale": "R3",
                },
                {"recommendation": "TSU-1", "stance": "advances", "strength": "1"},
            ],
            "note": "Shared.",
        }
    ]
    report = run(json.dumps(records, indent=2), "json")
    assert report.ok, report.errors
    hotline = Development.objects.get(key="hotline")
    assert sorted(hotline.actors.values_list("code", flat=True)) == ["EEAS", "EU", "JP"]
    assert dict(hotline.evidence.values_list("recommendation__code", "rationale")) == {
        "TSU-3": "R3",
        "TSU-1": "Shared.",
    }


def test_json_errors_name_the_line_each_object_starts_on(reference):
    text = (
        '[\n  {"date": "2023", "title": "A", "kind": "meeting", "actors": "JP"},\n'
        '  {"date": "20x", "title": "B",\n   "kind": "meeting", "actors": ["JP"], "colour": 1}\n]'
    )
    report = run(text, "json")
    assert [str(p) for p in report.errors] == ["line 3, record: unknown field(s) 'colour'"]
    with pytest.raises(ImportFileError, match="must start with"):
        run('{"date": "2023"}', "json")
    with pytest.raises(ImportFileError, match="Line 1 is not valid JSON"):
        run('[{"date": }]', "json")


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_export_then_import_into_a_fresh_database_gives_back_the_same_data(seed, file_format):
    out = io.StringIO()
    export_developments(out, file_format)
    before = snapshot()
    # A fresh database with only the reference data: drop what the import makes.
    for model in (Evidence, Citation, DevelopmentActor, Development):
        model.objects.all().delete()
    Actor.objects.filter(kind=Actor.Kind.STATE).delete()
    Source.objects.filter(frameworks__isnull=True).delete()
    call_command("loaddata", "reference", verbosity=0)

    report = run(out.getvalue(), file_format)
    assert report.ok, report.errors
    assert report.created == len(before["developments"])
    assert snapshot() == before


def test_commands_read_files_and_standard_input(reference, tmp_path, capsys, monkeypatch):
    path = tmp_path / "developments.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("import_developments", str(path), "--dry-run")
    assert "3 would be created" in capsys.readouterr().out
    assert not Development.objects.exists()

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(GOOD.encode())))
    call_command("import_developments", "-", "--format", "csv")
    assert "3 were created" in capsys.readouterr().out

    exported = tmp_path / "out.json"
    call_command("export_developments", "--output", str(exported), verbosity=0)
    assert len(json.loads(exported.read_text())) == 3
    call_command("import_developments", str(exported))
    assert "3 unchanged" in capsys.readouterr().out


def test_command_exits_with_status_one_and_lists_every_problem(reference, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("date,title,kind,actors\n2023,A,volcano,JP\n2023,B,meeting,ZZ\n")
    with pytest.raises(CommandError, match="2 problems found; nothing was written"):
        call_command("import_developments", str(path))
    err = capsys.readouterr().err
    assert "line 2, kind: unknown kind 'volcano'" in err
    assert "line 3, actors: unknown actor 'ZZ'" in err
    with pytest.raises(CommandError, match="Cannot tell the format"):
        call_command("import_developments", str(tmp_path / "data.txt"))
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import_developments", str(tmp_path / "missing.csv"))


def many_rows(n):
    lines = ["key,date,title,kind,actors"]
    lines += [f"bulk-{i},2023-01-01,Bulk {i},meeting,JP" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_progress_goes_to_a_terminal_and_is_quiet_with_verbosity_zero(
    reference, tmp_path, capsys, monkeypatch
):
    path = tmp_path / "many.csv"
    path.write_text(many_rows(2500), encoding="utf-8")
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    call_command("import_developments", str(path), "--dry-run")
    assert "validated 2,000 records" in capsys.readouterr().err
    call_command("import_developments", str(path), verbosity=0)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert Development.objects.count() == 2500


def test_sources_without_an_address_are_found_again_by_title_and_publisher(reference):
    text = (
        "key,date,title,kind,actors,source_title,source_publisher\n"
        "a,2023,A,meeting,JP,Report,Ministry\n"
        "b,2023,B,meeting,JP,Report,Another ministry\n"
        "c,2023,C,meeting,JP,Report,Ministry\n"
    )
    sources = Source.objects.count()
    assert run(text).created == 3
    assert Source.objects.count() == sources + 2
    report = run(text)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Source.objects.count() == sources + 2


def test_a_field_too_long_is_refused_even_after_a_library_raised_the_csv_limit(reference):
    # frictionless (the tests' validator) raises the csv module's process-wide limit
    # when it is imported; the import must keep its own.
    limit = csv.field_size_limit(sys.maxsize)
    try:
        content = b"date,title,kind,actors,summary\n2023,T,meeting,JP," + b"x" * 200_000
        with pytest.raises(ImportFileError, match="longer than 100,000 characters"):
            run(content + b"\n")
    finally:
        csv.field_size_limit(limit)
