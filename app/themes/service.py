"""Comment themes: their rules, the tags written with every comment, and the reports.

Public functions other domains call:
- `matcher(session, project_id)`: the project's compiled phrases (cached per worker).
- `tag_rows(session, rows, tags=None)`: tags of new answers (rows as inserted).
- `tag_response(session, response)` / `retag_response(...)` / `untag(...)`: one response
  written, its comment edited, or erased.
- `theme_names(session, response_ids)`: what `GET /v1/responses` and the export show.
- `impact_report(session, project_id, params)`: per theme, what it costs the score.
- `suggest(session, project_id, params)`: new themes proposed from unmatched comments.
"""

import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Theme
from app.themes import repository
from app.themes.matching import Matcher, phrase_words
from app.themes.schemas import MAX_THEMES, ThemeCreate, ThemeUpdate


class ThemeNotFound(NotFound):
    slug = "theme-not-found"
    title = "Theme not found"

    def __init__(self, theme_id: uuid.UUID) -> None:
        super().__init__(f"There is no theme {theme_id} in this project.")


# --- the compiled phrases of each project, per worker ---------------------------------

_matchers: dict[uuid.UUID, tuple[float, Matcher]] = {}


async def matcher(session: AsyncSession, project_id: uuid.UUID) -> Matcher:
    """The project's themes compiled for matching. Kept for SENTIO_THEME_CACHE_SECONDS;
    a change on this worker drops it at once, one on another worker within that time (the
    background re-tag's final pass covers what was written meanwhile)."""
    now = time.monotonic()
    cached = _matchers.get(project_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    built = Matcher.build(await repository.phrases_of(session, project_id))
    ttl = get_settings().theme_cache_seconds
    if ttl > 0:
        _matchers[project_id] = (now + ttl, built)
    return built


def forget(project_id: uuid.UUID) -> None:
    _matchers.pop(project_id, None)


# --- tags written with each comment ------------------------------------------------------


async def tags_for(session: AsyncSession, rows: list[dict[str, Any]]) -> list[list[uuid.UUID]]:
    """The themes each new answer's comment mentions (ids in name order), one list a row."""
    by_project: dict[uuid.UUID, Matcher] = {}
    found = []
    for row in rows:
        if not row.get("comment"):
            found.append([])
            continue
        project_id = row["project_id"]
        compiled = by_project.get(project_id)
        if compiled is None:
            compiled = by_project[project_id] = await matcher(session, project_id)
        found.append(compiled.match(row["comment"]))
    return found


async def match_row(
    session: AsyncSession, row: dict[str, Any]
) -> tuple[list[uuid.UUID], list[str]]:
    """The ids and names of the themes a new answer's comment mentions."""
    if not row.get("comment"):
        return [], []
    compiled = await matcher(session, row["project_id"])
    found = compiled.match(row["comment"])
    return found, compiled.theme_names(found)


async def tag_rows(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    tags: list[list[uuid.UUID]] | None = None,
) -> None:
    """Store the tags of new answers just inserted (`tags` when already matched)."""
    if tags is None:
        tags = await tags_for(session, rows)
    pairs = [(row["id"], t) for row, found in zip(rows, tags, strict=True) for t in found]
    await repository.add_tags(session, pairs)


async def tag_response(session: AsyncSession, response: Any) -> list[str]:
    """Tag one response just inserted; returns the names of its themes."""
    compiled = await matcher(session, response.project_id)
    found = compiled.match(response.comment) if response.score is not None else []
    await repository.add_tags(session, [(response.id, t) for t in found])
    return compiled.theme_names(found)


async def retag_response(session: AsyncSession, response: Any) -> list[str]:
    """Tag one response again after its comment changed; returns its themes' names."""
    await repository.remove_tags(session, [response.id])
    return await tag_response(session, response)


async def untag(session: AsyncSession, response_ids: list[uuid.UUID]) -> None:
    """Remove every tag of these responses (an erasure removes them with the comment)."""
    await repository.remove_tags(session, response_ids)


async def theme_names(
    session: AsyncSession, response_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The names of each response's themes, in byte order of the names."""
    return await repository.names_by_response(session, response_ids)


# --- themes -----------------------------------------------------------------------------


def _check_phrases(phrases: list[str]) -> list[str]:
    cleaned = [p.strip() for p in phrases]
    bad = [
        {"pointer": f"#/phrases/{i}", "detail": "must contain a letter or a digit"}
        for i, phrase in enumerate(cleaned)
        if not phrase_words(phrase)
    ]
    if bad:
        raise InvalidInput(
            "Every phrase needs at least one letter or digit: a phrase of only spaces, "
            "punctuation or symbols can never be a whole word.",
            errors=bad,
        )
    return list(dict.fromkeys(cleaned))  # the same phrase twice is one phrase


async def _check_name(session: AsyncSession, project_id: uuid.UUID, name: str, own=None):
    existing = await repository.by_name(session, project_id, name)
    if existing is not None and existing.id != own:
        raise Conflict(
            f"This project already has a theme named {name!r}.",
            slug="theme-exists",
            title="Theme name taken",
        )


def _restart_tagging(theme: Theme) -> None:
    theme.phrases_changed_at = utcnow()
    theme.tagging_pending = True
    theme.tagging_done = 0
    theme.tagging_total = 0
    theme.tagging_after_at = None
    theme.tagging_after_id = None
    theme.tagging_final_pass = False


async def create(session: AsyncSession, project_id: uuid.UUID, data: ThemeCreate) -> Theme:
    """A new theme; its history is tagged in the background (`tagging` shows progress)."""
    phrases = _check_phrases(data.phrases)
    if await repository.count(session, project_id) >= MAX_THEMES:
        raise Conflict(
            f"A project has at most {MAX_THEMES} themes; delete one first.",
            slug="too-many-themes",
            title="Too many themes",
        )
    await _check_name(session, project_id, data.name)
    now = utcnow()
    theme = Theme(
        project_id=project_id,
        name=data.name,
        phrases=phrases,
        description=data.description,
        created_at=now,
        updated_at=now,
    )
    _restart_tagging(theme)
    await repository.add(session, theme)
    forget(project_id)
    return theme


async def list_themes(session: AsyncSession, project_id: uuid.UUID) -> list[Theme]:
    return await repository.list_all(session, project_id)


async def get(session: AsyncSession, project_id: uuid.UUID, theme_id: uuid.UUID) -> Theme:
    theme = await repository.get(session, project_id, theme_id)
    if theme is None:
        raise ThemeNotFound(theme_id)
    return theme


async def update(
    session: AsyncSession, project_id: uuid.UUID, theme_id: uuid.UUID, data: ThemeUpdate
) -> Theme:
    """Rename, describe or change the phrases; new phrases re-tag the history."""
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("Send a new name, new phrases or a new description.")
    for field in ("name", "phrases"):
        if field in changes and changes[field] is None:
            raise InvalidInput(
                f"{field} cannot be null.", errors=[{"pointer": f"#/{field}", "detail": "null"}]
            )
    phrases = _check_phrases(changes["phrases"]) if "phrases" in changes else None
    theme = await repository.get(session, project_id, theme_id, lock=True)
    if theme is None:
        raise ThemeNotFound(theme_id)
    if "name" in changes:
        await _check_name(session, project_id, changes["name"], own=theme.id)
        theme.name = changes["name"]
    if "description" in changes:
        theme.description = changes["description"]
    if phrases is not None and phrases != theme.phrases:
        theme.phrases = phrases
        _restart_tagging(theme)
    theme.updated_at = utcnow()
    await session.flush()
    forget(project_id)
    return theme


async def delete(session: AsyncSession, project_id: uuid.UUID, theme_id: uuid.UUID) -> None:
    theme = await repository.get(session, project_id, theme_id, lock=True)
    if theme is None:
        raise ThemeNotFound(theme_id)
    await repository.remove(session, theme)
    forget(project_id)


def to_out(theme: Theme) -> dict[str, Any]:
    return {
        "id": theme.id,
        "name": theme.name,
        "phrases": theme.phrases,
        "description": theme.description,
        "created_at": theme.created_at,
        "updated_at": theme.updated_at,
        "tagging": {
            "done": theme.tagging_done,
            "total": max(theme.tagging_total, theme.tagging_done),
            "pending": theme.tagging_pending,
        },
    }


# --- reports ----------------------------------------------------------------------------


async def impact_report(session: AsyncSession, project_id: uuid.UUID, params) -> dict[str, Any]:
    """What each theme costs the score (METRICS.md, "Comment themes").

    `params` is an `app.themes.impact.ImpactParams`: `survey_ids` (surveys of one kind and
    scale), `start`/`end` (ISO 8601 text, `from` inclusive, `to` exclusive, dates are
    midnight in `tz`), `tz` (default UTC), `group_by` (dimensions as in /v1/scores:
    segment, touchpoint, channel, locale, survey, attributes.<key>; default none),
    `min_n` (low_sample below it, default 30).

    Over answered responses with a non-empty comment in the range, per group and theme:
    returns `{"kind", "scale_min", "scale_max", "survey_ids", "group_by", "from", "to",
    "tz", "min_n", "rows": [...]}` where each row is `{"group": {dimension: value},
    "theme": {"id", "name"}, "mentions", "others", "share", "score_mentions",
    "score_others", "gap", "z", "p", "significant", "cost"}`. `score_*` are
    `stats.summarize` results plus `low_sample` (the kind's fields: nps/nps_ci95/... for
    NPS, csat/csat_ci95/... for CSAT, ces/ces_ci95/... for CES); `share` = 100 x mentions /
    (mentions + others); `gap`, `z`, `p`, `significant` come from `stats.change` (others
    → mentions: gap = score of mentions - score of others; null when a side has no answer;
    z and p null where the test is undefined); `cost` = gap x share / 100. Rows of a group
    are ordered by cost, most negative first (null last), then by name; groups by value.
    Raises SurveyNotFound, InvalidInput (mixed scales, bad group_by, bad time)."""
    from app.themes import impact

    return await impact.report(session, project_id, params)


async def suggest(session: AsyncSession, project_id: uuid.UUID, params) -> dict[str, Any]:
    """Themes proposed from recent comments that mention no theme (an
    `app.themes.suggestions.SuggestionParams`): see `app.themes.suggestions.suggest`."""
    from app.themes import suggestions

    return await suggestions.suggest(session, project_id, params)
