"""Hosted pages behind invitation links: survey, thank you, expired or unknown, already
answered, unsubscribe. HTML only, from Jinja2 templates; see the README for the rules."""

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter, ValidationError
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from app.auth.dependencies import SessionDep, public
from app.errors import ProblemError
from app.invitations import answers, autosubmit, service
from app.invitations.answers import AnswerLocked, LinkExpired, LinkNotFound
from app.pages.i18n import language, survey_texts, ui
from app.pages.templating import PAGE_HEADERS, page
from app.projects import service as projects
from app.projects.branding import Branding
from app.responses.schemas import Comment

router = APIRouter(
    include_in_schema=False, dependencies=[public("link pages, opened by invitation token")]
)
STATIC = Path(__file__).resolve().parent / "static"
assets = StaticFiles(directory=STATIC)
STATIC_PATHS = ("/favicon.ico",)
"""Files at fixed addresses browsers ask for by themselves: public, hold no data."""

_SCORE = re.compile(r"-?\d{1,3}")
_comment = TypeAdapter(Comment)

OptionalField = Annotated[str | None, Form()]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and _SCORE.fullmatch(value) else None


def _date(when: datetime) -> str:
    return when.date().isoformat()


def _problem_page(
    error: ProblemError, locale: str | None = None, brand: Branding | None = None
) -> HTMLResponse:
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
        "message.html",
        status,
        brand=brand,
        lang=language(locale),
        title=t[f"{key}_title"],
        message=t[key],
    )


async def _link_problem_page(session: SessionDep, token: str, error: ProblemError) -> HTMLResponse:
    """An expired, locked or closed link's page, in its invitation's language and with its
    project's branding; an unknown link's page names nothing."""
    if isinstance(error, LinkNotFound):
        return _problem_page(error)
    found = await answers.find(session, token)
    if found is None:
        return _problem_page(error)
    invitation = found[0]
    brand = await projects.branding(session, invitation.project_id)
    return _problem_page(error, invitation.locale, brand)


def _survey_page(
    link: answers.Link,
    token: str,
    *,
    selected: int | None,
    comment: str | None,
    open_id: object,
    auto: bool,
    brand: Branding,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    texts = survey_texts(link.survey, link.invitation.locale)
    previous = link.response if link.response and link.response.deleted_at is None else None
    return page(
        "survey.html",
        status,
        brand=brand,
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
        # reopening an answered link says so, and until when the answer may change
        answered_score=previous.score if previous else None,
        editable_until=_date(answers.editable_until(previous)) if previous else None,
    )


@router.api_route("/s/{token}", methods=["GET", "HEAD"])
async def survey_page(
    token: str, request: Request, session: SessionDep, score: str | None = None
) -> Response:
    """Shows the survey with the clicked score chosen. Never records an answer."""
    try:
        link = await answers.open_link(session, token)
    except ProblemError as error:
        return await _link_problem_page(session, token, error)
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
        brand=await projects.branding(session, link.invitation.project_id),
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
        return await _link_problem_page(session, token, error)
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
            brand=await projects.branding(session, link.invitation.project_id),
        )
    try:
        await answers.answer(session, token, chosen, comment=text, set_comment=True)
    except ProblemError as problem:
        brand = await projects.branding(session, link.invitation.project_id)
        return _problem_page(problem, link.invitation.locale, brand)
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
    brand = await projects.branding(session, invitation.project_id)
    if response is None:  # nothing to thank for: say so, and offer the survey
        return page(
            "unanswered.html",
            brand=brand,
            lang=language(invitation.locale),
            title=t["not_answered_title"],
            t=t,
            token=token,
            can_answer=invitation.status == "created",
        )
    editable = answers.is_editable(response)
    return page(
        "thanks.html",
        brand=brand,
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
        "unsubscribe.html",
        brand=await projects.branding(session, found[0].project_id),
        lang=language(locale),
        title=t["unsubscribe_title"],
        t=t,
        token=token,
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
        brand=await projects.branding(session, invitation.project_id),
        lang=language(invitation.locale),
        title=t["unsubscribed_title"],
        message=t["unsubscribed"],
    )


@router.api_route("/favicon.ico", methods=["GET", "HEAD"])
async def favicon() -> Response:
    """Browsers ask every site for it; the pages link it too."""
    return FileResponse(
        STATIC / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
