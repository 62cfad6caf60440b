"""Methodology v2 in the import format: what a development follows, the confidence of
each evidence link and the grade of each new source, checked, written (with history)
and exported so that a file comes back as it went out."""

from __future__ import annotations

import datetime
import io
import json
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import make_development, make_source
from tests.test_importers import snapshot
from tracker.interchange import MAX_PROBLEMS, export_developments, import_developments, writer
from tracker.models import Actor, Citation, Development, DevelopmentActor, Evidence, Source

pytestmark = pytest.mark.django_db

HEADER = "key,date,title,kind,actors,status,follows,follows_as,evidence,note"


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


@pytest.fixture
def pledge(reference):
    """A development in the database, dated 1 March 2022, that a file may follow."""
    return make_development(key="pledge", date=datetime.date(2022, 3, 1), title="Pledge")


def csv_file(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def run(text: str, file_format="csv", **kwargs):
    return import_developments(io.BytesIO(text.encode()), file_format, **kwargs)


def errors(report) -> list[str]:
    return [str(problem) for problem in report.errors]


def follows_of(key: str) -> tuple[str | None, str]:
    development = Development.objects.select_related("follows").get(key=key)
    return (development.follows.key if development.follows else None, development.follows_as)


# --- Writing chains ----------------------------------------------------------------------


def test_a_development_may_follow_one_later_in_the_same_file_and_history_holds_it(reference):
    report = run(
        csv_file(
            "ratified,2023-06-01,Ratified,agreement,JP,occurred,signed,in_force,,",
            "signed,2023-01-11,Signed,agreement,JP,announced,,,,",
        )
    )

    assert report.ok, report.errors
    assert report.created == 2
    signed = Development.objects.get(key="signed")
    assert follows_of("ratified") == ("signed", "in_force")
    # One version each, written once the chain was set: it holds what it follows.
    ratified_history = Development.history.filter(key="ratified")
    assert list(ratified_history.values_list("history_type", "follows_id", "follows_as")) == [
        ("+", signed.pk, "in_force")
    ]
    assert list(
        Development.history.filter(key="signed").values_list("history_type", "follows_id")
    ) == [("+", None)]


def test_a_chain_longer_than_a_batch_is_written_forward_references_and_all(reference):
    # Each record follows the next line's, across several batches of the writer.
    n = 2500
    rows = [
        f"s{i},2023-01-01,Stage {i},meeting,JP,,{f's{i + 1}' if i + 1 < n else ''},"
        f"{'supersedes' if i + 1 < n else ''},,"
        for i in range(n)
    ]
    started = time.perf_counter()
    report = run(csv_file(*rows))
    assert time.perf_counter() - started < 30

    assert report.ok, report.errors[:3]
    assert Development.objects.filter(follows__isnull=False).count() == n - 1
    assert follows_of("s0") == ("s1", "supersedes")
    assert Development.history.filter(follows__isnull=False).count() == n - 1


def test_a_development_may_follow_one_in_the_database(pledge):
    report = run(csv_file("kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,,"))

    assert report.ok, report.errors
    assert follows_of("kept") == ("pledge", "fulfils")


def test_a_dry_run_with_a_forward_reference_writes_nothing(reference):
    text = csv_file(
        "ratified,2023-06-01,Ratified,agreement,JP,,signed,in_force,,",
        "signed,2023-01-11,Signed,agreement,JP,,,,,",
    )

    report = run(text, dry_run=True)

    assert (report.ok, report.created) == (True, 2)
    assert not Development.objects.exists()


def test_reimporting_a_chain_changes_nothing_and_a_changed_chain_updates_with_history(pledge):
    text = csv_file("kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,,")
    run(text)
    again = run(text)
    assert (again.updated, again.unchanged) == (0, 1)

    report = run(text.replace("fulfils", "supersedes"))
    assert (report.updated, report.unchanged) == (1, 0)
    assert follows_of("kept") == ("pledge", "supersedes")

    report = run(text.replace("pledge,fulfils", ","))
    assert report.updated == 1
    assert follows_of("kept") == (None, "")
    assert list(
        Development.history.filter(key="kept")
        .order_by("history_id")
        .values_list("history_type", "follows_id", "follows_as")
    ) == [("+", pledge.pk, "fulfils"), ("~", pledge.pk, "supersedes"), ("~", None, "")]


def test_the_reported_status_is_accepted(reference):
    report = run(csv_file("talks,2023-02-01,Talks,meeting,JP,reported,,,,"))

    assert report.ok, report.errors
    assert Development.objects.get(key="talks").status == Development.Status.REPORTED


# --- Checking chains -----------------------------------------------------------------------

FOLLOWS_PROBLEMS = [
    (
        "x,2023-02-01,X,meeting,JP,,nowhere,fulfils,,",
        "line 2, follows: no development has the key 'nowhere' in the database or this file",
    ),
    (
        "x,2023-02-01,X,meeting,JP,,x,fulfils,,",
        "line 2, follows: a development cannot follow itself",
    ),
    (
        "x,2023-02-01,X,meeting,JP,,pledge,,,",
        "line 2, follows_as: is required with follows: one of fulfils, in_force, supersedes, "
        "cancels",
    ),
    (
        "x,2023-02-01,X,meeting,JP,,,fulfils,,",
        "line 2, follows: is required with follows_as: the key of the earlier development",
    ),
    (
        "x,2023-02-01,X,meeting,JP,,pledge,honours,,",
        "line 2, follows_as: 'honours' is not one of fulfils, in_force, supersedes, cancels",
    ),
    (
        "x,2023-02-01,X,meeting,JP,,bad key!,fulfils,,",
        "line 2, follows: 'bad key!' is not a key (letters, digits, '-' and '_')",
    ),
    (
        "x,2021-12,X,meeting,JP,,pledge,fulfils,,",
        "line 2, follows: 'pledge' is dated 2022-03-01, after this development (2021-12-01): "
        "the stage it follows comes first",
    ),
]


@pytest.mark.parametrize(("row", "problem"), FOLLOWS_PROBLEMS)
def test_what_a_record_follows_is_checked_with_line_and_column(pledge, row, problem):
    report = run(csv_file(row))

    assert errors(report) == [problem]
    assert Development.objects.count() == 1


def test_an_earlier_stage_later_in_the_file_dated_after_the_record_is_refused(reference):
    report = run(
        csv_file(
            "signed,2023-01-11,Signed,agreement,JP,,,,,",
            "ratified,2022-06-01,Ratified,agreement,JP,,signed,in_force,,",
        )
    )

    assert errors(report) == [
        "line 3, follows: 'signed' is dated 2023-01-11, after this development (2022-06-01): "
        "the stage it follows comes first"
    ]


def test_a_loop_within_the_file_is_reported_on_each_of_its_records(reference):
    report = run(
        csv_file(
            "a,2023-01-01,A,meeting,JP,,b,supersedes,,",
            "unrelated,2023-01-01,U,meeting,JP,,,,,",
            "b,2023-01-01,B,meeting,JP,,a,supersedes,,",
        )
    )

    assert errors(report) == [
        "line 2, follows: the chain makes a loop: 'a' → 'b' → 'a' (each follows the next)",
        "line 4, follows: the chain makes a loop: 'b' → 'a' → 'b' (each follows the next)",
    ]
    assert not Development.objects.exists()


def test_a_loop_through_the_database_is_refused(reference):
    first = make_development(key="first", date=datetime.date(2022, 3, 1))
    make_development(
        key="second", date=datetime.date(2022, 3, 1), follows=first, follows_as="cancels"
    )

    report = run(csv_file("first,2022-03-01,First,meeting,JP,,second,supersedes,,"))

    assert errors(report) == [
        "line 2, follows: the chain makes a loop: 'first' → 'second' → 'first' "
        "(each follows the next)"
    ]
    assert follows_of("first") == (None, "")


def test_a_chain_that_runs_into_a_loop_in_the_database_names_it(reference):
    a = make_development(key="a")
    b = make_development(key="b", follows=a, follows_as="cancels")
    Development.objects.filter(pk=a.pk).update(follows=b, follows_as="cancels")  # past clean()

    report = run(csv_file("x,2023-02-01,X,meeting,JP,,a,fulfils,,"))

    assert errors(report) == [
        "line 2, follows: the chain runs into a loop in the database: 'a' → 'b' → 'a' "
        "(each follows the next)"
    ]


def test_a_long_loop_is_named_by_its_first_stages(reference):
    rows = [f"s{i},2023-01-01,S{i},meeting,JP,,s{(i + 1) % 10},supersedes,," for i in range(10)]

    report = run(csv_file(*rows))

    assert len(report.errors) == 10
    assert str(report.errors[0]) == (
        "line 2, follows: the chain makes a loop: 's0' → 's1' → 's2' → 's3' → 's4' → 's5' "
        "→ … (10 stages) → 's0' (each follows the next)"
    )


def test_a_loop_of_thousands_of_records_is_reported_quickly(reference):
    n = 20_000
    rows = [f"s{i},2023-01-01,S{i},meeting,JP,,s{(i + 1) % n},supersedes,," for i in range(n)]

    started = time.perf_counter()
    report = run(csv_file(*rows))

    assert time.perf_counter() - started < 30
    assert report.problem_count == n
    assert str(report.errors[-1]) == (
        f"line {MAX_PROBLEMS + 2}, file: {n - MAX_PROBLEMS:,} more problems from here on are "
        "not listed"
    )


def test_dating_an_earlier_stage_after_a_development_that_follows_it_is_refused(pledge):
    make_development(
        key="kept", date=datetime.date(2022, 6, 1), follows=pledge, follows_as="fulfils"
    )

    report = run(csv_file("pledge,2022-09-01,Pledge,meeting,JP,,,,,"))

    assert errors(report) == [
        "line 2, date: 'kept' in the database follows this development and is dated before it "
        "(2022-06-01)"
    ]


def test_chain_problems_are_listed_in_line_order_with_the_records_other_problems(pledge):
    report = run(
        csv_file(
            "x,2023-02-01,X,volcano,JP,,nowhere,fulfils,,",
            "y,2023-02-01,Y,meeting,ZZ,,,,,",
        )
    )

    assert [(p.line, p.column) for p in report.errors] == [
        (2, "kind"),
        (2, "follows"),
        (3, "actors"),
    ]


def test_an_earlier_stage_deleted_between_check_and_write_is_reported(pledge, monkeypatch):
    first_pass = writer.check_records

    def check_then_delete(*args, **kwargs):
        checked = first_pass(*args, **kwargs)
        Development.objects.filter(key="pledge").delete()
        return checked

    monkeypatch.setattr(writer, "check_records", check_then_delete)
    report = run(csv_file("kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,,"))

    assert errors(report) == [
        "line 2, follows: no development has the key 'pledge' in the database or this file"
    ]
    assert not Development.objects.exists()


# --- Confidence and reliability -------------------------------------------------------------

EVIDENCE_HEADER = "key,date,title,kind,actors,evidence,note"


def test_csv_evidence_takes_an_optional_confidence(reference):
    report = run(
        csv_file(
            "a,2023-01-01,A,meeting,JP,TSU-2:advances:3:high;TSU-3:hinders:1:low;TSU-1:advances,n",
            header=EVIDENCE_HEADER,
        )
    )

    assert report.ok, report.errors
    assert sorted(Evidence.objects.values_list("recommendation__code", "confidence")) == [
        ("TSU-1", "medium"),
        ("TSU-2", "high"),
        ("TSU-3", "low"),
    ]
    assert sorted(Evidence.history.values_list("confidence", flat=True)) == [
        "high",
        "low",
        "medium",
    ]


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        (
            "TSU-2:advances:3:certain",
            "line 2, evidence: confidence 'certain' for TSU-2 is not one of low, medium, high",
        ),
        (
            "TSU-2:advances:3:high:really",
            "line 2, evidence: 'TSU-2:advances:3:high:really' is not "
            "CODE:STANCE[:STRENGTH[:CONFIDENCE]]",
        ),
        ("TSU-2:advances::high", "line 2, evidence: strength for TSU-2 must be 1, 2 or 3"),
    ],
)
def test_a_bad_csv_confidence_is_refused_with_line_and_column(reference, cell, problem):
    report = run(csv_file(f"a,2023-01-01,A,meeting,JP,{cell},n", header=EVIDENCE_HEADER))

    assert errors(report) == [problem]


