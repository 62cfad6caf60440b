"""Hostile import files: whatever a CSV or JSON file holds, the import reports each
problem with its line (and column), or refuses the file in one line; it never raises
anything else, so neither the admin's preview nor the command can fail with a traceback.
And a confirm imports only what was previewed; an export leaves drafts out unless asked.
"""

from __future__ import annotations

import html
import io
import json
import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import make_development
from tests.test_importers import GOOD
from tracker.interchange import (
    COLUMNS,
    MAX_PROBLEMS,
    ImportFileError,
    export_developments,
    import_developments,
    read_records,
)
from tracker.models import Development, DevelopmentActor, Evidence, PendingImport

pytestmark = pytest.mark.django_db

DEEP = 100_000
BIG = "9" * 5000
RAA = "2023-01-11-japan-uk-raa"


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def record(**fields) -> dict:
    """A valid JSON record, with `fields` changed."""
    return {
        "key": "k1",
        "date": "2023-01-09",
        "title": "A meeting",
        "kind": "meeting",
        "actors": ["JP"],
        **fields,
    }


def listed(*records: dict | str) -> bytes:
    """A JSON list of the records (dicts, or raw JSON text), each beginning a line;
    the first on line 2."""
    texts = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return ("[\n" + ",\n".join(texts) + "\n]\n").encode()


def preview(content: bytes | str, file_format="json", **kwargs):
    data = content.encode() if isinstance(content, str) else content
    return import_developments(io.BytesIO(data), file_format, dry_run=True, **kwargs)


def problems(report) -> list[str]:
    return [str(problem) for problem in report.errors]


def refused(content: bytes | str, file_format="json") -> str:
    """The one-line message of the ImportFileError the file gets."""
    with pytest.raises(ImportFileError) as error:
        preview(content, file_format)
    message = str(error.value)
    assert "\n" not in message
    return message


def command_error(tmp_path, content: bytes, name="hostile.json") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        call_command("import_developments", str(path), "--dry-run")
    assert error.value.__cause__ is None  # said in one line, no traceback chained
    return str(error.value)


# --- Depth, numbers, NUL --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"[\n" + b"[" * DEEP + b"]" * DEEP + b"\n]", 2),
        (listed(record(), '{"title": ' + "[" * DEEP + "]" * DEEP + "}"), 3),
        (
            listed(record(evidence=[{"recommendation": "TSU-1", "rationale": {}}])).replace(
                b"{}", b'{"a":' * DEEP + b"1" + b"}" * DEEP
            ),
            2,
        ),
    ],
    ids=["a-list-as-record", "a-field", "an-evidence-rationale"],
)
def test_json_nested_a_hundred_thousand_deep_is_refused_naming_its_line(
    reference, tmp_path, content, line
):
    message = f"Line {line}: values nested too deeply"
    assert refused(content).startswith(message)
    assert command_error(tmp_path, content).startswith(message)


def with_number(number: str, **fields) -> str:
    """A JSON record with `fields`, where the text "N" stands for `number`, unquoted."""
    return json.dumps(record(**fields)).replace('"N"', number)


EVIDENCE_N = [{"recommendation": "TSU-1", "stance": "advances", "strength": "N"}]


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"title": "N"}, "title"),
        ({"key": "N"}, "key"),
        ({"actors": ["JP", "N"]}, "actors"),
        ({"evidence": EVIDENCE_N, "note": "Why."}, "evidence"),
        ({"citations": [{"url": {"deeper": ["N"]}}]}, "citations"),
        ({"colour": "N"}, "record"),  # an unknown name is no column
    ],
)
@pytest.mark.parametrize("sign", ["", "-"])
def test_json_integers_of_five_thousand_digits_are_problems_with_their_line(
    reference, fields, column, sign
):
    report = preview(listed(record(key="k0"), with_number(sign + BIG, **fields)))
    assert problems(report)[0] == f"line 3, {column}: a number of 5,000 digits"


def test_a_json_record_that_is_a_huge_number_is_refused_with_its_line(reference):
    assert refused(listed(record(), BIG)) == "Line 3: each record must be an object {...}."


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("NaN", "NaN is not a number JSON allows"),
        ("Infinity", "Infinity is not a number JSON allows"),
        ("-Infinity", "-Infinity is not a number JSON allows"),
        ("1e400", "the number '1e400' is too large"),
        ("-1.5e999", "the number '-1.5e999' is too large"),
    ],
)
def test_json_nan_infinity_and_overflowing_numbers_are_problems_with_their_line(
    reference, token, message
):
    report = preview(listed(with_number(token, evidence=EVIDENCE_N, note="Why.")))
    assert problems(report) == [f"line 2, evidence: {message}"]
    report = preview(listed(record(key="k0"), with_number(token, summary="N")))
    assert problems(report) == [f"line 3, summary: {message}"]


