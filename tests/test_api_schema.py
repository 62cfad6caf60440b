"""The OpenAPI schema is valid, and every answer of every API URL conforms to it:
each field an answer holds is declared (no undeclared field), and each declared
one has the declared type.

The schema's OpenAPI 3.0 nullables are turned into JSON Schema (`anyOf` with null)
and every object with declared properties refuses any other, then the answers are
checked with jsonschema (drf-spectacular's own dependency).
"""

from __future__ import annotations

import datetime
import json

import jsonschema
import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from tests.factories import make_development
from tracker import snapshots
from tracker.models import Assessment, Development, Recommendation

pytestmark = pytest.mark.django_db


def strict(node):
    """An OpenAPI 3.0 schema as JSON Schema that allows no undeclared property."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def schema(reader) -> dict:
    response = reader.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid schema


def test_the_schema_command_writes_it_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/developments/" in yaml.safe_load(out.read_text())["paths"]


def test_the_schema_is_served_as_json_too(reader):
    response = reader.get("/api/schema/?format=json")
    assert json.loads(response.content)["info"]["title"] == "Policy Recommendation Tracker API"


@pytest.fixture
def varied(seed):
    """The seed, plus what makes optional fields appear: a stage following another,
    a snapshot, a stalled assessment (with its reason)."""
    first = Development.objects.published().order_by("date").first()
    make_development(
        title="A later stage",
        date=datetime.date(2023, 12, 1),
        follows=first,
        follows_as="in_force",
        location="Tokyo",
    )
    Assessment.objects.create(
        recommendation=Recommendation.objects.get(code="TSU-3"),
        assessed_on=datetime.date(2024, 1, 2),
        status=Assessment.Status.STALLED,
        reason=Assessment.Reason.NOT_PRIORITISED,
        rationale="Stalled.",
    )
    snapshots.take("Conformance")


def answer_schema(schema: dict, path: str) -> dict:
    operation = schema["paths"][path]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    return {**strict(content["schema"]), "components": strict(schema["components"])}


def test_every_answer_of_every_endpoint_conforms_to_the_schema(reader, schema, varied):
    checked = 0
    lists = [path for path in schema["paths"] if "{" not in path]
    for path in lists:
        response = reader.get(path)
        assert response.status_code == 200, path
        body = response.json()
        jsonschema.validate(body, answer_schema(schema, path))
        checked += 1
        details = [p for p in schema["paths"] if p.startswith(path) and "{" in p]
        for detail_path in details:
            urls = [row["url"] for row in body["results"]]
            assert urls, f"nothing listed at {path} to check {detail_path} with"
            for url in urls[:20]:
                detail = reader.get(url)
                assert detail.status_code == 200, url
                jsonschema.validate(detail.json(), answer_schema(schema, detail_path))
                checked += 1
    assert {
        "/api/v1/frameworks/",
        "/api/v1/recommendations/",
        "/api/v1/developments/",
        "/api/v1/evidence/",
        "/api/v1/actors/",
        "/api/v1/assessments/",
        "/api/v1/sources/",
        "/api/v1/snapshots/",
    } <= set(lists)
    assert checked > 40


def test_an_undeclared_field_would_be_caught(schema, reader, seed):
    body = reader.get("/api/v1/frameworks/").json()
    body["results"][0]["undeclared"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, answer_schema(schema, "/api/v1/frameworks/"))
