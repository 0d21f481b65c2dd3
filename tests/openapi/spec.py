"""Reading the app's API document in tests: an operation, its problem types, and whether a
real answer fits what it documents."""

from typing import Any

import httpx
from jsonschema import Draft202012Validator


def operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for path in spec["paths"].values():
        for op in path.values():
            if op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"no operation {operation_id}")


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def problem_types(spec: dict[str, Any], operation_id: str, status: int) -> set[str]:
    """The problem `type`s the document says this operation answers with this status."""
    response = operation(spec, operation_id)["responses"].get(str(status))
    if response is None:
        return set()
    schema = resolve(spec, response["content"]["application/problem+json"]["schema"])
    (refinement,) = [part for part in schema["allOf"] if "properties" in part]
    return set(refinement["properties"]["type"]["enum"])


def schema_errors(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    root = {**schema, "components": spec["components"]}
    return [e.message for e in Draft202012Validator(root).iter_errors(value)]


def assert_documented(spec: dict[str, Any], operation_id: str, response: httpx.Response) -> None:
    """The answer's status, content type, body and required headers are as documented."""
    documented = operation(spec, operation_id)["responses"]
    assert str(response.status_code) in documented, (operation_id, response.status_code)
    answer = documented[str(response.status_code)]
    media_type = response.headers.get("content-type", "").split(";")[0]
    content = answer.get("content", {})
    if content:
        assert media_type in content, (operation_id, media_type, list(content))
        if media_type.endswith("json"):
            errors = schema_errors(spec, content[media_type]["schema"], response.json())
            assert not errors, (operation_id, response.status_code, errors)
    for name, header in answer.get("headers", {}).items():
        if resolve(spec, header).get("required"):
            assert name in response.headers, (operation_id, name)
