import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.validation import STRICT, Name, NotNull, Storable

MAX_THEMES = 200
MAX_PHRASES = 100

Phrase = Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
Description = Annotated[str, StringConstraints(max_length=1000), Storable]


class ThemeCreate(BaseModel):
    model_config = STRICT

    name: Name
    phrases: list[Phrase] = Field(
        min_length=1,
        max_length=MAX_PHRASES,
        description=f"1 to {MAX_PHRASES} phrases in any language; each must contain a letter "
        "or digit. Matched as whole words, case- and accent-insensitively.",
    )
    description: Description | None = None


class ThemeUpdate(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra={"minProperties": 1})

    name: Annotated[Name | None, NotNull] = None
    phrases: Annotated[list[Phrase] | None, NotNull] = Field(
        None, min_length=1, max_length=MAX_PHRASES
    )
    description: Description | None = None


class Tagging(BaseModel):
    done: int = Field(description="Comments matched again since the phrases last changed.")
    total: int = Field(description="Comments to match (those of the project at the start).")
    pending: bool = Field(description="True while the history is being re-tagged.")


class ThemeOut(BaseModel):
    id: uuid.UUID
    name: str
    phrases: list[str]
    description: str | None
    created_at: datetime
    updated_at: datetime
    tagging: Tagging


class ThemeList(BaseModel):
    data: list[ThemeOut]


ThemeValue = Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
"""A theme, by id or by name, in a `theme=` filter (repeat it: mentions any of them)."""
