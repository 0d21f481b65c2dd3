import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.surveys.schemas import Kind
from app.validation import STRICT, Label, NotNull, Storable
from app.webhooks.events import EVENT_TYPES

EventType = Literal[
    "response.created",
    "response.updated",
    "response.deleted",
    "invitation.created",
    "unsubscribe.created",
    "outcome.created",
]
assert set(EventType.__args__) == set(EVENT_TYPES)  # type: ignore[attr-defined]

URL_PATTERN = (
    r"^https?://([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}"
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    r"([/?][^\s#\x00]*)?$"
)
"""Webhook URLs as the API document describes them: http(s) to a host name, no
credentials or fragment (the service also takes public IP literals)."""
Url = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    Storable,
    Field(json_schema_extra={"pattern": URL_PATTERN}),
]
Description = Annotated[str, StringConstraints(max_length=500), Storable]
SurveyId = Annotated[uuid.UUID, Field(strict=False)]
Score = Annotated[int, Field(ge=0, le=10)]
EndpointStatus = Literal["active", "paused"]


class WebhookFilters(BaseModel):
    """Every filter you set must match; events without a score never match a score range."""

    model_config = STRICT

    survey_ids: list[SurveyId] | None = Field(None, max_length=100)
    kinds: list[Kind] | None = Field(None, max_length=3)
    segments: list[Label] | None = Field(None, max_length=100)
    touchpoints: list[Label] | None = Field(None, max_length=100)
    score_min: Score | None = Field(None, description="Lowest score, inclusive.")
    score_max: Score | None = Field(None, description="Highest score, inclusive (6: detractors).")


class WebhookCreate(BaseModel):
    model_config = STRICT

    url: Url = Field(description="http(s) URL that receives POSTed events.")
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    description: Description | None = None
    status: EndpointStatus = "active"


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra={"minProperties": 1})

    url: Annotated[Url | None, NotNull] = None
    events: Annotated[list[EventType] | None, NotNull] = Field(
        None, min_length=1, max_length=len(EVENT_TYPES)
    )
    filters: Annotated[WebhookFilters | None, NotNull] = None
    description: Description | None = None
    status: Annotated[EndpointStatus | None, NotNull] = Field(
        None, description="active resumes a paused or disabled endpoint; paused holds it."
    )


class SecretRotation(BaseModel):
    model_config = STRICT

    previous_valid_hours: int = Field(
        24, ge=0, le=168, description="How long the old secret keeps signing too (0: stop now)."
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    events: list[str]
    filters: dict[str, Any]
    status: Literal["active", "paused", "disabled"]
    disabled_reason: str | None = Field(description="Why the endpoint was disabled, if it was.")
    failing_since: datetime | None = Field(description="Set while every delivery fails.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until when the secret before the last rotation also signs."
    )
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_…). Shown only now; store it.")


class WebhookPage(BaseModel):
    data: list[WebhookOut]
    next_cursor: str | None
    has_more: bool


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int | None
    error: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: str = Field(description="The `webhook-id` header of every attempt.")
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None
    has_more: bool
