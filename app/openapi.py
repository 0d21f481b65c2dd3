"""OpenAPI: every error documented as RFC 9457 problem+json, and the checked-in
`openapi.yaml` generated from the app (`sentio openapi > openapi.yaml`)."""

from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field


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


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed request (invalid JSON, bad cursor)."),
    401: _problem("Missing or unknown API key."),
    403: _problem("The key lacks the scope."),
    404: _problem("Not found in this project."),
    409: _problem("Conflicts with the stored state."),
    413: _problem("Body too large."),
    415: _problem("Body is not JSON."),
    422: _problem("Invalid input."),
    429: _problem("Too many requests; retry after `Retry-After` seconds."),
    503: _problem("Database unavailable; retry after `Retry-After` seconds."),
}


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
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
