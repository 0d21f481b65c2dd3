"""Whether a comment mentions a theme, exactly as METRICS.md ("Comment themes") defines it.

Text and phrases are normalised the same way: Unicode NFKC, case-folded, then accents
removed (NFKD, combining marks dropped). A phrase occurs when it is bounded by the text's
ends or by characters that are neither letters nor digits, and any run of whitespace in it
matches any run of whitespace in the text.

Matching happens here, in Python, and only its result is stored (one tag per response and
theme): SQLite and PostgreSQL then join tags and never match text, so every database and
every reader agrees by construction.

Speed: a project may have 200 themes of 100 phrases. One regular expression of thousands of
alternatives is tried at every position of a comment; instead, every letter-or-digit run of
a phrase is necessarily a whole word of any text it occurs in, so a phrase is only tried
(with its own small expression) when the comment contains its rarest-looking word. A
comment thus costs one tokenisation and a few set look-ups."""

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

WORD = re.compile(r"[^\W_]+")
"""A run of letters and digits (Python's \\w is those plus the underscore)."""
SPACES = re.compile(r"\s+")
MAX_PHRASE_CHARS = 200


def normalise(text: str) -> str:
    """NFKC, case-folded, accents removed (NFKD without combining marks)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    if decomposed.isascii():
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def phrase_words(phrase: str) -> list[str]:
    """The letter-or-digit runs of a normalised phrase: none means it can never be a word."""
    return WORD.findall(normalise(phrase))


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """The expression of one phrase over normalised text: whole words, whitespace runs
    matching any whitespace run."""
    parts = SPACES.split(normalise(phrase).strip())
    body = r"\s+".join(re.escape(part) for part in parts)
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])")


@dataclass(frozen=True)
class _Phrase:
    theme_id: uuid.UUID
    words: frozenset[str]
    pattern: re.Pattern[str]


@dataclass
class Matcher:
    """The compiled phrases of one project's themes. `match` gives the ids of the themes a
    comment mentions, in the themes' name order."""

    names: dict[uuid.UUID, str] = field(default_factory=dict)
    _by_anchor: dict[str, list[_Phrase]] = field(default_factory=dict)
    _order: dict[uuid.UUID, tuple[bytes, str]] = field(default_factory=dict)

    @classmethod
    def build(cls, themes: Iterable[tuple[uuid.UUID, str, list[str]]]) -> "Matcher":
        """From (id, name, phrases) of each theme."""
        matcher = cls()
        for theme_id, name, phrases in themes:
            matcher.names[theme_id] = name
            matcher._order[theme_id] = (name.encode(), str(theme_id))
            for phrase in phrases:
                words = phrase_words(phrase)
                if not words:
                    continue  # refused on input; never matches anything
                # The longest word is the likeliest to be rare: fewest phrases tried.
                anchor = max(words, key=len)
                entry = _Phrase(theme_id, frozenset(words), phrase_pattern(phrase))
                matcher._by_anchor.setdefault(anchor, []).append(entry)
        return matcher

    def __bool__(self) -> bool:
        return bool(self.names)

    def match(self, comment: str | None) -> list[uuid.UUID]:
        if not comment or not self._by_anchor:
            return []
        text = normalise(comment)
        words = set(WORD.findall(text))
        found: set[uuid.UUID] = set()
        for word in words & self._by_anchor.keys():
            for phrase in self._by_anchor[word]:
                if phrase.theme_id in found or not phrase.words <= words:
                    continue
                if phrase.pattern.search(text):
                    found.add(phrase.theme_id)
        return sorted(found, key=self._order.__getitem__)

    def theme_names(self, theme_ids: Iterable[uuid.UUID]) -> list[str]:
        return [self.names[t] for t in theme_ids]


def mentions(comment: str | None, phrases: Iterable[str]) -> bool:
    """Whether the comment mentions any of these phrases (one theme, built once)."""
    marker = uuid.UUID(int=0)
    return bool(Matcher.build([(marker, "", list(phrases))]).match(comment))


def name_order(name: str) -> bytes:
    """Themes listed by name as both databases' byte order sorts them (UTF-8)."""
    return name.encode()
