"""Responses as the server sends them: problem bodies with their types, the headers every
answer carries, the body of every success status, and links from a create to its reads."""

from typing import Any

from app.apidoc.problems import Documented

PROBLEM_JSON = "application/problem+json"


def _header(description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    header: dict[str, Any] = {"description": description, "schema": schema}
    if required:
        header["required"] = True
    return header


HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": _header(
        "Names this request in the server's logs: the client's own `X-Request-ID` when it "
        "sent a valid one, else a new id.",
        {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
        required=True,
    ),
    "RateLimit": _header(
        'The caller\'s budget: `"<policy>";r=<remaining>;t=<seconds to reset>` (IETF '
        "draft-ietf-httpapi-ratelimit-headers). Sent when rate limiting is on.",
        {"type": "string"},
    ),
    "RateLimit-Policy": _header(
        'The policy: `"<policy>";q=<requests>;w=<window seconds>`. Sent when rate limiting is on.',
        {"type": "string"},
    ),
    "Retry-After": _header(
        "Seconds to wait before retrying.", {"type": "string", "pattern": "^[0-9]+$"}, True
    ),
    "WWW-Authenticate": _header('`Bearer realm="sentio"`.', {"type": "string"}, True),
    "Idempotent-Replayed": _header(
        "`true` when this is the stored answer to an earlier request with the same "
        "Idempotency-Key (nothing was done again).",
        {"type": "string", "enum": ["true"]},
    ),
    "Sentio-Next-Cursor": _header(
        "Present when more rows follow: pass it as `cursor` to read the next page.",
        {"type": "string"},
    ),
}
"""Response headers, as `components/headers` that responses refer to."""


def ref(name: str) -> dict[str, str]:
    return {"$ref": "#/components/headers/" + name}


def rate_limit_headers() -> dict[str, Any]:
    return {"RateLimit": ref("RateLimit"), "RateLimit-Policy": ref("RateLimit-Policy")}


def problem_response(
    status: int, found: list[Documented], rate_limited: bool, schemas: dict[str, Any]
) -> dict[str, Any]:
    """One status's problem response, its headers described and its body a schema (added to
    `schemas` once per set of types) that enumerates its types."""
    headers: dict[str, Any] = {"X-Request-ID": ref("X-Request-ID")}
    if status == 401:
        headers["WWW-Authenticate"] = ref("WWW-Authenticate")
    if status in (429, 503):
        headers["Retry-After"] = ref("Retry-After")
    if status == 409 and any(p.slug == "idempotency-key-in-use" for p in found):
        headers["Retry-After"] = {**HEADERS["Retry-After"], "required": False}
    if rate_limited:
        headers.update(rate_limit_headers())
    if len(found) == 1:
        description = f"{found[0].title} (`{found[0].type}`)."
    else:
        description = "One of:\n" + "\n".join(f"- `{p.type}`: {p.title}." for p in found)
    name = f"Problem{status}" + "Or".join(_camel(p.slug) for p in found)
    schemas.setdefault(
        name,
        {
            "allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"enum": [p.type for p in found]},
                        "status": {"enum": [status]},
                    },
                },
            ],
            "title": name,
        },
    )
    return {
        "description": description,
        "headers": headers,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/" + name}}},
    }


def _camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))


def complete_successes(
    operation: dict[str, Any], main_status: int, rate_limited: bool, idempotent: bool
) -> None:
    """Headers on every success; a second success status documented without a body gets
    the route's own response model (e.g. 200 "already there" beside 201 "created")."""
    responses = operation["responses"]
    main = responses.get(str(main_status), {})
    main_json = main.get("content", {}).get("application/json", {}).get("schema")
    for status, response in responses.items():
        if not status.startswith("2"):
            continue
        content = response.get("content", {})
        if status != "204" and main_json and not content.get("application/json", {}).get("schema"):
            content["application/json"] = {"schema": main_json}
            response["content"] = content
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = ref("X-Request-ID")
        if rate_limited:
            headers.update(rate_limit_headers())
        if idempotent:
            headers["Idempotent-Replayed"] = ref("Idempotent-Replayed")
        params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "cursor" in params and "text/csv" in content:
            headers["Sentio-Next-Cursor"] = ref("Sentio-Next-Cursor")


def singular(segment: str) -> str:
    return segment[:-1] if segment.endswith("s") else segment


def add_links(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Links from each create (a POST answering 201 with an `id`) to every operation that
    takes that id as `{<resource>_id}` in its path, e.g. `createSurvey` → `getSurvey`.

    Other path parameters of the target are carried over from the create's own request
    when the create had them (a response created under `{survey_id}` keeps it)."""
    operations = [(path, method, op) for path, ops in paths.items() for method, op in ops.items()]
    for path, method, op in operations:
        created = op["responses"].get("201")
        if method != "post" or not created:
            continue
        schema = created.get("content", {}).get("application/json", {}).get("schema", {})
        model = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
        if "id" not in model.get("properties", {}):
            continue
        resource = singular(path.rstrip("/").rsplit("/", 1)[-1]) + "_id"
        own = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        links: dict[str, Any] = {}
        for target_path, _target_method, target in operations:
            if "{" + resource + "}" not in target_path:
                continue
            names = [p["name"] for p in target.get("parameters", []) if p["in"] == "path"]
            if any(n != resource and n not in own for n in names):
                continue
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": {
                    n: "$response.body#/id" if n == resource else f"$request.path.{n}"
                    for n in names
                },
            }
        if links:
            created["links"] = links
