"""The problems an operation can answer, derived from what the route depends on.

Each rule below mirrors the code that raises the problem, so that a new route gets its
error statuses documented from its signature alone:

- an authorization rule other than `public(...)` (it checks a key): 401, 403, and 503
  (keys are verified in the database);
- a path under the rate-limited prefixes (`app.ratelimit.middleware.classify`): 429;
- `POST`/`PUT`/`PATCH`: 413 (`RequestGuard`), and 415 under `/v1/` (JSON only there);
- a JSON body: 400 `malformed-json` and 422 `validation-error`;
- any query, path or header parameter: 422 `validation-error`;
- a `cursor` query parameter: 400 `invalid-cursor`;
- an id in the path (or a required id in the query): 404 with the id's own problem type
  (`survey_id` → `SurveyNotFound`, `survey-not-found`; see `not_found_of`);
- an `Idempotency-Key` header: 409 `idempotency-key-in-use`, 422 `idempotency-key-reused`
  and `invalid-idempotency-key`;
- a database session: 503, and on writes 409 `conflict` (a concurrent change);
- a dependency that raises problems of its own declares them with `@raises(...)`.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, get_type_hints

from app.apidoc.declare import Documented, documented
from app.auth.dependencies import rule_of
from app.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from app.idempotency.service import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
)
from app.pagination import InvalidCursor
from app.ratelimit.middleware import classify
from app.ratelimit.policy import Policy

BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}
JSON_PREFIXES = ("/v1/",)
"""Paths where `RequestGuard` accepts only JSON bodies (as `app.main` configures it)."""


MALFORMED_JSON = Documented(400, "malformed-json", "Malformed JSON")


def not_found_of(parameter: str) -> type[NotFound]:
    """The 404 an id answers when it names nothing of the caller's project: by naming
    convention `survey_id` → `SurveyNotFound` (any loaded subclass of `NotFound`; for
    `relationship_survey_id` the longest name that has one), else the generic `not-found`."""
    parts = [part.capitalize() for part in parameter.removesuffix("_id").split("_")]
    classes = _not_found_classes()
    for start in range(len(parts)):  # `relationship_survey_id`: then `SurveyNotFound`
        found = classes.get("".join(parts[start:]) + "NotFound")
        if found is not None:
            return found
    return NotFound


def _not_found_classes() -> dict[str, type[NotFound]]:
    found: dict[str, type[NotFound]] = {}
    todo = [NotFound]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.setdefault(sub.__name__, sub)
            todo.append(sub)
    return found


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


_POLICY = Policy("doc", 1, 60)


def _opens_session(call: Callable[..., Any]) -> bool:
    """A dependency that gives the route a database session (read or write)."""
    try:
        returns = get_type_hints(call).get("return")
    except (NameError, TypeError):
        return False
    return returns is not None and "AsyncSession" in repr(returns)


def derived(path: str, method: str, dependant: Any, has_body: bool) -> set[Documented]:
    """The problems the route's path, method and dependencies imply."""
    found: set[Documented] = set()
    add = found.update
    dependants = list(_dependants(dependant))
    calls = {d.call for d in dependants if d.call is not None}
    rules = {rule_of(call) for call in calls} - {None}
    uses_database = any(map(_opens_session, calls))
    if rules - {"public"}:
        add(map(documented, (Unauthorized, Forbidden)))
        uses_database = True
    scope = {"path": path, "headers": [], "client": None}
    if classify(scope, _POLICY, _POLICY) is not None:
        add([documented(TooManyRequests)])
    if method in BODY_METHODS:
        add([documented(PayloadTooLarge)])
        if path.startswith(JSON_PREFIXES):
            add([documented(UnsupportedMediaType)])
    if has_body:
        add([MALFORMED_JSON, documented(InvalidInput)])
    params = [p for d in dependants for p in (*d.path_params, *d.query_params, *d.header_params)]
    if params:
        add([documented(InvalidInput)])
    for d in dependants:
        for param in d.path_params:  # a value the route's path cannot match: plain 404
            add([documented(not_found_of(param.name)), documented(NotFound)])
        for param in d.query_params:
            if param.alias.endswith("_id") and param.field_info.is_required():
                add([documented(not_found_of(param.alias))])
            if param.alias == "cursor":
                add([documented(InvalidCursor)])
        for param in d.header_params:
            if param.alias.lower() == "idempotency-key":
                add(map(documented, (IdempotencyKeyInUse, IdempotencyKeyReused)))
                add([documented(InvalidIdempotencyKey)])
    if uses_database:
        add([documented(ServiceUnavailable)])
        if method in WRITE_METHODS:
            add([documented(Conflict)])
    for call in calls:
        add(getattr(call, "raises", ()))
    return found


def grouped(found: Iterable[Documented]) -> dict[int, list[Documented]]:
    by_status: dict[int, list[Documented]] = {}
    for problem in sorted(set(found)):
        by_status.setdefault(problem.status, []).append(problem)
    return by_status
