"""OpenAPI: the document says what the server does; the checked-in `openapi.yaml` is
generated from the app (`sentio openapi > openapi.yaml`).

Error statuses are documented per operation, each with the problem `type`s it can carry
(RFC 9457 `application/problem+json`). Most are derived from the route itself, see
`app.apidoc.problems`: its authorization rule (401, 403, 503), its path (429), its method
and body (400, 413, 415, 422), its parameters (422, a `cursor` 400, ids 404 with their own
types), an `Idempotency-Key` (409, 422) and its database session (503, 409 on writes).
A new route written with the usual dependencies needs nothing more.

A route that raises other problems declares them next to its other responses:

    from app.apidoc.declare import Documented, problems

    @router.post(
        "/v1/public/responses",
        responses={**problems(LinkExpired, AnswerLocked), 200: {"description": "Changed."}},
    )

Pass problem classes (their `status`, `slug` and `title` are read) or, for a problem
raised with a custom slug, `Documented(422, "too-many-rows", "Too many rows")`. A router
may declare problems for all its routes the same way (`APIRouter(responses=...)`), and a
dependency may carry its own with `@raises(...)`: every route using it documents them.
A route that declares a 404 replaces those guessed from its ids' names.

Query parameters a route parses itself are described by name (`cursor`, `from`, `to`,
`updated_since`, `as_of`: see `app.apidoc.parameters`).

Every answer documents `X-Request-ID`; rate-limited paths `RateLimit` and
`RateLimit-Policy`; idempotent creates `Idempotent-Replayed`; 429 and 503 `Retry-After`.
A second success status listed without a body (200 beside 201) gets the route's model,
and each create links to the operations that take its id."""

from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field

from app.apidoc import parameters, responses
from app.apidoc.declare import Documented, declared_in, problems, raises
from app.apidoc.problems import derived, grouped

__all__ = ["Documented", "install", "problems", "raises", "render"]


class FieldError(BaseModel):
    pointer: str | None = Field(None, description="JSON pointer into the body, e.g. `#/score`.")
    parameter: str | None = Field(None, description="Name of the offending query/path parameter.")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="Stable machine-readable error type.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(
                Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop(
                    "$defs", {}
                )
            )
            components["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            document(app, schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI, schema: dict[str, Any]) -> None:
    """Per-operation problems, headers, success bodies and links (see the module doc)."""
    paths = schema.get("paths", {})
    components = schema["components"]["schemas"]
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        route_path = getattr(context, "path_format", None)
        if dependant is None or route_path not in paths:
            continue
        for method in context.methods or ():
            operation = paths[route_path].get(method.lower())
            if operation is None:
                continue
            has_body = "requestBody" in operation  # a model, or a body the route reads
            _document_operation(context, method, operation, dependant, has_body, components)
    responses.add_links(paths, schema["components"]["schemas"])
    closed_maps(schema)
    schema["components"]["headers"] = responses.HEADERS


def _document_operation(
    context: Any,
    method: str,
    operation: dict[str, Any],
    dependant: Any,
    has_body: bool,
    components: dict[str, Any],
) -> None:
    parameters.describe(operation)
    answers = operation["responses"]
    found = derived(context.path_format, method, dependant, has_body)
    declared = set(declared_in(answers))
    if any(p.status == 404 for p in declared):  # the route knows its 404s better than ids
        found = {p for p in found if p.status != 404 or p.slug == "not-found"}
    found.update(declared)
    rate_limited = any(p.status == 429 for p in found)
    for status in [s for s in answers if s.startswith(("4", "5"))]:
        body = answers[status].get("content", {}).get("application/json", {}).get("schema")
        if body and body != {"$ref": "#/components/schemas/HTTPValidationError"}:
            continue  # a non-problem body the route documents itself (e.g. readiness)
        del answers[status]
    for status, listed in grouped(found).items():
        answers.setdefault(
            str(status), responses.problem_response(status, listed, rate_limited, components)
        )
    idempotent = any(p.slug == "idempotency-key-reused" for p in found)
    main = getattr(context, "status_code", None) or 200
    responses.complete_successes(operation, main, rate_limited, idempotent)
    for answer in answers.values():  # every answer, whatever its status, names its request
        answer.setdefault("headers", {}).setdefault("X-Request-ID", responses.ref("X-Request-ID"))
    operation["responses"] = dict(sorted(answers.items()))


def closed_maps(node: Any) -> None:
    """A map whose keys pydantic constrains (`dict[Locale, ...]`, attributes) refuses any
    other key: say so (`additionalProperties: false` beside its `patternProperties`)."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            closed_maps(value)
    elif isinstance(node, list):
        for value in node:
            closed_maps(value)


def render(app: FastAPI) -> str:
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
