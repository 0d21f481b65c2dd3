import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.validation import (
    STRICT,
    AttributeKey,
    CustomerId,
    Label,
    Locale,
    NotNull,
    Storable,
    Text,
    Timestamp,
)

Channel = Literal["email", "web", "in_app", "sms", "api", "other"]
AttributeValue = (
    Annotated[str, StringConstraints(max_length=500), Storable]
    | Annotated[bool, Field(strict=True)]
    | Annotated[int, Field(strict=True)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False)]
)
Attributes = Annotated[
    dict[AttributeKey, AttributeValue],
    Field(
        max_length=50,
        description="Flat object of at most 50 string, number or boolean values; keys are "
        "identifiers (letters, digits, underscore) so they can be grouped by.",
    ),
]
Comment = Annotated[Text, Field(max_length=5000)]


class ResponseCreate(BaseModel):
    model_config = STRICT

    score: int = Field(description="A whole number inside the survey's scale.")
    comment: Comment | None = None
    customer_id: CustomerId | None = Field(None, description="Your own id for the respondent.")
    segment: Label | None = None
    touchpoint: Label | None = Field(None, description="Defaults to the survey's touchpoint.")
    channel: Channel = "api"
    locale: Locale | None = None
    attributes: Attributes | None = None
    submitted_at: Timestamp | None = Field(
        None,
        description="When the answer was given (imports); with an offset; never in the future.",
    )


class ResponseUpdate(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra={"minProperties": 1})

    score: Annotated[int | None, NotNull] = None
    comment: Comment | None = None


class ErasureRequest(BaseModel):
    model_config = STRICT

    customer_id: CustomerId


class ErasureResult(BaseModel):
    customer_id: str
    erased: int = Field(description="How many responses were erased.")


class ResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    survey_id: uuid.UUID
    score: int | None = Field(description="Null only for a deleted response.")
    comment: str | None
    customer_id: str | None
    segment: str | None
    touchpoint: str | None
    channel: Channel | None
    locale: str | None
    attributes: dict[str, Any] | None
    submitted_at: datetime
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(description="True for a deleted or erased response (a tombstone).")
    themes: list[str] = Field(
        default_factory=list,
        description="Names of the project's themes its comment mentions (see /v1/themes).",
    )


class ResponsePage(BaseModel):
    data: list[ResponseOut]
    next_cursor: str | None = Field(
        description="Cursor after the last row of this page. Keep it to resume an "
        "incremental sync later, even when has_more is false."
    )
    has_more: bool
