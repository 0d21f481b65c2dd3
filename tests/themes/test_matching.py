"""Matching as METRICS.md ("Comment themes") defines it, on hard cases: the Python matcher,
and the tags the database holds after the same comments are written (SQLite or
PostgreSQL: the suite runs on both), agree with the expected answer."""

import pytest

from app.themes.matching import Matcher, mentions, normalise
from tests.themes.helpers import theme

# (comment, phrase, mentions?)
# ruff: noqa: RUF001 - look-alike characters are the point of these cases
CASES = [
    ("Lieferung VERSPÄTET!", "lieferung verspätet", True),
    ("lieferung verspatet", "Lieferung verspätet", True),  # accents removed on both sides
    ("Café crème", "cafe creme", True),
    ("Große Verspätung", "grosse verspatung", True),  # ß case-folds to ss
    ("GROSSE Verspätung", "große verspätung", True),
    ("İstanbul office", "istanbul", True),  # İ folds to i + dot, the dot dropped
    ("ISTANBUL office", "İstanbul", True),
    ("The ﬁle was lost", "file", True),  # the ﬁ ligature is NFKC fi
    ("ﬀ", "ff", True),
    ("Ｆｕｌｌ width", "full width", True),  # NFKC width
    ("(late delivery).", "late delivery", True),  # punctuation around words
    ("«late delivery»", "late delivery", True),
    ("late-delivery", "late delivery", False),  # a hyphen is not whitespace
    ("e-mail lost", "e-mail", True),
    ("email lost", "e-mail", False),
    ("chocolate", "late", False),  # inside a longer word
    ("lately", "late", False),
    ("late2", "late", False),  # a digit is part of the word
    ("late_delivery", "late", True),  # underscore is neither letter nor digit
    ("retrasos", "retraso", False),
    ("late\ndelivery", "late delivery", True),  # across a line break
    ("late \r\n\t delivery", "late   delivery", True),  # any whitespace run
    ("late\u00a0delivery", "late delivery", True),  # no-break space
    ("😡late delivery😡", "late delivery", True),  # emoji are not letters
    ("late 😡 delivery", "late delivery", False),
    ("great service 👍", "service", True),
    ("no comment", "", False),
]


@pytest.mark.parametrize(("comment", "phrase", "expected"), [c for c in CASES if c[1]])
def test_python_matcher(comment, phrase, expected):
    assert mentions(comment, [phrase]) is expected


def test_normalise():
    assert normalise("İSTANBUL Straße ﬁne Ça") == "istanbul strasse fine ca"


def test_matcher_names_every_theme_once_in_name_order():
    matcher = Matcher.build(
        [
            (_id(1), "b price", ["expensive", "too expensive", "price"]),
            (_id(2), "a delivery", ["late", "delivery"]),
            (_id(3), "c other", ["nothing here"]),
        ]
    )
    assert matcher.match("Too expensive and late, price!") == [_id(2), _id(1)]
    assert matcher.match("") == [] and matcher.match(None) == []


def _id(n: int):
    import uuid

    return uuid.UUID(int=n)


async def test_stored_tags_agree_on_this_database(api):
    """Each phrase as a theme; each comment written through the API; the tags the database
    returns are exactly what the definition says."""
    survey = await api.survey()
    phrases = sorted({p for _c, p, _e in CASES if p})
    names = {p: f"t{i}" for i, p in enumerate(phrases)}
    for phrase, name in names.items():
        await theme(api, name, phrase)
    for comment, phrase, expected in CASES:
        answer = await api.answer(survey["id"], 5, comment=comment)
        python = sorted((names[p] for p in phrases if mentions(comment, [p])), key=str.encode)
        stored = (await api.get(f"/v1/responses/{answer['id']}")).json()["themes"]
        assert stored == python, comment
        if phrase:
            assert (names[phrase] in stored) is expected, (comment, phrase)
        listed = await api.get(
            "/v1/responses", params={"survey_id": survey["id"], "theme": names.get(phrase, "x")}
        )
        ids = {r["id"] for r in listed.json()["data"]}
        assert (answer["id"] in ids) is (bool(phrase) and expected)
