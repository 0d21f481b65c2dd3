"""Errors are data: one base type carrying status and a stable `type`, rendered as RFC 9457."""

from typing import Any

PROBLEM_BASE = "/problems/"  # relative URI references, as RFC 9457 allows


class ProblemError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        slug: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        if slug:
            self.slug = slug
        if title:
            self.title = title

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class BadRequest(ProblemError):
    pass


class InvalidInput(ProblemError):
    status = 422
    slug = "validation-error"
    title = "Invalid input"


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"
    title = "Missing or invalid API key"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="sentio"'})


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(ProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(ProblemError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(ProblemError):
    status = 503
    slug = "service-unavailable"
    title = "Service temporarily unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class QueryTimeout(ServiceUnavailable):
    """A statement ran past SENTIO_STATEMENT_TIMEOUT_SECONDS and was cancelled."""

    slug = "query-timeout"
    title = "Query took too long"