JSON_RECORD = {"key": "a", "date": "2023-01-01", "title": "A", "kind": "meeting", "actors": ["JP"]}


def test_json_evidence_objects_take_a_confidence(reference):
    evidence = [
        {"recommendation": "TSU-2", "stance": "advances", "rationale": "R", "confidence": "low"},
        {"recommendation": "TSU-3", "stance": "advances", "rationale": "R"},
    ]
    report = run(json.dumps([{**JSON_RECORD, "evidence": evidence}]), "json")

    assert report.ok, report.errors
    assert sorted(Evidence.objects.values_list("recommendation__code", "confidence")) == [
        ("TSU-2", "low"),
        ("TSU-3", "medium"),
    ]


@pytest.mark.parametrize(
    ("confidence", "problem"),
    [
        ("sure", "line 2, evidence: confidence 'sure' for TSU-2 is not one of low, medium, high"),
        (3, "line 2, evidence: the confidence for 'TSU-2' must be text"),
        ("High", "line 2, evidence: confidence 'High' for TSU-2 is not one of low, medium, high"),
    ],
)
def test_a_bad_json_confidence_is_refused_with_line_and_column(reference, confidence, problem):
    item = {"recommendation": "TSU-2", "stance": "advances", "rationale": "R"}
    text = "[\n" + json.dumps({**JSON_RECORD, "evidence": [{**item, "confidence": confidence}]})
    report = run(text + "\n]", "json")

    assert errors(report) == [problem]


