"""Themes proposed from what customers write, computed here (scikit-learn, on CPU, no data
sent anywhere).

The sample is bounded: at most SENTIO_THEME_SUGGESTION_SAMPLE (default 5,000) of the most
recent comments in the range that mention no existing theme. Comments are normalised as for
matching and weighted by TF-IDF over words and word pairs, leaving out function words of
English, Spanish, German and French and words that say how rather than what about ("thanks",
"great"). Within each language (told by those function words; otherwise topics would be
languages) comments are clustered by k-means (fixed seed and one thread: the same comments
always give the same suggestions), and clusters whose centres share their main words are
joined. Each cluster becomes the phrases among its top words that really occur and match
mostly its own comments (MIN_PRECISION); a suggestion covers exactly the comments its
phrases match, in any language, so `POST /v1/themes` with them tags those same comments.
Suggestions are ranked by the comments they cover; one mostly covered by a larger one is
dropped. One-word comments ("ok", "love it") take no part in finding topics."""

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
MAX_TERMS = 5000
MAX_ITER = 300
CLUSTERS_PER_SUGGESTION = 2
MIN_PRECISION = 0.8
STRONG = 0.5
MERGE = 0.3
FREQUENT = 0.01  # of the sample: a word this frequent may be a suggestion by itself
MIN_GROUP = 30  # comments: fewer in a language are pooled with the other small ones
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
def language_words() -> dict[str, frozenset[str]]:
    """Function words of each language, normalised as comments are: sklearn's English list
    and the package's Spanish, German and French ones."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    found = {}
    for language in ("en", "es", "de", "fr"):
        text = files("app.themes.stopwords").joinpath(f"{language}.txt").read_text("utf-8")
        words = [normalise(w) for line in text.splitlines() if not line.startswith("#")
                 for w in line.split()]  # fmt: skip
        found[language] = frozenset(words)
    found["en"] |= {normalise(w) for w in ENGLISH_STOP_WORDS}
    return found


def stop_words() -> frozenset[str]:
    return frozenset().union(*language_words().values())


@dataclass
class Topic:
    label: str
    phrases: list[str]
    covered: list[int]  # indexes into the sample, the most typical first


def find_topics(texts: list[str], limit: int) -> list[Topic]:
    """Topics of these comments, largest first, at most `limit` (pure, deterministic)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [normalise(t) for t in texts]
    if len(docs) < MIN_GROUP:
        return []
    vectorizer = TfidfVectorizer(
        lowercase=False,
        token_pattern=r"[^\W\d_][^\W_]+",  # noqa: S106 - words of two or more letters or digits
        stop_words=sorted(stop_words()),
        ngram_range=(1, 2),
        min_df=max(3, math.ceil(0.002 * len(docs))),
        sublinear_tf=True,
        max_features=MAX_TERMS,
    )
    try:
        x = vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # no term left (all noise, or all stop words)
        return []
    terms = vectorizer.get_feature_names_out()
    present = x.tocsc()  # which comments each term occurs in: what its phrase would match
    analyse = vectorizer.build_analyzer()
    # Topics are found within each language (told by its function words), else the clusters are
    # the languages themselves. A comment of one word ("ok", "great", "love it") says how,
    # not what about: it takes no part in finding topics (a phrase still covers it).
    groups: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        if sum(" " not in t for t in analyse(doc)) >= 2:
            groups.setdefault(language_of(doc), []).append(i)
    small = [i for name, rows in groups.items() if len(rows) < MIN_GROUP for i in rows]
    groups = {name: rows for name, rows in groups.items() if len(rows) >= MIN_GROUP}
    if len(small) >= MIN_GROUP:
        groups["other"] = sorted(small)
    topics = []
    for name in sorted(groups):
        topics += _group_topics(docs, x, terms, present, groups[name], limit)
    # A frequent word that no cluster made a phrase of (its comments spread over several
    # clusters) is a candidate of its own: "expensive" said in many ways.
    counts = present.getnnz(axis=0)
    for t in counts.argsort(kind="stable")[::-1]:
        if counts[t] < max(MIN_GROUP, FREQUENT * len(docs)):
            break
        term = str(terms[t])
        if " " not in term:
            matched = present[:, t].nonzero()[0].tolist()
            topics.append(Topic(term, [term], matched))
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


def language_of(doc: str) -> str:
    """The language whose function words the comment uses most ("" when none)."""
    words = set(doc.split())
    counts = {name: len(words & listed) for name, listed in language_words().items()}
    best = max(counts.values())
    return "" if best == 0 else min(n for n, c in counts.items() if c == best)


def _group_topics(docs, x, terms, present, rows: list[int], limit: int) -> list[Topic]:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import normalize
    from threadpoolctl import threadpool_limits

    part = normalize(x[rows])
    clusters = min(CLUSTERS_PER_SUGGESTION * limit, len(rows) // 15)
    if clusters < 2 or part.nnz == 0:
        return []
    with threadpool_limits(1):  # one core of the machine, and the same sums every time
        model = KMeans(n_clusters=clusters, n_init=3, random_state=0, max_iter=MAX_ITER)
        labels = model.fit_predict(part)
    # Clusters that share their main words are one topic told in different ways ("the app
    # keeps crashing", "the app is full of bugs"): joined when their centres are close.
    centres = normalize(model.cluster_centers_)
    close = centres @ centres.T
    parent = list(range(clusters))

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    for a in range(clusters):
        for b in range(a + 1, clusters):
            if close[a, b] >= MERGE:
                parent[max(root(a), root(b))] = min(root(a), root(b))
    labels = [root(label) for label in labels]
    centre = {}
    for c in set(labels):
        picked = [j for j in range(len(rows)) if labels[j] == c]
        centre[c] = np.asarray(part[picked].mean(axis=0)).ravel()
    similarity = {c: part @ centre[c] for c in centre}
    group = set(rows)
    vocabulary = {str(t): i for i, t in enumerate(terms)}

    def counts_of(phrase: str) -> int:
        return int(present[:, vocabulary[phrase]].getnnz())

    topics = []
    for c in sorted(centre):
        picked = [j for j in range(len(rows)) if labels[j] == c]
        members = {rows[j] for j in picked}
        if len(members) < 3:
            continue
        phrases, covered = _phrases(docs, terms, present, centre[c], members, group)
        if not phrases:
            continue
        # Named by the phrase that matches most of its comments.
        label = max(phrases, key=lambda p: (counts_of(p), -phrases.index(p)))
        typical = {rows[j]: float(similarity[c][j]) for j in picked}
        ordered = sorted(covered, key=lambda i: (-typical.get(i, 0.0), i))
        topics.append(Topic(label, phrases, ordered))
    return topics


def _phrases(
    docs, terms, present, weights, members: set[int], group: set[int]
) -> tuple[list[str], set[int]]:
    """The topic's top terms that occur as phrases, each kept when most of the comments it
    matches in the topic's language are the topic's. Covered: every comment they match."""
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
        local = matched & group
        if len(local) < 3 or len(local & members) < MIN_PRECISION * len(local):
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
