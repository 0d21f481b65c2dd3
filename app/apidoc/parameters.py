"""Query parameters whose form a route's signature does not show (it takes them as text
and parses them itself), described by name for every route that has them:

- `cursor`: an opaque cursor from `app.pagination` (base64url, no padding);
- `from`, `to`, `updated_since`, `as_of`: times as `app.timeparams.parse_time` reads them, an ISO
  8601 date or date-time.
"""

from collections.abc import Callable
from typing import Any

CURSOR = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"}  # empty: the first page
TIME = {
    "type": "string",
    "anyOf": [{"format": "date"}, {"format": "date-time"}],
    "description": "An ISO 8601 date (`2024-05-01`) or date-time (`2024-05-01T12:00:00Z`).",
}
BY_NAME = {"cursor": CURSOR, "from": TIME, "to": TIME, "updated_since": TIME, "as_of": TIME}


def _is_text(schema: dict[str, Any]) -> bool:
    """A string (or an optional one) with no format of its own."""
    branches = schema.get("anyOf", [schema])
    kinds = {b.get("type") for b in branches}
    return kinds <= {"string", "null"} and not any("format" in b for b in branches)


def describe(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        known = BY_NAME.get(parameter["name"])
        schema = parameter.get("schema", {})
        if parameter["in"] != "query" or known is None or not _is_text(schema):
            continue
        parameter["schema"] = {**known, "title": schema.get("title", parameter["name"])}


def comma_separated(*alternatives: str) -> str:
    """A pattern for one value of a parameter that takes a comma-separated list of the
    alternatives (regexes), as `value.split(",")` with each part stripped reads it."""
    one = "(" + "|".join(alternatives) + ")"
    return rf"^[ ,]*({one}( *,[ ,]*{one})*)?[ ,]*$"


def items(pattern: str) -> Callable[[dict[str, Any]], None]:
    """`Query(json_schema_extra=items(...))`: each value of a repeatable parameter."""

    def schema_of(schema: dict[str, Any]) -> None:
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") == "array":
                branch["items"] = {"type": "string", "pattern": pattern}

    return schema_of