def test_the_command_lists_refused_numbers_by_line_and_exits_with_status_one(
    reference, tmp_path, capsys
):
    content = listed(with_number(BIG, title="N"), with_number("NaN", key="k2", summary="N"))
    message = command_error(tmp_path, content)
    assert message == "2 problems found; nothing was written."
    assert capsys.readouterr().err.splitlines() == [
        "line 2, title: a number of 5,000 digits",
        "line 3, summary: NaN is not a number JSON allows",
    ]


@pytest.mark.parametrize(
    ("name", "content", "shown"),
    [
        ("deep.json", b"[" * DEEP, "deep.json: Line 1: values nested too deeply"),
        (
            "nul.csv",
            b"date,title,kind,actors\n2023,T\x00,meeting,JP\n",
            "line 2, title: holds a NUL",
        ),
        ("inf.json", listed(with_number("1e400", title="N")), "line 2, title: the number"),
    ],
)
def test_the_admin_preview_shows_hostile_files_problems_not_an_error_page(
    editor_client, reference, name, content, shown
):
    upload = SimpleUploadedFile(name, content)
    response = editor_client.post(reverse("admin:tracker_development_import"), {"file": upload})
    assert response.status_code == 200
    assert shown in html.unescape(response.content.decode())
    assert not PendingImport.objects.exists()


NUL_MESSAGE = "holds a NUL character (\\x00), which cannot be stored"


@pytest.mark.parametrize("dry_run", [True, False])
def test_nul_characters_in_csv_are_problems_naming_line_and_column(reference, dry_run):
    content = (
        "key,date,title,kind,actors,note,evidence\n"
        "k1,2023,Fine,meeting,JP,,\n"
        "k2,2023,Ti\x00tle,meeting,JP;\x00GB,Why\x00,TSU-1:advances\n"
    )
    report = import_developments(io.BytesIO(content.encode()), "csv", dry_run=dry_run)
    assert problems(report) == [
        f"line 3, title: {NUL_MESSAGE}",
        f"line 3, actors: {NUL_MESSAGE}",
        f"line 3, note: {NUL_MESSAGE}",
    ]
    assert not Development.objects.exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_nul_characters_in_json_are_problems_naming_line_and_field(reference, dry_run):
    evidence = [{"recommendation": "TSU-1", "stance": "advances", "rationale": "Why\x00"}]
    content = listed(
        record(key="k0"),
        record(title="Ti\x00tle", evidence=evidence, citations=[{"title": "\x00"}]),
        record(key="k2", actors=["JP", "\x00"]),
    )
    assert b"\\u0000" in content
    report = import_developments(io.BytesIO(content), "json", dry_run=dry_run)
    assert problems(report) == [
        f"line 3, title: {NUL_MESSAGE}",
        f"line 3, evidence: {NUL_MESSAGE}",
        f"line 3, citations: {NUL_MESSAGE}",
        f"line 4, actors: {NUL_MESSAGE}",
    ]
    assert not Development.objects.exists()


SURROGATE = "holds half of a UTF-16 pair (a \\uD800-\\uDFFF escape alone), which is not text"


@pytest.mark.parametrize("dry_run", [True, False])
def test_half_a_utf16_pair_in_json_is_a_problem_naming_line_and_field(reference, dry_run):
    content = listed(
        record(key="k0", title="A smile \U0001f600"),  # a whole pair: one character
        record(title="Half \ud83d"),
        record(key="k2", source_title="\udc00"),
    )
    assert b"\\ud83d\\ude00" in content and b'\\ud83d"' in content
    report = import_developments(io.BytesIO(content), "json", dry_run=dry_run)
    assert problems(report) == [
        f"line 3, title: {SURROGATE}",
        f"line 4, source_title: {SURROGATE}",
    ]
    assert not Development.objects.exists()


