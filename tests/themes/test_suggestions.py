"""GET /v1/themes/suggestions: deterministic, within its sample bound, only unmatched
comments, and (a small version of bench/themes.py) planted themes recovered with high
precision. Creating a theme from a suggestion is one POST with its phrases."""

from datetime import UTC, datetime, timedelta

import pytest

from app.themes.matching import mentions
from app.themes.suggestions import find_topics
from bench.themes_data import generate, shares
from tests.themes.helpers import retag_all

SMALL = generate(1500, seed=3)


def test_small_quality_check():
    """Every planted theme with at least 8% of the comments is covered by one of the top
    10 suggestions with precision >= 0.8 (the full check with 5,000 comments and a 3%
    floor is bench/themes.py)."""
    topics = find_topics([c.text for c in SMALL], 10)
    assert topics and len(topics) <= 10
    for theme, share in shares(SMALL).items():
        if share < 8:
            continue
        best = 0.0
        for topic in topics:
            covered = [SMALL[i] for i in topic.covered]
            best = max(best, sum(theme in c.themes for c in covered) / len(covered))
        assert best >= 0.8, (theme, share, best)


def test_covered_is_what_the_phrases_match():
    texts = [c.text for c in SMALL]
    for topic in find_topics(texts, 10):
        matched = [i for i, t in enumerate(texts) if mentions(t, topic.phrases)]
        assert sorted(topic.covered) == matched


def test_deterministic():
    texts = [c.text for c in SMALL]
    assert find_topics(texts, 5) == find_topics(list(texts), 5)


async def post_comments(api, survey_id: str, comments) -> list[str]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = []
    for i, c in enumerate(comments):
        when = (start + timedelta(minutes=i)).isoformat()
        ids.append((await api.answer(survey_id, c.score, comment=c.text, submitted_at=when))["id"])
    return ids


async def test_api_suggests_from_unmatched_recent_comments_within_the_sample(api):
    survey = await api.survey()
    comments = generate(400, seed=11)
    ids = await post_comments(api, survey["id"], comments)
    params = {"survey_id": survey["id"], "limit": 5}
    r = await api.get("/v1/themes/suggestions", params=params)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first == (await api.get("/v1/themes/suggestions", params=params)).json()
    assert first["sampled"] == 400 and first["sample_limit"] == 5000
    suggestions = first["suggestions"]
    assert 1 <= len(suggestions) <= 5
    top = suggestions[0]
    assert top["comments"] >= 10 and top["phrases"]
    assert set(top["example_response_ids"]) <= set(ids) and len(top["example_response_ids"]) <= 5
    assert top["share"] == pytest.approx(100 * top["comments"] / 400)
    assert top["score_mentions"]["n"] == top["comments"]
    assert top["score_others"]["n"] == 400 - top["comments"]

    # One POST creates it; its comments then match, and are no longer suggested from.
    r = await api.post("/v1/themes", json={"name": top["label"], "phrases": top["phrases"]})
    assert r.status_code == 201, r.text
    await retag_all()
    again = (await api.get("/v1/themes/suggestions", params=params)).json()
    assert again["sampled"] == 400 - top["comments"]
    assert top["phrases"] not in [s["phrases"] for s in again["suggestions"]]


async def test_the_sample_is_bounded_to_the_most_recent(api, monkeypatch):
    from app.themes import suggestions

    survey = await api.survey()
    await post_comments(api, survey["id"], generate(150, seed=5))
    seen = {}
    real = suggestions.find_topics

    def spy(texts, limit):
        seen["texts"] = texts
        return real(texts, limit)

    monkeypatch.setattr(suggestions, "find_topics", spy)
    monkeypatch.setattr(suggestions.get_settings(), "theme_suggestion_sample", 100)
    r = await api.get("/v1/themes/suggestions", params={"survey_id": survey["id"]})
    assert r.json()["sampled"] == 100 and r.json()["sample_limit"] == 100
    newest = [c.text for c in generate(150, seed=5)][50:]
    assert sorted(seen["texts"]) == sorted(newest)
