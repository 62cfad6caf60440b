"""The import's Validator on its own: records in, Rows or problems out, nothing written."""

import datetime

import pytest
from django.core.management import call_command

from tracker import dates
from tracker.interchange import Problem, Validator
from tracker.models import Citation, Development, DevelopmentKind, Recommendation, Source

pytestmark = pytest.mark.django_db

RECORD = {
    "key": "2023-01-11-japan-uk-raa",
    "date": "2023-01-11",
    "title": "Japan and the UK sign a Reciprocal Access Agreement",
    "kind": "agreement",
    "actors": "JP;GB",
    "evidence": "TSU-2:advances:3",
    "note": "Lets forces exercise in each other's country.",
}


@pytest.fixture
def validator(db):
    call_command("loaddata", "reference", verbosity=0)
    return Validator()


def problems_of(validator, record, line=2):
    row, problems = validator.validate(line, record)
    assert row is None
    return [(problem.column, problem.message) for problem in problems]


def test_a_good_record_becomes_a_row_with_the_reference_ids(validator):
    row, problems = validator.validate(2, RECORD)

    assert problems == []
    assert row.line == 2
    assert (row.key, row.keyed) == ("2023-01-11-japan-uk-raa", True)
    assert (row.date, row.precision) == (datetime.date(2023, 1, 11), dates.DAY)
    assert row.kind_id == DevelopmentKind.objects.get(code="agreement").pk
    assert row.status == Development.Status.OCCURRED
    assert row.actor_codes == ("GB", "JP")
    tsu2 = Recommendation.objects.get(code="TSU-2").pk
    assert row.evidence == ((tsu2, "advances", 3, RECORD["note"], "medium"),)
    assert validator.new_countries == {"GB", "JP"}
    assert Development.objects.count() == 0


def test_a_row_carries_what_it_follows_and_the_new_grades_with_their_defaults(validator):
    row, _ = validator.validate(2, {**RECORD, "source_title": "A source"})
    assert (row.follows, row.follows_as) == (None, "")
    assert row.citations[0].reliability == "secondary"
    assert row.evidence[0][-1] == "medium"

    record = {
        **RECORD,
        "follows": "pledge",
        "follows_as": "fulfils",
        "evidence": "TSU-2:advances:3:low",
        "source_title": "A source",
        "source_reliability": "unconfirmed",
    }
    row, problems = validator.validate(3, {**record, "key": "another"})
    assert problems == []
    assert (row.follows, row.follows_as) == ("pledge", "fulfils")
    assert row.citations[0].reliability == "unconfirmed"
    assert row.evidence[0][-1] == "low"


def test_what_records_follow_is_checked_at_the_end_so_a_later_record_may_be_followed(
    validator,
):
    _, problems = validator.validate(
        2, {**RECORD, "key": "later-stage", "follows": "earlier-stage", "follows_as": "fulfils"}
    )
    assert problems == []
    validator.validate(3, {**RECORD, "key": "earlier-stage", "date": "2023-01-10"})

    assert validator.finish() == []
    assert validator.referenced == {"earlier-stage"}


def test_finish_names_the_line_of_a_record_that_follows_no_development(validator):
    validator.validate(4, {**RECORD, "follows": "nowhere", "follows_as": "cancels"})

    assert [str(problem) for problem in validator.finish()] == [
        "line 4, follows: no development has the key 'nowhere' in the database or this file"
    ]


def test_the_second_pass_leaves_what_records_follow_to_the_writer(db):
    call_command("loaddata", "reference", verbosity=0)
    checker = Validator(check_duplicates=False)

    row, problems = checker.validate(2, {**RECORD, "follows": "nowhere", "follows_as": "cancels"})

    assert (problems, row.follows) == ([], "nowhere")
    assert checker.finish() == []


def test_validation_rejects_a_date_that_is_not_real(validator):
    problems = problems_of(validator, {**RECORD, "date": "2023-02-30"})

    assert problems == [("date", "'2023-02-30' is not a real date")]


def test_validation_rejects_an_unknown_recommendation(validator):
    problems = problems_of(validator, {**RECORD, "evidence": "TSU-9:advances"})

    assert problems == [("evidence", "unknown recommendation 'TSU-9'")]