SOURCE_HEADER = "key,date,title,kind,actors,source_title,source_url,source_reliability"


def test_a_new_source_takes_the_files_grade_and_secondary_by_default(reference):
    report = run(
        csv_file(
            "a,2023-01-01,A,meeting,JP,Communiqué,https://example.org/a,primary",
            "b,2023-01-01,B,meeting,JP,Rumour,https://example.org/b,unconfirmed",
            "c,2023-01-01,C,meeting,JP,Article,https://example.org/c,",
            header=SOURCE_HEADER,
        )
    )

    assert report.ok, report.errors
    assert dict(
        Source.objects.filter(citations__isnull=False).values_list("title", "reliability")
    ) == {
        "Communiqué": "primary",
        "Rumour": "unconfirmed",
        "Article": "secondary",
    }
    assert Source.history.get(title="Rumour").reliability == "unconfirmed"


def test_an_existing_source_keeps_its_grade_whatever_the_file_says(reference):
    make_source(title="Communiqué", url="https://example.org/a", reliability="primary")
    text = csv_file(
        "a,2023-01-01,A,meeting,JP,Communiqué,https://example.org/a,unconfirmed",
        header=SOURCE_HEADER,
    )

    assert run(text).created == 1
    assert Source.objects.get(title="Communiqué").reliability == "primary"
    assert run(text).unchanged == 1  # the grade is not the file's to change