def test_field_names_that_cannot_be_shown_are_escaped_in_messages(reference, editor_client):
    text = json.dumps(record(**{"x\ud800": "\ud800", "\x00": 1}))
    text = text.replace("}", ', "\\u0000": 2}')
    expected = [
        f"line 2, record: {SURROGATE}",
        "line 2, record: '\\x00' given 2 times in one object",
        "line 2, record: unknown field(s) 'x\\ud800', '\\x00'",
    ]
    assert sorted(problems(preview(listed(text)))) == sorted(expected)
    upload = SimpleUploadedFile("names.json", listed(text))
    response = editor_client.post(reverse("admin:tracker_development_import"), {"file": upload})
    assert response.status_code == 200
    assert "unknown field(s) &#x27;x\\ud800&#x27;" in response.content.decode()


def test_a_raw_nul_byte_in_a_json_string_is_refused_naming_line_and_column(reference, tmp_path):
    content = listed(record(key="k0"), record()).replace(b"A meeting", b"A\x00meeting", 1)
    column = content.split(b"\n")[1].index(b"\x00") + 1
    message = (
        f"Line 2 is not valid JSON: a control character ('\\x00') inside a string "
        f"(column {column})."
    )
    assert refused(content) == message
    assert command_error(tmp_path, content) == message


# --- Long files and long records --------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", ""], ids=["lines", "all-on-one-line"])
def test_a_json_error_far_into_a_file_names_its_exact_line_and_column(reference, newline):
    texts = [json.dumps(record(key=f"k{i}", summary="x" * 100)) for i in range(5000)]
    text = "[" + ("," + newline).join(texts) + "]"  # some 900 KB: read in several chunks
    at = text.index('"k4321"')
    text = text[:at] + "?" + text[at + 1 :]
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    assert refused(text) == f"Line {line} is not valid JSON: Expecting value (column {column})."


def test_a_record_longer_than_a_chunk_is_read_whole(reference):
    citations = [{"title": f"Source {i}", "quote": "q" * 90_000} for i in range(12)]
    content = listed(record(key="k0"), record(citations=citations), record(key="k2"))
    assert len(content) > 1_000_000
    report = preview(content)
    assert report.ok, report.errors
    assert report.created == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'[\n{"title": "' + b"x" * 3_000_000,
            "Line 2: a record runs on for more than 2,000,000 characters "
            "(is a quote or a bracket left open?).",
        ),
        (
            b'[\n{"title": "abc',
            "Line 2 is not valid JSON: Unterminated string starting at (column 11).",
        ),
        (b'[\n{"title": "abc"}', "Line 2: expected ',' or ']' after a record."),
        (b"[\n\n", "Line 3 is not valid JSON: Expecting value (column 1)."),
        (
            b'[\n{"title": "\xe2\x80',
            "The file is not UTF-8 text (near line 2); save it as UTF-8 and try again.",
        ),
    ],
    ids=[
        "open-quote-in-a-long-file",
        "open-quote",
        "open-list",
        "nothing-after-the-bracket",
        "cut-in-a-character",
    ],
)
def test_a_json_file_cut_short_is_refused_with_its_line(reference, content, message):
    assert refused(content) == message


# --- CSV header -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "key,date,title,kind,actors" + "," * 999_995,
            f"The header row has 1,000,000 columns; the format has {len(COLUMNS)}: "
            f"{', '.join(COLUMNS)}.",
        ),
        (
            "key,date,title,kind,actors," + ",".join(f"c{i}" for i in range(999_995)),
            "Line 1 is longer than 2,000,000 characters.",
        ),
        (
            "date,kind,actors," + ",".join(["title"] * 300_000),
            f"The header row has 300,003 columns; the format has {len(COLUMNS)}: "
            f"{', '.join(COLUMNS)}.",
        ),
    ],
    ids=["blank-names", "named", "one-name-repeated"],
)
def test_a_csv_header_of_a_million_columns_is_refused_within_a_second(reference, header, message):
    content = (header + "\n2023,T,meeting,JP\n").encode()
    started = time.perf_counter()
    assert refused(content, "csv") == message
    assert time.perf_counter() - started < 1


def test_unknown_and_repeated_columns_are_named_a_few_at_a_time(reference):
    many = "key,date,title,kind,actors," + ",".join(f"c{i}" for i in range(60))
    assert refused(many + "\n", "csv").startswith(
        "Unknown columns in the header: 'c0', 'c1', 'c2', 'c3', 'c4' and 55 more. Known"
    )
    repeated = "date,kind,actors,title,title,kind"
    assert refused(repeated + "\n", "csv") == "Column repeated in the header: kind, title."


