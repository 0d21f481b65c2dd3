"""Hosted pages behind invitation links: survey, thank you, expired or unknown, already
answered, unsubscribe. HTML only, from Jinja2 templates; see the README for the rules."""

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter, ValidationError
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.auth.dependencies import SessionDep, public
from app.errors import ProblemError
from app.invitations import answers, autosubmit, service
from app.invitations.answers import AnswerLocked, LinkExpired, LinkNotFound
from app.pages.i18n import language, survey_texts, ui
from app.pages.templating import PAGE_HEADERS, page
from app.responses.schemas import Comment

router = APIRouter(
    include_in_schema=False, dependencies=[public("link pages, opened by invitation token")]
)
assets = StaticFiles(directory=Path(__file__).resolve().parent / "static")

_SCORE = re.compile(r"-?\d{1,3}")
_comment = TypeAdapter(Comment)

OptionalField = Annotated[str | None, Form()]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and _SCORE.fullmatch(value) else None


def _date(when: datetime) -> str:
    return when.date().isoformat()


def _problem_page(error: ProblemError, locale: str | None = None) -> HTMLResponse:
    """A friendly page for a link that cannot take an answer; it tells nothing else."""
    t = ui(locale)
    if isinstance(error, LinkNotFound):
        key, status = "unknown", 404
    elif isinstance(error, LinkExpired):
        key, status = "expired", 410
    elif isinstance(error, AnswerLocked):
        key, status = "answered", 409
    else:  # the survey was paused or archived
        key, status = "closed", 410
    return page(
        "message.html", status, lang=language(locale), title=t[f"{key}_title"], message=t[key]
    )


def _survey_page(
    link: answers.Link,
    token: str,
    *,
    selected: int | None,
    comment: str | None,
    open_id: object,
    auto: bool,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    texts = survey_texts(link.survey, link.invitation.locale)
    return page(
        "survey.html",
        status,
        lang=texts.lang,
        title=texts.question,
        t=ui(link.invitation.locale),
        texts=texts,
        token=token,
        scores=list(range(link.survey.scale_min, link.survey.scale_max + 1)),
        selected=selected,
        comment=comment,
        open_id=open_id,
        auto=auto,
        error=error,
    )


@router.api_route("/s/{token}", methods=["GET", "HEAD"])
async def survey_page(
    token: str, request: Request, session: SessionDep, score: str | None = None
) -> Response:
    """Shows the survey with the clicked score chosen. Never records an answer."""
    try:
        link = await answers.open_link(session, token)
    except ProblemError as error:
        return _problem_page(error)
    chosen = _int(score)
    if chosen is not None and not link.survey.scale_min <= chosen <= link.survey.scale_max:
        chosen = None
    open_id = await answers.record_open(session, link, chosen)
    if request.method == "HEAD":
        return Response(headers=PAGE_HEADERS, media_type="text/html")
    previous = link.response
    return _survey_page(
        link,
        token,
        selected=chosen if chosen is not None else (previous.score if previous else None),
        comment=previous.comment if previous else None,
        open_id=open_id,
        auto=open_id is not None and chosen is not None,
    )


@router.post("/s/{token}")
async def submit_answer(
    token: str,
    session: SessionDep,
    score: OptionalField = None,
    comment: OptionalField = None,
    open: OptionalField = None,
) -> Response:
    """The respondent's own submit (also without JavaScript): records or changes the answer."""
    try:
        link = await answers.open_link(session, token)
    except ProblemError as error:
        return _problem_page(error)
    t = ui(link.invitation.locale)
    chosen = _int(score)
    text = (comment or "").strip() or None
    error = None
    if chosen is None or not link.survey.scale_min <= chosen <= link.survey.scale_max:
        error = t["choose"]
    elif text is not None:
        try:
            text = _comment.validate_python(text)
        except ValidationError as exc:
            error = exc.errors()[0]["msg"]
    if error is not None:
        return _survey_page(
            link,
            token,
            selected=chosen,
            comment=text,
            open_id=open,
            auto=False,
            error=error,
            status=422,
        )
    try:
        await answers.answer(session, token, chosen, comment=text, set_comment=True)
    except ProblemError as problem:
        return _problem_page(problem, link.invitation.locale)
    return RedirectResponse(f"/s/{token}/thanks", status_code=303, headers=PAGE_HEADERS)


@router.post("/s/{token}/presence")
async def auto_submit(
    token: str,
    user_agent: Annotated[str | None, Header()] = None,
    score: OptionalField = None,
    open: OptionalField = None,
    trigger: OptionalField = None,
) -> Response:
    """The survey page's automatic submit of the chosen score (see survey.js)."""
    return await record_presence(token, score, open, trigger, user_agent)


async def record_presence(
    token: str, score: str | None, open: str | None, trigger: str | None, user_agent: str | None
) -> Response:
    """The automatic submit's answer; also called by the fast path (app/pages/fastpath.py)."""
    chosen = _int(score)
    if chosen is None:
        return JSONResponse({"recorded": False, "reason": "invalid-score"}, status_code=422)
    refusal = await autosubmit.submit(
        token, open or "", chosen, trigger=trigger or "visible", user_agent=user_agent
    )
    return JSONResponse(
        {"recorded": refusal is None, "reason": refusal}, headers={"Cache-Control": "no-store"}
    )


@router.api_route("/s/{token}/thanks", methods=["GET", "HEAD"])
async def thanks_page(token: str, session: SessionDep) -> Response:
    found = await answers.find(session, token)
    if found is None:
        return _problem_page(LinkNotFound())
    invitation, response = found
    t = ui(invitation.locale)
    editable = response is not None and answers.is_editable(response)
    return page(
        "thanks.html",
        lang=language(invitation.locale),
        title=t["thanks_title"],
        t=t,
        token=token,
        editable_until=_date(answers.editable_until(response)) if editable else None,
    )


@router.api_route("/u/{token}", methods=["GET", "HEAD"])
async def unsubscribe_page(token: str, session: SessionDep) -> Response:
    """Asks for confirmation only: mail scanners fetch this link too."""
    found = await answers.find(session, token)
    if found is None:
        return _problem_page(LinkNotFound())
    locale = found[0].locale
    t = ui(locale)
    return page(
        "unsubscribe.html", lang=language(locale), title=t["unsubscribe_title"], t=t, token=token
    )


@router.post("/u/{token}")
async def unsubscribe(token: str, session: SessionDep) -> Response:
    found = await answers.find(session, token)
    if found is None or found[0].customer_id is None:
        return _problem_page(LinkNotFound())
    invitation = found[0]
    await service.unsubscribe(session, invitation.project_id, invitation.customer_id, "link")
    t = ui(invitation.locale)
    return page(
        "message.html",
        lang=language(invitation.locale),
        title=t["unsubscribed_title"],
        message=t["unsubscribed"],
    )
