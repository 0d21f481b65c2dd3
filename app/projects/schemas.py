import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.apidoc.declare import cases
from app.auth.scopes import PUBLISHABLE, READ, READ_SCOPES, SCOPES, SECRET
from app.projects.branding import https_host
from app.validation import STRICT, Name


class ProjectCreate(BaseModel):
    model_config = STRICT

    name: Name


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime
    display_name: str | None = None
    website: str | None = None
    logo_url: str | None = None
    accent_color: str | None = None


class ProjectList(BaseModel):
    data: list[ProjectOut]


ORIGIN_PATTERN = r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[1-9][0-9]{0,3})?/?$"
"""Origins as the API document describes them (the service also normalises case)."""


def _key_rules(schema: dict[str, Any]) -> None:
    """What `create_key` checks, for the API document: a secret key (the default kind)
    needs scopes, a read key takes read scopes only, a publishable key takes none and
    needs origins."""
    no_origins = {"maxItems": 0}
    cases(
        schema,
        "kind",
        {
            READ: {
                "properties": {
                    "scopes": {"items": {"enum": list(READ_SCOPES)}},
                    "allowed_origins": no_origins,
                }
            },
            PUBLISHABLE: {
                "properties": {
                    "scopes": {"maxItems": 0},
                    "allowed_origins": {"minItems": 1, "items": {"pattern": ORIGIN_PATTERN}},
                },
                "required": ["allowed_origins"],
            },
            SECRET: {
                "properties": {
                    "scopes": {"minItems": 1, "items": {"enum": list(SCOPES)}},
                    "allowed_origins": no_origins,
                },
                "required": ["scopes"],
            },
        },
    )


class KeyCreate(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra=_key_rules)

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


def _https_url(value: str) -> str:
    https_host(value)
    return value


HTTPS_URL_PATTERN = (
    r"^https://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(/[^\s\x00-\x1f\x7f"
    '"'
    r"'<>\\`]*)?$"
)
"""What `https_host` accepts, for the API document (and checked first): https, a host name
without port or credentials, a path without spaces, quotes or angle brackets."""
HttpsUrl = Annotated[
    str,
    StringConstraints(min_length=12, max_length=2000, pattern=HTTPS_URL_PATTERN),
    AfterValidator(_https_url),
]
DisplayName = Annotated[Name, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$")]
AccentColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class ProjectBranding(BaseModel):
    """What respondents see on the project's link pages. Send only what changes; null
    removes a setting."""

    model_config = STRICT

    display_name: DisplayName | None = Field(
        None, description="The name shown at the top of every link page (one line)."
    )
    website: HttpsUrl | None = Field(
        None,
        description="The project's own site (https://host). A logo may come only from its "
        "host or a subdomain of it.",
    )
    logo_url: HttpsUrl | None = Field(
        None,
        description="An https image on the website's host or a subdomain of it; link pages "
        "allow images from that one origin.",
    )
    accent_color: AccentColor | None = Field(
        None, description="#rrggbb, for the buttons and the chosen score."
    )
