"""Schemathesis hooks (`SCHEMATHESIS_HOOKS=tests.openapi.schemathesis_hooks`) for the rules
of Sentio that no JSON Schema can state: they depend on the server's own state or tie two
values together. Each hook below either makes generated requests follow such a rule the
way a correct client does, or drops the one failure that rule explains, and nothing else.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis

VALID_KEY = re.compile(r'"?[!-~]{1,255}"?')
SCORED = {"createResponse", "updateResponse", "submitBrowserResponse", "answerInvitation"}
TIME_PAIRS = (("from", "to"),)
NEAR = timedelta(days=2)  # a date means local midnight in `tz`: up to a day either way


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Generated requests made the way a correct client makes them (schemathesis then
    checks again whether each is still schema-valid):

    - a new Idempotency-Key for each new request (what the key is for): generated keys
      repeat ("0", "00"), and a repeat with another body is refused (422
      idempotency-key-reused), as it should be;
    - `from` before `to` (or before the `as_of` or now that `to` defaults to), a webhook's
      `score_min` not above its `score_max`: a client asking for a range names it in order.
    """
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return  # an edit would make schemathesis see it as valid and drop its flaw
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):  # an invalid one stays invalid
        headers["Idempotency-Key"] = str(uuid.uuid4())
    filters = case.body.get("filters") if isinstance(case.body, dict) else None
    if isinstance(filters, dict):
        low, high = filters.get("score_min"), filters.get("score_max")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            filters["score_min"], filters["score_max"] = high, low
    query = case.query or {}
    for start, end in TIME_PAIRS:
        first, last = _time(query.get(start)), _time(query.get(end))
        if first is not None and last is not None and last - first < NEAR:
            del query[end]
        elif first is not None and last is None:  # `to` defaults to `as_of`, else now
            until = _time(query.get("as_of")) or datetime.now(UTC)
            if until - first < NEAR:
                del query[start]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but an invalid repeatable query parameter that reaches the server
    as a valid one (`_array_as_one_value`), and a schema-valid request refused for a reason
    the schema cannot hold:

    - a `cursor` the server never issued (cursors are opaque; only a returned one is
      valid, and the suite pages with real ones);
    - a `tz` that is not in the server's time zone database (the document says what a zone
      name looks like; the list of zones is the database's);
    - a `score` outside the scale of the survey it answers (each survey has its own);
    - a time in the future where only past ones are taken (the schema has no "now"), or
      before 1970 (OpenAPI has no lower bound for a date-time);
    - a theme phrase without a letter or digit of any script (JSON Schema patterns have no
      Unicode classes);
    - a `group_by` naming a dimension twice (a comma-separated list cannot be unique in a
      pattern);
    - a `scale_max` that the survey's stored kind does not allow (a PATCH without `kind`
      keeps the stored one);
    - an integer sent as `1.0`: JSON Schema counts it as an integer, Sentio reads a number
      written with a decimal point as a fraction (a typed client never sends it);
    - a project's `logo_url` off its `website`'s domain, or without a website (the logo's
      host must be the stored or sent website's host or a subdomain of it).
    """
    if getattr(failure, "code", None) == "ST201":
        return not _array_as_one_value(failure, case)
    if getattr(failure, "code", None) != "ST202":
        return True
    problem = _json(response)
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    if slug == "invalid-cursor" and "cursor" in (case.query or {}):
        return False
    operation = (case.operation.definition.raw or {}).get("operationId")
    errors = problem.get("errors", []) or []
    if errors and all(e.get("parameter") == "tz" for e in errors):
        return False
    pointers = {e.get("pointer") for e in errors}
    details = {str(e.get("detail")) for e in errors}
    if details == {"repeated dimension"}:
        return False
    if details and all("in the future" in d or "before 1970" in d for d in details):
        return False
    if details == {"must be before 'to'"}:  # `to` may default to `as_of`, which may be any day
        return False
    if details == {"unknown or repeated"}:  # the dimensions are in the pattern: a repeat
        return False
    if details == {"must contain a letter or a digit"}:  # a theme's phrase
        return False
    if operation == "updateSurvey" and pointers == {"#/scale_max"}:
        return False
    if operation == "updateCurrentProject" and pointers in ({"#/logo_url"}, {"#/website"}):
        return False
    if operation in SCORED and pointers == {"#/score"} and "outside" in problem.get("detail", ""):
        return False
    return not _integral_floats_refused(problem, case.body)


QUERY_PARAMETER = re.compile(r"parameter `([^`]+)` in query")


def _array_as_one_value(failure: Any, case: Any) -> bool:
    """A "schema-violating" value of a repeatable query parameter that a query string
    writes exactly as a valid one: `theme=Y` is the list `["Y"]` as much as the text "Y"."""
    found = QUERY_PARAMETER.search(str(getattr(failure, "message", "")))
    if not found:
        return False
    for parameter in case.operation.definition.raw.get("parameters", []):
        if parameter.get("name") == found.group(1) and parameter.get("in") == "query":
            branches = parameter.get("schema", {}).get("anyOf", [parameter.get("schema", {})])
            return any(b.get("type") == "array" for b in branches)
    return False


def _integral_floats_refused(problem: dict[str, Any], body: Any) -> bool:
    errors = problem.get("errors") or []
    if not errors:
        return False
    for error in errors:
        value = _at(body, str(error.get("pointer", "")))
        if not (isinstance(value, float) and value.is_integer()):
            return False
    return True


def _at(body: Any, pointer: str) -> Any:
    value = body
    for part in pointer.removeprefix("#/").split("/") if pointer.startswith("#/") else [None]:
        if part is None:
            return None
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def _json(response: Any) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}
