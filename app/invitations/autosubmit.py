"""The hosted page's automatic submit (`POST /s/{token}/presence`), written by group commit.

Concurrent automatic submits share one transaction (app/groupcommit.py): their invitations
are locked in one statement, then their answers, surveys (share-locked, with whether their
project has a webhook endpoint) and opens are read in one statement each. Each submit is
judged by the rules a lone one meets (`answers.open_link`, the scanner rules, the survey's
scale) and either told why it did not count or written: the new answers in one insert with
their `response.created` events. After the one commit each caller is answered.

A change of an answer already in takes the ordinary path (`answers.answer`) inside the
batch: changes are rare. A second submit for an invitation already in the batch waits for
the next batch, so it sees the first one's answer as a lone submit would.

This is the one-click hot path: per answer it costs a share of a few statements instead of a
dozen round trips and a commit of its own (BENCHMARKS.md)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import ProblemError
from app.groupcommit import GroupCommit
from app.invitations import answers, repository, scanner
from app.invitations.answers import LinkNotFound
from app.invitations.tokens import token_hash
from app.responses import ingest
from app.responses.service import check_accepting, check_score
from app.surveys import repository as surveys

NEXT_BATCH = object()
"""The outcome of a submit for an invitation that an earlier submit of the same batch
answered: nothing written, the caller submits it again."""


@dataclass(frozen=True)
class AutoSubmit:
    token: str
    digest: str
    open_id: str
    score: int
    trigger: str
    user_agent: str | None


async def submit(
    token: str, open_id: str, score: int, *, trigger: str, user_agent: str | None
) -> str | None:
    """Why the page's submit did not count, or None once its answer is committed."""
    digest = token_hash(token)
    if digest is None:
        return LinkNotFound.slug
    item = AutoSubmit(token, digest, open_id, score, trigger, user_agent)
    while (outcome := await committer.submit(item)) is NEXT_BATCH:
        pass
    return outcome


async def write(session: AsyncSession, items: list[AutoSubmit]) -> list[Any]:
    """One batch, in the caller's transaction: a refusal slug, None (recorded) or NEXT_BATCH
    for each submit."""
    invitations, responses = await repository.lock_by_tokens(
        session, {item.digest for item in items}
    )
    ids = [invitation.id for invitation in invitations.values()]
    opens = await repository.opens_of(session, ids)
    found, hooked = await surveys.lock_many(session, {i.survey_id for i in invitations.values()})
    now = utcnow()
    outcomes: list[Any] = []
    new_rows: list[tuple[dict[str, Any], Any]] = []
    seen: set[uuid.UUID] = set()
    for item in items:
        invitation = invitations.get(item.digest)
        if invitation is not None and invitation.id in seen:
            outcomes.append(NEXT_BATCH)
            continue
        try:
            survey = _open(invitation, responses, found, now)
        except ProblemError as error:
            outcomes.append(error.slug)
            continue
        assert invitation is not None
        seen.add(invitation.id)
        mine = opens.get(invitation.id, [])
        this = next((o for o in mine if str(o.id) == item.open_id), None)
        refusal = scanner.auto_submit_refusal(
            this, mine, user_agent=item.user_agent, trigger=item.trigger, now=now
        )
        if refusal is not None:
            outcomes.append(refusal)
            continue
        try:
            check_score(survey, item.score)
            if invitation.id in responses:  # a change: the ordinary path
                await answers.answer(session, item.token, item.score)
            else:
                new_rows.append(
                    (answers.new_answer_row(invitation, survey, item.score, None, now), survey)
                )
        except ProblemError as error:
            outcomes.append(error.slug)
            continue
        outcomes.append(None)
    await ingest.record(session, new_rows, hooked)
    return outcomes


committer: GroupCommit[AutoSubmit] = GroupCommit(write)


def _open(invitation: Any, responses: dict, found: dict, now: datetime) -> Any:
    """The invitation's survey, if the invitation still takes an answer: the checks of
    `answers.open_link`, in its order."""
    if invitation is None or invitation.status != "created":
        raise LinkNotFound()
    answers.check_still_open(invitation, responses.get(invitation.id), now)
    survey = found[invitation.survey_id]  # surveys are archived, never deleted
    check_accepting(survey)
    return survey