def test_validation_rejects_an_unknown_kind_and_names_the_known_ones(validator):
    (column, message), *others = problems_of(validator, {**RECORD, "kind": "treaty"})

    assert others == []
    assert column == "kind"
    assert message.startswith("unknown kind 'treaty' (known: agreement, assistance, ")


def test_validation_rejects_a_key_given_twice_and_names_the_first_line(validator):
    first, _ = validator.validate(2, RECORD)
    problems = problems_of(validator, {**RECORD, "title": "Another title"}, line=5)

    assert first is not None
    assert problems == [("key", "same key as the record on line 2")]


def test_validation_rejects_two_keyless_records_of_the_same_date_and_title(validator):
    keyless = {name: value for name, value in RECORD.items() if name != "key"}
    validator.validate(2, keyless)
    problems = problems_of(validator, keyless, line=3)

    assert problems == [("title", "same date and title as the record on line 2")]


def test_validation_reports_what_the_reader_found_without_checking_values(validator):
    row, problems = validator.validate(7, {"date": "never"}, [("title", "holds a NUL")])

    assert row is None
    assert problems == [Problem(7, "title", "holds a NUL")]


def test_the_second_pass_does_not_check_duplicates(db):
    call_command("loaddata", "reference", verbosity=0)
    checker = Validator(check_duplicates=False)

    assert checker.validate(2, RECORD)[0] is not None
    assert checker.validate(3, RECORD)[0] is not None


# Each column with a limit, and the model field it is written to: the limit is the field's.
LIMITED_COLUMNS = [
    ("title", Development, "title"),
    ("location", Development, "location"),
    ("source_title", Source, "title"),
    ("source_publisher", Source, "publisher"),
    ("source_url", Source, "url"),
    ("source_locator", Citation, "locator"),
]


def text_of_length(column, length):
    """Text that is valid for the column otherwise (a URL where it must be one)."""
    if column.endswith("url"):
        start = "https://example.org/"
        return start + "a" * (length - len(start))
    return "x" * length


@pytest.mark.parametrize(("column", "model", "field"), LIMITED_COLUMNS)
def test_validation_refuses_a_value_longer_than_its_field_and_names_the_limit(
    validator, column, model, field
):
    limit = model._meta.get_field(field).max_length
    record = {**RECORD, "source_title": "A source", column: text_of_length(column, limit + 1)}

    row, problems = validator.validate(2, record)

    assert row is None
    assert [str(problem) for problem in problems] == [
        f"line 2, {column}: is {limit + 1:,} characters long; at most {limit} allowed"
    ]


@pytest.mark.parametrize(("column", "model", "field"), LIMITED_COLUMNS)
def test_validation_accepts_a_value_as_long_as_its_field(validator, column, model, field):
    limit = model._meta.get_field(field).max_length
    record = {**RECORD, "source_title": "A source", column: text_of_length(column, limit)}

    row, problems = validator.validate(2, record)

    assert problems == []
    assert row is not None


def test_validation_refuses_a_json_citation_title_longer_than_the_sources(validator):
    limit = Source._meta.get_field("title").max_length
    record = {**RECORD, "citations": [{"title": "x" * (limit + 1)}]}

    assert problems_of(validator, record) == [
        ("citations.title", f"is {limit + 1:,} characters long; at most {limit} allowed")
    ]


def test_validation_refuses_a_key_longer_than_the_developments(validator):
    limit = Development._meta.get_field("key").max_length

    assert validator.validate(2, {**RECORD, "key": "k" * limit})[1] == []
    [(column, message)] = problems_of(validator, {**RECORD, "key": "k" * (limit + 1)})
    assert column == "key"
    assert message.endswith(f"may hold only letters, digits, '-' and '_' ({limit} at most)")


def test_a_key_made_from_a_long_title_fits_the_field(validator):
    limit = Development._meta.get_field("key").max_length
    keyless = {name: value for name, value in RECORD.items() if name != "key"}

    row, _ = validator.validate(2, {**keyless, "title": "word " * 40})

    assert row.keyed is False
    assert 0 < len(row.key) <= limit
