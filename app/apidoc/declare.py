"""How a route declares the problems it raises beyond those its dependencies imply
(imports nothing but `app.errors`, so any router or dependency may use it)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from app.errors import PROBLEM_BASE

PROBLEMS_KEY = "x-sentio-problems"
"""Where `problems(...)` puts a route's declared problems in its `responses`; the
OpenAPI builder reads them from there and removes the key."""


@dataclass(frozen=True, order=True)
class Documented:
    """One problem type an operation can answer."""

    status: int
    slug: str
    title: str

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


Problem = Documented | type[Exception]
F = TypeVar("F", bound=Callable[..., Any])


def documented(problem: Problem) -> Documented:
    """A problem class (status, slug and title as class attributes) or a `Documented`."""
    if isinstance(problem, Documented):
        return problem
    return Documented(problem.status, problem.slug, problem.title)  # type: ignore[attr-defined]


def problems(*declared: Problem) -> dict[int | str, dict[str, Any]]:
    """`responses=problems(LinkExpired, AnswerLocked)` on a route or a router: problems
    the route raises beyond those its dependencies imply (see the module docstring)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for problem in map(documented, declared):
        entry = responses.setdefault(problem.status, {"description": problem.title})
        entry.setdefault(PROBLEMS_KEY, []).append([problem.slug, problem.title])
    return responses


def raises(*declared: Problem) -> Callable[[F], F]:
    """Marks a dependency with the problems it raises; every route using it documents
    them."""

    def mark(dependency: F) -> F:
        dependency.raises = tuple(map(documented, declared))  # type: ignore[attr-defined]
        return dependency

    return mark


def declared_in(responses: dict[str, Any]) -> Iterator[Documented]:
    """The problems `problems(...)` put in an operation's responses (and removes them)."""
    for status, response in responses.items():
        for slug, title in response.pop(PROBLEMS_KEY, []):
            yield Documented(int(status), slug, title)


def cases(schema: dict[str, Any], field: str, rules: dict[str, dict[str, Any]]) -> None:
    """Rules that depend on one field's value (`kind`), as JSON Schema `if`/`then`/`else`:
    validators and fuzzers apply them, and client generators, which cannot use them, keep
    one plain model. The last rule also applies when the field is left out."""
    *chosen, (_, fallback) = rules.items()
    node = schema
    for value, rule in chosen:
        node["if"] = {"properties": {field: {"const": value}}, "required": [field]}
        node["then"] = rule
        node["else"] = {}
        node = node["else"]
    node.update(fallback)