def test_a_json_citation_takes_a_grade(reference):
    citations = [{"title": "Statement", "reliability": "primary"}]
    report = run(json.dumps([{**JSON_RECORD, "citations": citations}]), "json")

    assert report.ok, report.errors
    assert Source.objects.get(title="Statement").reliability == "primary"


def test_an_unknown_grade_is_refused_with_line_and_column(reference):
    csv_report = run(
        csv_file("a,2023-01-01,A,meeting,JP,Report,,A", header=SOURCE_HEADER),
    )
    citations = [{"title": "Statement", "reliability": "official"}]
    json_report = run("[\n" + json.dumps({**JSON_RECORD, "citations": citations}) + "\n]", "json")

    assert errors(csv_report) == [
        "line 2, source_reliability: 'A' is not one of primary, secondary, unconfirmed"
    ]
    assert errors(json_report) == [
        "line 2, citations.reliability: 'official' is not one of primary, secondary, unconfirmed"
    ]


# --- Round trip --------------------------------------------------------------------------------


def wipe_to_reference():
    """A fresh database with only the reference data: drop what an import makes."""
    Development.objects.update(follows=None, follows_as="")  # PROTECT: unlink first
    for model in (Evidence, Citation, DevelopmentActor, Development):
        model.objects.all().delete()
    Actor.objects.filter(kind=Actor.Kind.STATE).delete()
    Source.objects.filter(frameworks__isnull=True).delete()
    call_command("loaddata", "reference", verbosity=0)


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_chains_confidences_and_grades_survive_export_and_import(seed, file_format):
    # A chain whose later stage sorts first in the export (same date, key before).
    signed = make_development(key="b-signed", date=datetime.date(2023, 3, 1))
    make_development(
        key="a-ratified", date=datetime.date(2023, 3, 1), follows=signed, follows_as="in_force"
    )
    make_development(
        key="c-cancelled", date=datetime.date(2023, 4, 1), follows=signed, follows_as="cancels"
    )
    Development.objects.filter(key="c-cancelled").update(status=Development.Status.CANCELLED)
    for confidence, evidence in zip(
        ("low", "high"), Evidence.objects.order_by("pk")[:2], strict=True
    ):
        Evidence.objects.filter(pk=evidence.pk).update(confidence=confidence)
    Source.objects.filter(citations__isnull=False).update(reliability="primary")
    rumour = make_source(title="Rumour", url="https://example.org/r", reliability="unconfirmed")
    Citation.objects.create(development=signed, source=rumour, locator="p. 2")
    out = io.StringIO()
    export_developments(out, file_format)
    before = snapshot()
    assert ("a-ratified", "b-signed", "in_force") in [
        (d[0], d[8], d[9]) for d in before["developments"]
    ]
    assert {"low", "high"} <= {e[-1] for e in before["evidence"]}
    assert {"primary", "unconfirmed"} <= {c[5] for c in before["citations"]}

    wipe_to_reference()
    report = run(out.getvalue(), file_format)

    assert report.ok, report.errors
    assert snapshot() == before


