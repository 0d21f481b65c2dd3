"""Input types shared by every domain: text that both databases can store, labels, locales."""

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints


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


Storable = AfterValidator(_storable)

Text = Annotated[str, StringConstraints(max_length=5000), Storable]
"""Free text such as a comment or a question."""

Label = Annotated[str, StringConstraints(min_length=1, max_length=100), Storable]
"""A short grouping value: segment, touchpoint."""

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), Storable
]

Locale = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$", max_length=35),
]

AttributeKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]

Limit = Annotated[int, Field(ge=1, le=1000)]

STRICT = ConfigDict(extra="forbid", strict=True)
"""Request bodies: unknown fields are refused and nothing is coerced ("9" is not 9)."""
