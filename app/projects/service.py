"""Projects (tenants) and the keys of each project.

Instance admins manage every project; a project's own `admin` key manages that project's
keys. Nothing here reads survey data."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as keys
from app.auth.service import Principal
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.models import ApiKey, Project
from app.projects import repository
from app.projects.branding import Branding, https_host, on_domain
from app.projects.schemas import KeyCreate, KeyCreated, KeyOut, ProjectBranding, ProjectCreate


async def create(session: AsyncSession, body: ProjectCreate) -> Project:
    project = Project(name=body.name)
    await repository.add(session, project)
    return project


async def get(session: AsyncSession, project_id: uuid.UUID) -> Project:
    project = await repository.get(session, project_id)
    if project is None:
        raise NotFound(f"No project {project_id}.")
    return project


async def list_all(session: AsyncSession) -> list[Project]:
    return await repository.list_all(session)


async def update_branding(
    session: AsyncSession, project_id: uuid.UUID, body: ProjectBranding
) -> Project:
    """Applies the fields sent (null clears one); the logo must stay on the website's domain,
    whichever of the two changes."""
    project = await get(session, project_id)
    changes = body.model_dump(exclude_unset=True)
    website = changes.get("website", project.website)
    logo_url = changes.get("logo_url", project.logo_url)
    if logo_url is not None:
        if website is None:
            raise InvalidInput(
                "A logo needs the project's website: its host is where the logo may come from.",
                errors=[{"pointer": "#/website", "detail": "required with logo_url"}],
            )
        if not on_domain(https_host(logo_url), https_host(website)):
            raise InvalidInput(
                "The logo must be on the website's host or a subdomain of it.",
                errors=[{"pointer": "#/logo_url", "detail": "not on the website's domain"}],
            )
    for name, value in changes.items():
        setattr(project, name, value)
    await session.flush()
    return project


async def branding(session: AsyncSession, project_id: uuid.UUID) -> Branding:
    """What the link pages show for this project (nothing set: the plain pages)."""
    project = await repository.get(session, project_id)
    if project is None:
        return Branding()
    return Branding(
        display_name=project.display_name,
        logo_url=project.logo_url,
        accent_color=project.accent_color,
    )


async def create_key(session: AsyncSession, project_id: uuid.UUID, body: KeyCreate) -> KeyCreated:
    expires_at = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    key, secret = await keys.create_key(
        session,
        body.scopes,
        kind=body.kind,
        name=body.name,
        project_id=project_id,
        expires_at=expires_at,
        allowed_origins=body.allowed_origins,
    )
    return KeyCreated(**key_out(key).model_dump(), secret=secret)


async def list_keys(
    session: AsyncSession, project_id: uuid.UUID, *, include_revoked: bool, instance: bool
) -> list[KeyOut]:
    """`instance`: the caller is an instance admin, who alone sees instance admin keys
    (they live in the default project, whose own admin must not revoke them)."""
    found = await keys.list_keys(
        session, project_id, include_revoked=include_revoked, instance=instance
    )
    return [key_out(key) for key in found]


class OwnKeyRevocation(Conflict):
    slug = "own-key-revocation"
    title = "The key would revoke itself"

    def __init__(self) -> None:
        super().__init__(
            "This request is made with the key it would revoke, which would lock you out. "
            "Revoke it with another key, or send allow_self=true if that is what you want."
        )


async def revoke_key(
    session: AsyncSession,
    project_id: uuid.UUID,
    key_id: uuid.UUID,
    *,
    instance: bool,
    caller: Principal,
    allow_self: bool = False,
) -> None:
    """A key revokes itself only when asked to in so many words (`allow_self`)."""
    if (key_id, project_id) == (caller.key_id, caller.project_id) and not allow_self:
        raise OwnKeyRevocation()
    await keys.revoke_key(session, project_id, key_id, instance=instance)


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        project_id=key.project_id,
        kind=key.kind,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        allowed_origins=key.allowed_origins,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )
