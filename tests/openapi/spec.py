"""Reading the app's API document in tests: an operation, its problem types, and whether a
real answer fits what it documents."""

import re
from datetime import datetime
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker


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


FORMATS = FormatChecker()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if not RFC3339.match(value):
            raise ValueError(value)
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


def schema_errors(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    """Why `value` does not fit `schema` (formats checked too), or nothing."""
    root = {**schema, "components": spec["components"]}
    validator = Draft202012Validator(root, format_checker=FORMATS)
    return [e.message for e in validator.iter_errors(value)]


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
