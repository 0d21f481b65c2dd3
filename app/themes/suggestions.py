"""Themes proposed from what customers write, computed here (scikit-learn, on CPU, no data
sent anywhere).

The sample is bounded: at most SENTIO_THEME_SUGGESTION_SAMPLE (default 5,000) of the most
recent comments in the range that mention no existing theme. Comments are normalised as for
matching, weighted by TF-IDF over words and word pairs (English, Spanish, German and French
function words left out), and factored into topics by NMF (fixed initialisation: the same
comments always give the same suggestions). Each topic becomes phrases that really occur in
the comments, chosen only when most comments they match belong to that topic; a suggestion
covers exactly the comments its phrases match, so `POST /v1/themes` with them tags those
same comments. Suggestions are ranked by the comments they cover."""

import math
import uuid
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import anyio
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.themes import impact, repository
from app.themes.impact import GroupScore
from app.themes.matching import normalise, phrase_pattern

MAX_PHRASES = 6
EXAMPLES = 5
MIN_PRECISION = 0.7
"""A phrase is kept when at least this part of the comments it matches are its topic's."""


@dataclass
class SuggestionParams:
    survey_ids: list[uuid.UUID]
    start: str | None = None
    end: str | None = None
    tz: str = "UTC"
    limit: int = 10
    sample: int | None = None  # default SENTIO_THEME_SUGGESTION_SAMPLE