def test_a_csv_header_in_capitals_is_refused_with_a_hint(reference):
    assert refused("Date,title,kind,actors\n2023,T,meeting,JP\n", "csv").startswith(
        "Unknown column in the header: 'Date' (names are lower case: 'date'). Known columns:"
    )


# --- JSON: one reading, no silent choices ----------------------------------------------


def test_a_json_field_given_twice_in_one_object_is_a_problem(reference):
    text = json.dumps(record()).replace('"title": "A meeting"', '"title": "a", "title": "b"')
    assert problems(preview(listed(text))) == [
        "line 2, title: 'title' given 2 times in one object"
    ]
    evidence = '[{"recommendation": "TSU-1", "stance": "advances", "stance": "hinders"}]'
    text = json.dumps(record(evidence="E", note="n")).replace('"E"', evidence)
    assert problems(preview(listed(text))) == [
        "line 2, stance: 'stance' given 2 times in one object"
    ]


@pytest.mark.parametrize(
    ("after", "line"),
    [
        ("\n{}", 4),
        ("]", 3),
        ("\n\n  x", 5),
        (",", 3),
        ("\n[\n" + json.dumps(record(key="k2")) + "\n]", 4),
    ],
)
def test_text_after_the_closing_bracket_of_the_list_is_refused_with_its_line(
    reference, after, line
):
    content = listed(record()).rstrip(b"\n") + after.encode()
    assert refused(content) == (
        f"Line {line}: text after the ']' that closes the list; a file holds one list of records."
    )
    assert not Development.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", 2023, "title: must be text, not a number"),
        ("title", 1.5, "title: must be text, not a number"),
        ("summary", True, "summary: must be text, not true or false"),
        ("date", 2023, "date: must be text, not a number"),
        ("key", 12, "key: must be text, not a number"),
        ("kind", ["meeting"], "kind: must be text, not a list"),
        ("location", {"city": "Tokyo"}, "location: must be text, not an object"),
        ("source_url", 0, "source_url: must be text, not a number"),
        ("actors", ["JP", 81], "actors: each actor must be a code (text), not a number"),
        (
            "actors",
            81,
            "actors: must be codes separated by ';' (or, in JSON, a list), not a number",
        ),
        ("citations", [{"title": 7}], "citations.title: must be text, not a number"),
        (
            "evidence",
            [{"recommendation": 1, "stance": "advances"}],
            "evidence: each item needs a recommendation code, not a number",
        ),
        (
            "evidence",
            [{"recommendation": "TSU-1", "stance": "advances", "rationale": 5}],
            "evidence: the rationale for 'TSU-1' must be text",
        ),
        ("evidence", [7], "evidence: each item must be an object, not a number"),
    ],
)
def test_a_json_value_of_the_wrong_kind_is_a_problem_not_turned_into_text(
    reference, field, value, message
):
    assert problems(preview(listed(record(note="Why.", **{field: value})))) == [
        f"line 2, {message}"
    ]


@pytest.mark.parametrize(
    ("strength", "stored"),
    [
        (1, 1),
        (3, 3),
        ("3", 3),  # the digit as text, as CSV gives it, is taken
        (" 2 ", 2),
        (True, None),
        (False, None),
        (2.5, None),
        (2.0, None),
        ("2.5", None),
        ("٣", None),  # an Arabic-Indic three: int() would take it
        (0, None),
        (4, None),
        (None, None),
        ([2], None),
    ],
)
def test_json_strength_is_an_integer_from_one_to_three(reference, strength, stored):
    evidence = [{"recommendation": "TSU-1", "stance": "advances", "strength": strength}]
    content = listed(record(evidence=evidence, note="Why."))
    report = import_developments(io.BytesIO(content), "json")
    if stored is None:
        assert problems(report) == ["line 2, evidence: strength for TSU-1 must be 1, 2 or 3"]
        assert not Development.objects.exists()
    else:
        assert report.ok, report.errors
        assert Evidence.objects.get().strength == stored


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"Title": "B"},
            "line 2, record: unknown field(s) 'Title' (names are lower case: 'title')",
        ),
        (
            {"KIND": "meeting", "Actors": ["JP"]},
            "line 2, record: unknown field(s) 'KIND', 'Actors' "
            "(names are lower case: 'kind', 'actors')",
        ),
        (
            {"evidence": [{"recommendation": "TSU-1", "stance": "advances", "Strength": 3}]},
            "line 2, evidence: unknown field(s) 'Strength' (names are lower case: 'strength') "
            "in an evidence item",
        ),
        (
            {"citations": [{"URL": "https://example.org/"}]},
            "line 2, citations: unknown field(s) 'URL' (names are lower case: 'url') "
            "in a citation",
        ),
    ],
)
def test_json_names_differing_only_in_case_are_unknown_fields_not_a_choice(
    reference, fields, message
):
    assert problems(preview(listed(record(note="n", **fields)))) == [message]
    alone = record(**fields)
    for name in fields:
        if name != name.lower():
            alone.pop(name.lower(), None)
    assert message in problems(preview(listed(alone)))


