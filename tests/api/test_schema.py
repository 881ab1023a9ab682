"""The OpenAPI schema: valid (drf-spectacular's validator, warnings fail), complete, and true to the live API."""

import json
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import ALL_SCOPES, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# Operations per tag: a new endpoint must be added here (and so be documented) to pass.
OPERATIONS_PER_TAG = {
    "orders": 6,
    "stock": 4,
    "catalogue": 4,
    "channels": 2,
    "shipments": 4,
    "webhooks": 8,
    "inquiries": 4,
}


def test_the_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    tags = [operation["tags"][0] for _path, _method, operation in _operations(schema)]
    assert {tag: tags.count(tag) for tag in set(tags)} == OPERATIONS_PER_TAG


def test_every_operation_names_its_scope_and_documents_auth_errors(schema):
    for path, method, operation in _operations(schema):
        assert operation["x-required-scope"] in ALL_SCOPES, (path, method)
        assert {"401", "403", "429"} <= operation["responses"].keys(), (path, method)
        assert operation["description"], (path, method)
        assert {"tokenAuth": []} in operation["security"]


def test_every_error_response_uses_the_error_shape_with_an_example(schema):
    for path, method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method, status)
            assert content["examples"], (path, method, status)


def test_list_filters_are_documented(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}

    assert {
        "channel",
        "external_id",
        "status",
        "hold",
        "ordered_after",
        "ordered_before",
        "cursor",
    } <= parameters


def test_the_token_scheme_is_documented(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert schemes["bearerAuth"]["scheme"] == "bearer"


def test_the_schema_and_docs_are_served(db):
    client = APIClient()

    assert client.get("/api/schema/").status_code == 200
    assert yaml.safe_load(client.get("/api/schema/").content)["info"]["title"] == "OMS API"
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    shutil.which("st", path=str(Path(sys.executable).parent)) is None, reason="needs schemathesis"
)
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(live_server, make_client, shop, settings):
    """Every operation, generated inputs and the stateful phase: no 5xx, every response as documented."""
    settings.OMS_API_RATE = "100000/min"
    channel, skus = shop
    make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")
    make_order(channel, skus["HONEY-300G"])
    key = make_client(*ALL_SCOPES).raw_key
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {key}",
        # The live server's middleware was built with production's HTTPS redirect; say we came through TLS.
        "--header",
        "X-Forwarded-Proto: https",
        "--checks",
        "all",
        # Valid-by-schema input may still name a SKU or warehouse that does not exist (400/404/409).
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        "25",
        "--workers",
        "1",
        "--seed",
        "1",
        "--no-color",
    ]

    result = subprocess.run(command, capture_output=True, text=True, timeout=540)
    print(result.stdout[-3000:])  # the run's summary, for the CI log

    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