# --- The confirm imports only what was previewed -------------------------------------------


def confirm_after(text: str, edit):
    """Preview the file, make `edit` meanwhile, then confirm the preview."""
    fingerprint = run(text, dry_run=True).fingerprint
    edit()
    return run(text, expect_fingerprint=fingerprint)


CHANGED_SINCE = "line 0, file: the data changed since the preview; preview it again"


def test_confirm_refuses_when_the_stage_a_record_follows_was_redated(pledge):
    text = csv_file("kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,,")

    report = confirm_after(
        text,
        lambda: Development.objects.filter(key="pledge").update(date=datetime.date(2022, 4, 1)),
    )

    assert errors(report) == [CHANGED_SINCE]
    assert not Development.objects.filter(key="kept").exists()


def test_confirm_refuses_when_a_stage_further_up_the_chain_changed(pledge):
    older = make_development(key="older", date=datetime.date(2021, 1, 1))
    Development.objects.filter(pk=pledge.pk).update(follows=older, follows_as="fulfils")
    text = csv_file("kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,,")

    report = confirm_after(
        text,
        lambda: Development.objects.filter(pk=older.pk).update(date=datetime.date(2021, 6, 1)),
    )

    assert errors(report) == [CHANGED_SINCE]


@pytest.mark.parametrize(
    "edit",
    [
        lambda: Evidence.objects.filter(development__key="kept").update(confidence="low"),
        lambda: Development.objects.filter(key="kept").update(follows_as="supersedes"),
    ],
    ids=["evidence-confidence", "follows-as"],
)
def test_confirm_refuses_when_a_compared_development_changed_its_new_fields(pledge, edit):
    text = csv_file("kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,TSU-2:advances:2:high,n")
    run(text)
    changed = text.replace("Kept,", "Kept again,")

    report = confirm_after(changed, edit)

    assert errors(report) == [CHANGED_SINCE]
    assert Development.objects.get(key="kept").title == "Kept"


def test_confirm_goes_ahead_with_a_chain_when_nothing_changed(pledge):
    text = csv_file(
        "kept,2023-02-01,Kept,agreement,JP,,pledge,fulfils,,",
        "later,2023-03-01,Later,agreement,JP,,kept,supersedes,,",
    )

    report = confirm_after(text, lambda: None)

    assert report.ok, report.errors
    assert follows_of("later") == ("kept", "supersedes")


def test_the_readmes_chain_example_imports_as_it_says(reference):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("A chain in a file", 1)[1].split("```csv\n", 1)[1].split("```", 1)[0]

    report = run(example)

    assert report.ok, report.errors
    assert follows_of("raa-in-force") == ("raa-signed", "in_force")
    assert Evidence.objects.get(development__key="raa-in-force").confidence == "high"
