"""Every error leaves the service as RFC 9457 `application/problem+json`."""

import logging
from typing import Any

from asyncpg import exceptions as asyncpg_errors
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import get_route_path

from app.db import is_unavailable
from app.errors import (
    BadRequest,
    Conflict,
    InvalidInput,
    ProblemError,
    QueryTimeout,
    ServiceUnavailable,
)
from app.querytime import is_query_timeout
from app.security.redact import safe_path

log = logging.getLogger("sentio.errors")

PROBLEM_JSON = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem_response(error: ProblemError, instance: str | None = None) -> ProblemResponse:
    body = error.body(safe_path(instance))  # link paths hold tokens
    return ProblemResponse(body, status_code=error.status, headers=error.headers)


def _field_errors(exc: RequestValidationError) -> tuple[bool, list[dict[str, Any]]]:
    malformed = False
    errors: list[dict[str, Any]] = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
        loc = [str(part) for part in err.get("loc", ())]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc and loc[0] == "body":
            errors.append({"pointer": "#/" + "/".join(loc[1:]), "detail": message})
        elif loc:
            errors.append({"parameter": loc[-1], "in": loc[0], "detail": message})
        else:
            errors.append({"detail": message})
    return malformed, errors


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = error.get("pointer", "").removeprefix("#/") or error.get("parameter", "")
        parts.append(f"{where}: {error['detail']}" if where else error["detail"])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def database_problem(exc: Exception, path: str) -> ProblemError | None:
    """The problem a database error stands for (a conflict, or 503 with Retry-After), or
    None for an error that is a bug."""
    if is_query_timeout(exc):
        log.warning("statement timed out on %s", path)
        return QueryTimeout(
            "The query took longer than this server allows and was stopped; retry later, "
            "or ask for less (a shorter range, fewer groups).",
            retry_after=5,
        )
    if isinstance(exc, IntegrityError):
        log.warning("integrity error on %s: %s", path, exc.orig)
        return Conflict("The change conflicts with the stored data; reload and try again.")
    if isinstance(exc, PoolTimeout):
        log.warning("database pool exhausted on %s", path)
        return ServiceUnavailable("The service is at capacity; retry shortly.", retry_after=1)
    if not is_unavailable(exc):
        return None
    # Raised unwrapped while opening a connection: the server cannot be reached (plain
    # OSError), is starting up or shutting down, or is out of connection slots.
    log.warning("database unavailable on %s: %s", path, getattr(exc, "orig", exc))
    return ServiceUnavailable("The database is unavailable; retry shortly.", retry_after=2)


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path takes. Starlette's 405 names only the methods
    of the first route whose path matched, and each method of a path is a route of its own."""
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # included routers' routes too
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    return sorted(methods, key=lambda m: (*METHOD_ORDER, m).index(m))


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> ProblemResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        malformed, errors = _field_errors(exc)
        if malformed:
            error: ProblemError = BadRequest(
                "The request body is not valid JSON.", slug="malformed-json", title="Malformed JSON"
            )
        else:
            error = InvalidInput(_summary(errors), errors=errors)
        return problem_response(error, request.url.path)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> ProblemResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a body json.loads cannot read at all: bytes that are not
            # UTF-8, nesting deeper than the parser's recursion limit.
            return problem_response(
                BadRequest(
                    "The request body is not valid JSON.",
                    slug="malformed-json",
                    title="Malformed JSON",
                ),
                request.url.path,
            )
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        error = ProblemError(str(exc.detail), slug=slug, title=str(exc.detail), headers=headers)
        error.status = exc.status_code
        return problem_response(error, request.url.path)

    @app.exception_handler(IntegrityError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(asyncpg_errors.OperatorInterventionError)
    @app.exception_handler(asyncpg_errors.PostgresConnectionError)
    @app.exception_handler(asyncpg_errors.InsufficientResourcesError)
    @app.exception_handler(OSError)
    async def _database(request: Request, exc: Exception) -> ProblemResponse:
        error = database_problem(exc, request.url.path)
        if error is None:
            raise exc
        return problem_response(error, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unhandled error on %s", request.url.path)
        error = ProblemError(
            "An unexpected error occurred; it has been logged.",
            slug="internal-error",
            title="Internal server error",
        )
        error.status = 500
        return problem_response(error, request.url.path)
