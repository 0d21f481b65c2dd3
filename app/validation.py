"""Input types shared by every domain: text that both databases can store, labels, locales."""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)

from app.errors import InvalidInput


def _storable(value: str) -> str:
    # PostgreSQL cannot store NUL, and a lone surrogate is not valid UTF-8 on either
    # database: refuse both instead of failing at write time.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


STORABLE_PATTERN = r"^[^\x00]*$"
"""What `_storable` accepts, for the API document: no NUL (a lone surrogate, also refused,
cannot be written in a JSON Schema pattern)."""


class _Storable:
    """`_storable` as a validator, and its rule in the JSON schema (as a pattern)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return AfterValidator(_storable).__get_pydantic_core_schema__(source, handler)

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", STORABLE_PATTERN)
        return json_schema


Storable = _Storable()


def _drop_null(schema: dict[str, Any]) -> None:
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    if schema.get("default", ...) is None:
        del schema["default"]


NotNull = Field(json_schema_extra=_drop_null)
"""An optional field that may be left out but not sent as null (`x: Annotated[T | None,
NotNull] = None`): the API document then says so; the service refuses the null."""

Text = Annotated[str, StringConstraints(max_length=5000), Storable]
"""Free text such as a comment or a question."""

Label = Annotated[str, StringConstraints(min_length=1, max_length=100), Storable]
"""A short grouping value: segment, touchpoint."""

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), Storable
]


def _one_line(value: str) -> str:
    # A name is pasted into plain-text emails and headers: a line break or another control
    # character there would let it add lines of its own (a second "link", a fake footer).
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise ValueError("must be one line, without control characters or line breaks")
    return value


ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
"""What `_one_line` and `_storable` accept together, for the API document (a lone
surrogate, also refused, cannot be written in a pattern fuzzers and validators take)."""


class _OneLine:
    """`_one_line` as a validator, and its rule in the JSON schema (as a pattern)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return AfterValidator(_one_line).__get_pydantic_core_schema__(source, handler)

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        json_schema = handler(schema)
        json_schema["pattern"] = ONE_LINE_PATTERN
        return json_schema


PersonName = Annotated[Name, _OneLine()]
"""A person's name as an email greets them: one line of text."""

Locale = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$", max_length=35),
]

AttributeKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]

Limit = Annotated[int, Field(ge=1, le=1000)]

_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$"
)


def _iso_datetime(value: Any) -> Any:
    # Pydantic's lax datetime parsing also takes Unix times (0, "1700000000"): a number
    # sent by mistake would be stored as a date in 1970. Only ISO 8601 text is a time here.
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 date-time with a UTC offset (2024-05-01T12:00:00Z)")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_datetime), Field(strict=False)]
"""A time in a request body: ISO 8601 text with an offset, nothing else."""

STRICT = ConfigDict(extra="forbid", strict=True)
"""Request bodies: unknown fields are refused and nothing is coerced ("9" is not 9)."""


def _takes_many(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_many(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return any(_takes_many(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset)


def _query_fields(dependant: Any) -> Iterator[Any]:
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _query_fields(sub)


async def single_valued_query(request: Request) -> None:
    """A parameter that takes one value, sent several times (`?customer_id=a&customer_id=b`),
    is refused instead of silently using the last value."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    items = request.query_params.multi_items()
    if dependant is None or len(items) == len(request.query_params):  # no name repeated
        return
    counts = Counter(name for name, _ in items)
    repeated = sorted(
        {
            field.alias
            for field in _query_fields(dependant)
            if counts[field.alias] > 1 and not _takes_many(field.field_info.annotation)
        }
    )
    if repeated:
        raise InvalidInput(
            f"Send {', '.join(repeated)} once.",
            errors=[
                {"parameter": name, "in": "query", "detail": "given more than once"}
                for name in repeated
            ],
        )
