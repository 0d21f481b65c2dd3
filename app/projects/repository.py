import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project


async def add(session: AsyncSession, project: Project) -> None:
    session.add(project)
    await session.flush()


async def get(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return await session.get(Project, project_id)


async def list_all(session: AsyncSession) -> list[Project]:
    return list((await session.scalars(select(Project).order_by(Project.id))).all())
