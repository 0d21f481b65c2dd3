import uuid
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Invitation, InvitationOpen, Project, Response, Unsubscribe

PERSONAL = {"customer_id": None, "email": None, "name": None, "attributes": None}

_WITH_ANSWER = select(Invitation, Response.id, Response.submitted_at).outerjoin(
    Response, (Response.invitation_id == Invitation.id) & Response.deleted_at.is_(None)
)


async def lock_project(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Serialises invitation requests of one project, so two concurrent requests cannot both
    slip past the throttle (PostgreSQL; SQLite writers are serial already)."""
    await session.execute(select(Project.id).where(Project.id == project_id).with_for_update())


async def recently_invited(
    session: AsyncSession,
    project_id: uuid.UUID,
    survey_id: uuid.UUID | None,
    customer_ids: list[str],
    since: datetime,
) -> set[str]:
    query = select(Invitation.customer_id).where(
        Invitation.project_id == project_id,
        Invitation.customer_id.in_(customer_ids),
        Invitation.status == "created",
        Invitation.created_at >= since,
    )
    if survey_id is not None:
        query = query.where(Invitation.survey_id == survey_id)
    return {c for c in await session.scalars(query.distinct()) if c is not None}


async def unsubscribed(
    session: AsyncSession, project_id: uuid.UUID, customer_ids: list[str]
) -> set[str]:
    query = select(Unsubscribe.customer_id).where(
        Unsubscribe.project_id == project_id, Unsubscribe.customer_id.in_(customer_ids)
    )
    return set(await session.scalars(query))


async def add_all(session: AsyncSession, invitations: list[Invitation]) -> None:
    session.add_all(invitations)
    await session.flush()


async def get(session: AsyncSession, project_id: uuid.UUID, invitation_id: uuid.UUID) -> Row | None:
    query = _WITH_ANSWER.where(Invitation.id == invitation_id, Invitation.project_id == project_id)
    return (await session.execute(query)).first()


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    survey_id: uuid.UUID | None,
    customer_id: str | None,
    status: str | None,
    answered: bool | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Row]:
    query = _WITH_ANSWER.where(Invitation.project_id == project_id)
    if survey_id is not None:
        query = query.where(Invitation.survey_id == survey_id)
    if customer_id is not None:
        query = query.where(Invitation.customer_id == customer_id)
    if status is not None:
        query = query.where(Invitation.status == status)
    if answered is not None:
        query = query.where(Response.id.is_not(None) if answered else Response.id.is_(None))
    if after is not None:
        query = query.where(Invitation.id > after)
    return list((await session.execute(query.order_by(Invitation.id).limit(limit))).all())


async def of_customer(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> list[Row]:
    query = _WITH_ANSWER.where(
        Invitation.project_id == project_id, Invitation.customer_id == customer_id
    )
    return list((await session.execute(query.order_by(Invitation.created_at, Invitation.id))).all())


async def by_token(session: AsyncSession, digest: str, *, lock: bool = False) -> Invitation | None:
    query = select(Invitation).where(
        Invitation.token_hash == digest, Invitation.erased_at.is_(None)
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def response_of(session: AsyncSession, invitation_id: uuid.UUID) -> Response | None:
    """The invitation's response, tombstones included (a deleted answer is not replaced)."""
    return await session.scalar(select(Response).where(Response.invitation_id == invitation_id))


async def lock_by_tokens(
    session: AsyncSession, digests: set[str]
) -> tuple[dict[str, Row], dict[uuid.UUID, Row]]:
    """Invitations by token hash, locked in id order (Core rows: the group commit's read),
    and, read in the same round trip, their answers (tombstones included) by invitation id:
    when each was made and deleted."""
    query = (
        select(
            Invitation.__table__,
            Response.id.label("response_id"),
            Response.created_at.label("response_created_at"),
            Response.deleted_at.label("response_deleted_at"),
        )
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.token_hash.in_(digests), Invitation.erased_at.is_(None))
        .order_by(Invitation.id)
        .with_for_update(of=Invitation.__table__)
    )
    rows = list(await session.execute(query))
    answered = {
        row.id: SimpleNamespace(
            id=row.response_id,
            created_at=row.response_created_at,
            deleted_at=row.response_deleted_at,
        )
        for row in rows
        if row.response_id is not None
    }
    return {row.token_hash: row for row in rows}, answered


async def opens_of(
    session: AsyncSession, invitation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Row]]:
    if not invitation_ids:
        return {}
    query = select(InvitationOpen.__table__).where(InvitationOpen.invitation_id.in_(invitation_ids))
    found: dict[uuid.UUID, list[Row]] = {}
    for row in await session.execute(query):
        found.setdefault(row.invitation_id, []).append(row)
    return found


async def add_open(session: AsyncSession, invitation_open: InvitationOpen) -> None:
    session.add(invitation_open)
    await session.flush()


async def count_opens(session: AsyncSession, invitation_id: uuid.UUID) -> int:
    query = select(func.count()).where(InvitationOpen.invitation_id == invitation_id)
    return await session.scalar(query) or 0


async def opens(session: AsyncSession, invitation_id: uuid.UUID) -> list[InvitationOpen]:
    query = select(InvitationOpen).where(InvitationOpen.invitation_id == invitation_id)
    return list(await session.scalars(query))


async def erase_customer(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str, now: datetime
) -> list[str]:
    """Clears the customer's invitations; the token hashes of those that had links."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.project_id == project_id, Invitation.customer_id == customer_id)
        .values(**PERSONAL, erased_at=now)
        .returning(Invitation.token_hash)
        .execution_options(synchronize_session=False)
    )
    return [digest for digest in result.scalars() if digest is not None]


# --- unsubscribes ------------------------------------------------------------------------


async def get_unsubscribe(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> Unsubscribe | None:
    return await session.get(Unsubscribe, (project_id, customer_id))


async def add_unsubscribe(session: AsyncSession, unsubscribe: Unsubscribe) -> None:
    session.add(unsubscribe)
    await session.flush()


async def delete_unsubscribe(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> int:
    result = await session.execute(
        delete(Unsubscribe)
        .where(Unsubscribe.project_id == project_id, Unsubscribe.customer_id == customer_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def list_unsubscribes(
    session: AsyncSession, project_id: uuid.UUID, *, after: str | None, limit: int
) -> list[Unsubscribe]:
    query = select(Unsubscribe).where(Unsubscribe.project_id == project_id)
    if after is not None:
        query = query.where(Unsubscribe.customer_id > after)
    return list(await session.scalars(query.order_by(Unsubscribe.customer_id).limit(limit)))
