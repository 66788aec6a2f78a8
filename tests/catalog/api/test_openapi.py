"""The OpenAPI document describes every operation, its errors and its security."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from openapi_spec_validator import validate

# One "METHOD /path" a line, sorted: adding or losing an operation means editing this file too.
PINNED_OPERATIONS = Path(__file__).with_name("openapi_operations.txt")


def test_openapi_document(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "ErrorResponse" in spec["components"]["schemas"]
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    documented = sorted(f"{method.upper()} {path}" for path, method, _ in operations)
    pinned = PINNED_OPERATIONS.read_text(encoding="utf-8").splitlines()
    assert pinned == sorted(set(pinned)), f"keep {PINNED_OPERATIONS.name} sorted, each line once"
    missing, unexpected = set(pinned) - set(documented), set(documented) - set(pinned)
    assert documented == pinned, f"missing: {sorted(missing)}; not pinned: {sorted(unexpected)}"
    assert len(documented) == 178
    for path, method, op in operations:
        assert op.get("summary"), f"{method} {path} has no summary"
        # A success status: 2xx, or a 3xx for redirects (the cover image).
        assert any(code[0] in "23" for code in op["responses"]), f"{method} {path}"
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "401" in me["responses"]
    users_post = spec["paths"]["/api/v1/users"]["post"]
    assert {"401", "403", "422"} <= set(users_post["responses"])
    assert "requestBody" in users_post


def test_docs_page_is_served(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page
    # The page's scripts are served by the app itself (no CDN needed on an intranet).
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as script:
        assert script.status_code == 200
        assert len(script.get_data()) > 100_000
    assert client.get("/api/docs/assets/../../../etc/passwd").status_code == 404


def test_statements_and_heartbeats_are_described(client: FlaskClient) -> None:
    """The batch's items were ``{}`` and the single statement had no fields (issue 16,
    finding 8): a phone's developer reads the heartbeat's shape from the document."""
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    batch = spec["paths"]["/api/v1/me/statements:batch"]["post"]["requestBody"]
    batch_schema = schemas[batch["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    items = batch_schema["properties"]["statements"]["items"]
    assert items["allOf"] == [{"$ref": "#/components/schemas/StatementIn"}]
    put = spec["paths"]["/api/v1/me/statements/{statement_id}"]["put"]["requestBody"]
    put_schema = schemas[put["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    for statement in (schemas["StatementIn"], put_schema):
        assert statement["properties"]["verb"]["enum"] == ["progressed"]
        assert statement["properties"]["result"] == {"$ref": "#/components/schemas/Heartbeat"}
    heartbeat = schemas["Heartbeat"]["properties"]
    assert set(heartbeat) == {"position_from", "position_to", "playback_rate", "wall_seconds"}
    assert all(field.get("description") for field in heartbeat.values())


def test_openapi_document_is_valid_openapi_3(client: FlaskClient) -> None:
    """A generator or a validating gateway refused the document (`"in": "formData"`)."""
    spec = client.get("/api/openapi.json").get_json()
    validate(spec)  # raises with the first error, naming its path
    multipart = [
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"post", "put"}
        and "multipart/form-data" in op.get("requestBody", {}).get("content", {})
    ]
    assert multipart, "the bank import takes a file as multipart/form-data"
    for path, method in multipart:
        schema = spec["paths"][path][method]["requestBody"]["content"]["multipart/form-data"]
        ref = schema["schema"].get("$ref", "")
        named = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], schema["schema"])
        properties = named.get("properties") or {}
        binary = [p for p in properties.values() if p.get("format") == "binary"]
        assert binary, f"{method} {path}: the file part is a string in binary format"
