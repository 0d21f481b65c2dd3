"""New answers (`POST /v1/surveys/{id}/responses`), written by group commit.

Concurrent answers share one transaction (app/groupcommit.py): the surveys they answer are
read once with a share lock (their scale stays fixed until commit); each answer is checked
against its survey, and one that breaks a rule gets its own error and is not written; the
Idempotency-Keys seen for the first time are stored with their outcome; the answers are
inserted in one statement (the rollup trigger runs once for all of them) with their
`response.created` events; then one commit, after which every caller gets its answer.

This is the ingest hot path: per answer it costs a share of a few statements instead of a
dozen round trips and a commit of its own (BENCHMARKS.md)."""

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import webhooks
from app.db import utcnow
from app.errors import ProblemError
from app.groupcommit import GroupCommit
from app.idempotency import service as idempotency
from app.idempotency.service import Claim, Outcome
from app.observability import metrics
from app.responses import repository, service
from app.responses.schemas import ResponseCreate, ResponseOut
from app.surveys import repository as surveys
from app.surveys.service import SurveyNotFound
from app.themes import service as themes

SEEN_BEFORE = object()
"""The outcome of an answer whose Idempotency-Key was used before: it was not written, and
its request is answered through `idempotency.run` (replayed, or refused)."""


@dataclass(frozen=True)
class NewAnswer:
    project_id: uuid.UUID
    survey_id: uuid.UUID
    data: ResponseCreate
    claim: Claim | None = None


async def write(session: AsyncSession, answers: list[NewAnswer]) -> list[Any]:
    """One batch, in the caller's transaction: an Outcome, an error or SEEN_BEFORE each."""
    found, hooked = await surveys.lock_many(session, {answer.survey_id for answer in answers})
    now = utcnow()
    outcomes: list[Any] = []
    accepted: dict[int, tuple[dict[str, Any], Any]] = {}
    tagged: dict[int, list[uuid.UUID]] = {}
    keys: set[tuple[str, str, str]] = set()
    for index, answer in enumerate(answers):
        survey = found.get(answer.survey_id)
        try:
            if survey is None or survey.project_id != answer.project_id:
                raise SurveyNotFound(answer.survey_id)
            row = service.new_answer(answer.project_id, survey, answer.data, now)
        except ProblemError as error:
            outcomes.append(error)
            continue
        claim = answer.claim
        if claim is not None and (claim.scope, claim.route, claim.key) in keys:
            outcomes.append(SEEN_BEFORE)  # the same key twice in one batch: the first wins
            continue
        if claim is not None:
            keys.add((claim.scope, claim.route, claim.key))
        # Matched before the answer is written: its 201 (and a replay of it) names them.
        theme_ids, theme_names = await themes.match_row(session, row)
        out = ResponseOut.model_validate(service.to_out(SimpleNamespace(**row), theme_names))
        body = out.model_dump(mode="json")
        outcomes.append(Outcome(201, body, replayed=False))
        accepted[index] = (row, survey)
        tagged[index] = theme_ids

    claimed = [(answers[i].claim, outcomes[i]) for i in accepted if answers[i].claim]
    if claimed:
        first = await idempotency.store_first(session, claimed, ttl=idempotency.ttl())
        for index in list(accepted):
            claim = answers[index].claim
            if claim is not None and claim not in first:
                outcomes[index] = SEEN_BEFORE
                del accepted[index]
    await record(session, list(accepted.values()), hooked, [tagged[i] for i in accepted])
    return outcomes


async def record(
    session: AsyncSession,
    written: list[tuple[dict[str, Any], Any]],
    hooked: set[uuid.UUID],
    tags: list[list[uuid.UUID]] | None = None,
) -> None:
    """Insert new answers (rows with their surveys) in one statement, with their theme
    tags (`tags` when already matched), their `response.created` events (for projects in
    `hooked`, those with webhook endpoints) and their metrics: the last step of a group
    commit, for the API and for link answers."""
    if not written:
        return
    rows = [row for row, _survey in written]
    await repository.add_many(session, rows)
    await themes.tag_rows(session, rows, tags)
    await webhooks.emit_new_responses(
        session, [(SimpleNamespace(**row), s) for row, s in written if s.project_id in hooked]
    )
    for row, survey in written:
        metrics.response_recorded(session, survey.kind, row["channel"])


committer: GroupCommit[NewAnswer] = GroupCommit(write)


async def submit(answer: NewAnswer) -> Any:
    """The answer's Outcome once committed, or SEEN_BEFORE; raises the answer's error."""
    return await committer.submit(answer)
