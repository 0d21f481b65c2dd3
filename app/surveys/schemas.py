import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.apidoc.declare import cases
from app.validation import STRICT, Label, Locale, Name, NotNull, Text

Kind = Literal["nps", "csat", "ces"]
Status = Literal["active", "paused", "archived"]


class LocalizedTexts(BaseModel):
    """What respondents read in one locale; anything left out falls back to the default."""

    model_config = STRICT

    question: Text | None = None
    follow_up_question: Text | None = None
    low_label: Text | None = Field(None, description='Label of the lowest score ("Not likely").')
    high_label: Text | None = Field(None, description='Label of the highest score ("Very likely").')


def _scales(schema: dict[str, Any]) -> None:
    """The scales of each kind (`SCALES`), for the API document."""
    from app.surveys.service import SCALES  # the service's own table (it imports this module)

    every = sorted({s for scales in SCALES.values() for s in scales})
    schema["properties"]["scale_max"]["anyOf"][0]["enum"] = every
    rules = {k: {"properties": {"scale_max": {"enum": [*s, None]}}} for k, s in SCALES.items()}
    cases(schema, "kind", rules)


def _update_scales(schema: dict[str, Any]) -> None:
    from app.surveys.service import SCALES

    every = sorted({s for scales in SCALES.values() for s in scales})
    schema["properties"]["scale_max"]["anyOf"][0]["enum"] = every


class SurveyCreate(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra=_scales)

    name: Name
    kind: Kind
    scale_max: int | None = Field(
        None,
        description="Highest score. NPS: 10 only. CSAT: 3, 5 (default), 7 or 10. "
        "CES: 5 or 7 (default). The lowest score is 0 for NPS and 1 otherwise.",
    )
    question: Text | None = Field(None, description="Defaults to the standard question.")
    follow_up_question: Text | None = None
    default_touchpoint: Label | None = Field(
        None, description="Touchpoint of answers that do not name one."
    )
    texts: dict[Locale, LocalizedTexts] = Field(
        default_factory=dict, description="Per-locale texts, keyed by locale (`de`, `pt-BR`)."
    )
    status: Literal["active", "paused"] = "active"
    invitation_throttle_days: int | None = Field(
        None,
        ge=0,
        le=3650,
        description="No new invitation to this survey for a customer invited within this "
        "many days (0: never throttle). Null: the service's default.",
    )


class SurveyUpdate(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra=_update_scales)

    name: Annotated[Name | None, NotNull] = None
    kind: Annotated[Kind | None, NotNull] = None
    scale_max: int | None = None
    question: Text | None = None
    follow_up_question: Text | None = None
    default_touchpoint: Label | None = None
    texts: dict[Locale, LocalizedTexts] | None = None
    status: Annotated[Status | None, NotNull] = None
    invitation_throttle_days: int | None = Field(
        None,
        ge=0,
        le=3650,
        description="No new invitation to this survey for a customer invited within this "
        "many days (0: never throttle). Null: the service's default.",
    )


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: Kind
    scale_min: int
    scale_max: int
    question: str
    follow_up_question: str | None
    default_touchpoint: str | None
    texts: dict[str, LocalizedTexts]
    status: Status
    invitation_throttle_days: int | None
    created_at: datetime
    updated_at: datetime


class SurveyPage(BaseModel):
    data: list[SurveyOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")
    has_more: bool
