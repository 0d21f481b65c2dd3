import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.validation import STRICT, Name


class ProjectCreate(BaseModel):
    model_config = STRICT

    name: Name


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class ProjectList(BaseModel):
    data: list[ProjectOut]


class KeyCreate(BaseModel):
    model_config = STRICT

    kind: Literal["secret", "read", "publishable"] = Field(
        "secret",
        description="secret: servers, with scopes. read: BI tools, read scopes only "
        "(default scores:read and responses:read). publishable: browsers, submit answers "
        "from allowed_origins only.",
    )
    name: Name | None = Field(None, description="A note to recognise the key by.")
    scopes: list[str] = Field(default_factory=list, max_length=20)
    allowed_origins: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Publishable keys: the origins (https://shop.example) of the pages that "
        "may use the key.",
    )
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="The key stops working this many days from now."
    )


class KeyOut(BaseModel):
    """A key as listed: never its secret, only the first characters to recognise it by."""

    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    name: str | None
    prefix: str
    scopes: list[str]
    allowed_origins: list[str] | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    secret: str = Field(description="Shown this once; only a hash is stored.")


class KeyList(BaseModel):
    data: list[KeyOut]