@cache
def stop_words() -> frozenset[str]:
    """sklearn's English list and the package's Spanish, German and French ones,
    normalised as comments are."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = {normalise(w) for w in ENGLISH_STOP_WORDS}
    for language in ("es", "de", "fr"):
        text = files("app.themes.stopwords").joinpath(f"{language}.txt").read_text("utf-8")
        for line in text.splitlines():
            if not line.startswith("#"):
                words.update(normalise(w) for w in line.split())
    return frozenset(words)


@dataclass
class Topic:
    label: str
    phrases: list[str]
    covered: list[int]  # indexes into the sample
    weights: list[float]  # the topic's weight of each covered comment


def find_topics(texts: list[str], limit: int) -> list[Topic]:
    """Topics of these comments, largest first, at most `limit` (pure, deterministic)."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    docs = [normalise(t) for t in texts]
    if len(docs) < 20:
        return []
    vectorizer = TfidfVectorizer(
        lowercase=False,
        token_pattern=r"[^\W\d_][^\W_]+",  # noqa: S106 - words of two or more letters or digits
        stop_words=sorted(stop_words()),
        ngram_range=(1, 2),
        min_df=max(3, math.ceil(0.002 * len(docs))),
        max_df=0.3,
        sublinear_tf=True,
        max_features=20_000,
        dtype="float32",
    )
    try:
        x = vectorizer.fit_transform(docs)
    except ValueError:  # no term left (all noise, or all stop words)
        return []
    terms = vectorizer.get_feature_names_out()
    components = min(max(2 * limit, 10), x.shape[1], len(docs) // 10)
    if components < 1:
        return []
    with threadpool_limits(1):  # one core of the machine, and the same sums every time
        model = NMF(n_components=components, init="nndsvda", random_state=0, max_iter=400)
        w = model.fit_transform(x)
    h = model.components_
    owner = w.argmax(axis=1)
    owned = w.max(axis=1) > 0
    present = x.tocsc()
    topics = []
    for c in range(components):
        members = {i for i in range(len(docs)) if owned[i] and owner[i] == c}
        if len(members) < 3:
            continue
        phrases, covered = _phrases(docs, terms, present, h[c], members)
        if not phrases:
            continue
        ordered = sorted(covered, key=lambda i: (-float(w[i, c]), i))
        topics.append(Topic(phrases[0], phrases, ordered, [float(w[i, c]) for i in ordered]))
    topics.sort(key=lambda t: (-len(t.covered), t.label))
    kept: list[Topic] = []
    for topic in topics:  # a topic mostly covered by a larger one adds nothing
        mine = set(topic.covered)
        if any(len(mine & set(k.covered)) > len(mine) / 2 for k in kept):
            continue
        kept.append(topic)
        if len(kept) == limit:
            break
    return kept


def _phrases(docs, terms, present, weights, members: set[int]) -> tuple[list[str], set[int]]:
    """The topic's top terms that occur as phrases, each kept when mostly its topic's."""
    phrases: list[str] = []
    covered: set[int] = set()
    for t in weights.argsort()[::-1][:20]:
        if weights[t] <= 0 or len(phrases) == MAX_PHRASES:
            break
        term = str(terms[t])
        column = present.getcol(t)
        candidates = column.nonzero()[0].tolist()
        if " " in term:  # a pair of words, which stop words may have brought together
            pattern = phrase_pattern(term)
            matched = {i for i in candidates if pattern.search(docs[i])}
        else:
            matched = set(candidates)  # a word token is a whole-word match
        if len(matched) < 3 or len(matched & members) < MIN_PRECISION * len(matched):
            continue
        new = matched - covered
        if covered and len(new) < max(2, 0.03 * len(covered)):
            continue
        phrases.append(term)
        covered |= matched
    return phrases, covered


async def suggest(session: AsyncSession, project_id: uuid.UUID, p: SuggestionParams) -> dict:
    """Up to `limit` suggestions from the recent unmatched comments of the surveys: each
    with `label`, `phrases`, `comments` (how many sampled comments its phrases match),
    `share` (of the sample), `example_response_ids`, and the score gap those comments would
    show against the rest of the sample (`score_mentions`, `score_others`, `gap`, `z`, `p`,
    `significant`, `cost`, as in the impact report)."""
    scope = await impact.scope_of(session, project_id, p.survey_ids, p)
    size = p.sample or get_settings().theme_suggestion_sample
    rows = await repository.unmatched_sample(
        session, project_id, p.survey_ids, scope.start, scope.end, size
    )
    topics = await anyio.to_thread.run_sync(find_topics, [r[1] for r in rows], p.limit)
    width = scope.scale_max - scope.scale_min + 1
    everyone = [0] * width
    for _id, _comment, score in rows:
        everyone[score - scope.scale_min] += 1
    suggestions = []
    for topic in topics:
        mentions = [0] * width
        for i in topic.covered:
            mentions[rows[i][2] - scope.scale_min] += 1
        others = [a - m for a, m in zip(everyone, mentions, strict=True)]
        compared = impact.compare(scope.kind, scope.scale_min, scope.scale_max, mentions, others)
        for summary in (compared["score_mentions"], compared["score_others"]):
            summary["low_sample"] = summary["n"] < 30
        suggestions.append(
            {
                "label": topic.label,
                "phrases": topic.phrases,
                "comments": len(topic.covered),
                "example_response_ids": [rows[i][0] for i in topic.covered[:EXAMPLES]],
                **{k: v for k, v in compared.items() if k not in ("mentions", "others")},
            }
        )
    return {
        "kind": scope.kind,
        "survey_ids": p.survey_ids,
        "sampled": len(rows),
        "sample_limit": size,
        "suggestions": suggestions,
    }


class Suggestion(BaseModel):
    label: str
    phrases: list[str] = Field(description="POST these to /v1/themes to create the theme.")
    comments: int = Field(description="Sampled comments the phrases match.")
    share: float | None = Field(description="Percent of the sampled comments.")
    example_response_ids: list[uuid.UUID]
    score_mentions: GroupScore
    score_others: GroupScore
    gap: float | None
    z: float | None
    p: float | None
    significant: bool
    cost: float | None


class SuggestionReport(BaseModel):
    kind: str
    survey_ids: list[uuid.UUID]
    sampled: int = Field(description="Unmatched comments read (the most recent ones).")
    sample_limit: int = Field(description="SENTIO_THEME_SUGGESTION_SAMPLE.")
    suggestions: list[Suggestion]
