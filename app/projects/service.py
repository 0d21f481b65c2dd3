"""Projects (tenants) and the keys of each project.

Instance admins manage every project; a project's own `admin` key manages that project's
keys. Nothing here reads survey data."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as keys
from app.db import utcnow
from app.errors import NotFound
from app.models import ApiKey, Project
from app.projects import repository
from app.projects.schemas import KeyCreate, KeyCreated, KeyOut, ProjectCreate


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


async def revoke_key(
    session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID, *, instance: bool
) -> None:
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