def test_problems_past_a_thousand_are_counted_not_listed(reference, tmp_path):
    rows = "\n".join(f"k{i},2023,T{i},volcano,JP" for i in range(MAX_PROBLEMS + 500))
    content = f"key,date,title,kind,actors\n{rows}\n"
    report = preview(content, "csv")
    assert len(report.errors) == MAX_PROBLEMS + 1
    assert report.problem_count == MAX_PROBLEMS + 500
    assert (
        str(report.errors[-1]) == "line 1002, file: 500 more problems from here on are not listed"
    )
    message = command_error(tmp_path, content.encode(), name="many.csv")
    assert message == "1,500 problems found; nothing was written."


def test_a_record_with_a_thousand_bad_actors_lists_twenty(reference):
    report = preview(listed(record(actors=[f"Z{i}" for i in range(1000)])))
    assert len(report.errors) == 21
    assert str(report.errors[-1]) == "line 2, record: and 980 more problems in this record"


def test_a_source_known_only_by_a_url_longer_than_a_title_is_imported(reference):
    url = "https://example.org/" + "a" * 400
    report = import_developments(io.BytesIO(listed(record(source_url=url))), "json")
    assert report.ok, report.errors
    source = Development.objects.get().citations.get().source
    assert (source.url, source.title) == (url, url[:300])


# --- Anything at all ------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["2023", "JP", "TSU-1", "advances", "meeting", "https://x.org/"])
    | st.sampled_from(["\x00", "\ud800", "x\udfff", "\U0001f600", " 2 ", "1e999"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["recommendation", "stance", "strength", "rationale", "url", "Title"])
            | st.sampled_from(["\x00", "\ud800"])
            | st.text(max_size=3),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
record_dicts = st.dictionaries(
    st.sampled_from([*COLUMNS, "citations", "Title"]), json_values, max_size=8
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(record_dicts, min_size=1, max_size=3))
def test_any_json_records_give_problems_or_a_file_error_never_an_exception(reference, records):
    content = json.dumps(records).encode()  # NaN and Infinity included, as Python writes them
    try:
        report = preview(content)
    except ImportFileError:
        return
    assert report.ok or all(problem.line for problem in report.errors)


json_like = st.text(alphabet='[]{}",:\\ntrue0159eEd8.-+ aTu\x00\u2028\ufeff', max_size=60)
csv_like = st.text(alphabet=',"\n\r;:key datetilkndcors2031-JPTSU\x00\ufeff', max_size=80)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    content=st.one_of(
        st.tuples(st.just("json"), st.binary(max_size=40)),
        st.tuples(st.just("json"), json_like.map(lambda s: ("[" + s).encode())),
        st.tuples(st.just("csv"), st.binary(max_size=40)),
        st.tuples(
            st.just("csv"), csv_like.map(lambda s: ("date,title,kind,actors\n" + s).encode())
        ),
    )
)
@example(content=("json", b'[{"title": 1e999999999}]'))
@example(content=("json", b"[{}] ]"))
@example(content=("json", b'["\x00'))  # an error at the end of the text read so far
@example(content=("json", b"\xef\xbb\xbf[\r\n{}\r\n]"))
@example(content=("csv", b"date,title,kind,actors\n2023,\x00,meeting,JP\n"))
def test_any_bytes_give_problems_or_a_file_error_never_an_exception(reference, content):
    file_format, data = content
    try:
        preview(data, file_format)
    except ImportFileError as error:
        assert "\n" not in str(error)


# --- Memory ---------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_reading_a_file_holds_a_chunk_and_a_record_not_the_file(file_format):
    """10 MB of records are read in well under 10 MB: the file is never held whole."""
    out = io.StringIO()
    if file_format == "csv":
        out.write("key,date,title,kind,actors,summary\n")
        for i in range(40_000):
            out.write(f"k{i},2023-01-09,Development {i},meeting,JP;GB,{'Words. ' * 35}\n")
    else:
        out.write("[")
        for i in range(40_000):
            one = record(key=f"k{i}", summary="Words, words. " * 15, title=f"Caf\u00e9 \u2019 {i}")
            out.write(("," if i else "") + "\n" + json.dumps(one, ensure_ascii=False))
        out.write("\n]\n")
    content = out.getvalue().encode()
    assert len(content) > 10_000_000
    stream = io.BytesIO(content)

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_records(stream, file_format))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 40_000
    assert peak < 4_000_000, f"{peak:,} bytes at the peak"


# --- The confirm imports only what was previewed -----------------------------------------


def test_confirm_refuses_when_a_development_the_file_updates_was_edited_since_the_preview(
    reference,
):
    import_developments(io.BytesIO(GOOD.encode()), "csv")
    changed = GOOD.replace("JP;GB,", "JP;GB;AU,")
    before = preview(changed, "csv")
    assert (before.updated, before.unchanged) == (1, 2)
    Development.objects.filter(key=RAA).update(title="Edited by a colleague meanwhile")

    report = import_developments(
        io.BytesIO(changed.encode()), "csv", expect_fingerprint=before.fingerprint
    )
    assert problems(report) == [
        "line 0, file: the data changed since the preview; preview it again"
    ]
    raa = Development.objects.get(key=RAA)
    assert raa.title == "Edited by a colleague meanwhile"
    assert sorted(raa.actors.values_list("code", flat=True)) == ["GB", "JP"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda: Evidence.objects.filter(development__key=RAA).update(rationale="Edited."),
        lambda: Evidence.objects.filter(development__key=RAA).update(strength=1),
        lambda: DevelopmentActor.objects.filter(development__key=RAA, actor__code="GB").delete(),
        lambda: Development.objects.filter(key="2023-01-09-drills").update(summary="New."),
    ],
    ids=["evidence-rationale", "evidence-strength", "actor", "a-development-left-unchanged"],
)
def test_confirm_refuses_when_a_link_or_an_unchanged_development_was_edited(reference, edit):
    import_developments(io.BytesIO(GOOD.encode()), "csv")
    changed = GOOD.replace("JP;GB,", "JP;GB;AU,")
    fingerprint = preview(changed, "csv").fingerprint
    edit()
    report = import_developments(
        io.BytesIO(changed.encode()), "csv", expect_fingerprint=fingerprint
    )
    assert problems(report)[-1].endswith("the data changed since the preview; preview it again")
    assert not Development.objects.filter(actors__code="AU").exists()


def test_confirm_goes_ahead_when_nothing_changed_since_the_preview(reference):
    import_developments(io.BytesIO(GOOD.encode()), "csv")
    changed = GOOD.replace("JP;GB,", "JP;GB;AU,")
    fingerprint = preview(changed, "csv").fingerprint
    report = import_developments(
        io.BytesIO(changed.encode()), "csv", expect_fingerprint=fingerprint
    )
    assert report.ok, report.errors
    assert Development.objects.filter(key=RAA, actors__code="AU").exists()


# --- Export ---------------------------------------------------------------------------


def test_the_export_command_leaves_drafts_out_unless_asked(reference, tmp_path):
    make_development(key="published-one", published=True)
    make_development(key="draft-one", published=False)
    path = tmp_path / "out.json"
    call_command("export_developments", "--output", str(path), verbosity=0)
    assert [r["key"] for r in json.loads(path.read_text())] == ["published-one"]
    call_command("export_developments", "--output", str(path), "--include-drafts", verbosity=0)
    assert sorted(r["key"] for r in json.loads(path.read_text())) == [
        "draft-one",
        "published-one",
    ]


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_exporting_an_empty_queryset_writes_no_records_and_none_means_all(reference, file_format):
    make_development(key="published-one")
    make_development(key="draft-one", published=False)
    out = io.StringIO()
    assert export_developments(out, file_format, Development.objects.none()) == (0, 0)
    if file_format == "json":
        assert json.loads(out.getvalue()) == []
    else:
        assert out.getvalue() == ",".join(COLUMNS) + "\n"
    assert export_developments(io.StringIO(), file_format, None) == (2, 0)
    assert export_developments(io.StringIO(), file_format) == (2, 0)
