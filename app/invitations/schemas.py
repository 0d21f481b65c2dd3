import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.responses.schemas import Attributes, Channel, Comment
from app.validation import STRICT, CustomerId, Label, Locale, PersonName, Storable

Status = Literal["created", "throttled", "unsubscribed", "survey_inactive"]
Email = Annotated[
    str,
    StringConstraints(max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"),
    Storable,
]
DAY = 86_400


class Recipient(BaseModel):
    model_config = STRICT

    customer_id: CustomerId = Field(description="Your own id for the customer.")
    email: Email | None = None
    name: PersonName | None = Field(
        None, description="Greets the customer in the email block: one line, no control characters."
    )
    segment: Label | None = None
    touchpoint: Label | None = Field(None, description="Defaults to the survey's touchpoint.")
    channel: Channel = "email"
    locale: Locale | None = Field(None, description="Language of links, pages and email block.")
    attributes: Attributes | None = None
    expires_in: int = Field(
        30 * DAY, ge=60, le=365 * DAY, description="Seconds until the links stop working."
    )


class InvitationBatch(BaseModel):
    model_config = STRICT

    recipients: list[Recipient] = Field(
        min_length=1, max_length=1000, description="One to 1,000 recipients, one transaction."
    )


class ScoreUrl(BaseModel):
    score: int
    url: str


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    survey_id: uuid.UUID
    status: Status
    customer_id: str | None = Field(description="Null once the customer was erased.")
    email: str | None
    name: str | None
    segment: str | None
    touchpoint: str | None
    channel: Channel
    locale: str | None
    attributes: dict | None
    created_at: datetime
    expires_at: datetime | None = Field(description="Null for invitations not created.")
    answered: bool
    answered_at: datetime | None = Field(description="When the answer was first submitted.")
    response_id: uuid.UUID | None


class CreatedInvitation(InvitationOut):
    """An invitation as its creation returns it: the only time its links are shown."""

    survey_url: str | None = Field(description="The survey page, no score chosen.")
    score_urls: list[ScoreUrl] | None = Field(description="One link per scale value.")
    unsubscribe_url: str | None
    email_html: str | None = Field(description="A ready-to-paste HTML email block.")
    email_text: str | None = Field(description="The plain-text equivalent.")


class InvitationBatchOut(BaseModel):
    data: list[CreatedInvitation] = Field(description="One result per recipient, in order.")


class InvitationPage(BaseModel):
    data: list[InvitationOut]
    next_cursor: str | None
    has_more: bool


class UnsubscribeIn(BaseModel):
    model_config = STRICT

    customer_id: CustomerId


class UnsubscribeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    source: Literal["link", "api"] = Field(description="The customer's link, or this API.")
    created_at: datetime


class UnsubscribePage(BaseModel):
    data: list[UnsubscribeOut]
    next_cursor: str | None
    has_more: bool


class PublicAnswer(BaseModel):
    model_config = STRICT

    token: Annotated[str, StringConstraints(max_length=100)]
    score: int = Field(description="A whole number inside the survey's scale.")
    comment: Comment | None = Field(None, description="Left out: the stored comment stays.")


class PublicAnswerOut(BaseModel):
    status: Literal["created", "updated"]
    score: int
    comment: str | None
    editable_until: datetime
