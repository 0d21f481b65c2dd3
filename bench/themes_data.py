"""A labelled set of customer comments for measuring theme suggestions.

Comments in English, Spanish, German and French (55/15/15/15%), each planted with zero, one
or two known themes, written from several phrasings per theme and language, with typos,
negated mentions (which are not the theme: "the delivery was not late at all"), mixed
topics, filler sentences and pure noise ("ok", "👍", "asdf"). Deterministic for a seed.

    from bench.themes_data import generate
    comments = generate(5000, seed=7)   # [Comment(text, themes, language, score)]
"""

import random
from dataclasses import dataclass

LANGUAGES = (("en", 0.55), ("es", 0.15), ("de", 0.15), ("fr", 0.15))

# Planted themes and the share of comments that carry each (mixed comments add a little).
SHARES = {
    "delivery": 0.14,
    "price": 0.10,
    "support": 0.08,
    "app": 0.06,
    "refund": 0.045,
    "staff": 0.035,
    "packaging": 0.02,
}
MIXED = 0.06  # comments with two themes
NEGATED = 0.02  # mentions a theme's words, negated: no theme
SCORES = {  # NPS answers each theme tends to come with
    "delivery": (0, 6),
    "price": (3, 8),
    "support": (0, 5),
    "app": (2, 7),
    "refund": (0, 4),
    "staff": (8, 10),
    "packaging": (3, 7),
    None: (6, 10),
}

PHRASES: dict[str, dict[str, list[str]]] = {
    "delivery": {
        "en": [
            "the delivery was late",
            "late delivery again",
            "my order arrived late",
            "the parcel arrived two weeks late",
            "shipping took forever, delivery was late",
            "delivery delayed without any notice",
            "still waiting for my delivery, so late",
        ],
        "es": [
            "la entrega llegó tarde",
            "el pedido llegó con retraso",
            "retraso en la entrega",
            "mi paquete llegó muy tarde",
            "la entrega se retrasó dos semanas",
        ],
        "de": [
            "die Lieferung kam zu spät",
            "Lieferung verspätet",
            "das Paket kam viel zu spät",
            "die Lieferung hat sich verspätet",
            "wieder eine verspätete Lieferung",
        ],
        "fr": [
            "la livraison est arrivée en retard",
            "livraison en retard",
            "colis livré en retard",
            "ma commande est arrivée avec du retard",
            "la livraison a pris du retard",
        ],
    },
    "price": {
        "en": [
            "way too expensive",
            "the price is too high",
            "too expensive for what you get",
            "prices went up again, too expensive",
            "overpriced compared to others",
        ],
        "es": [
            "demasiado caro",
            "el precio es muy alto",
            "muy caro para lo que ofrece",
            "los precios son demasiado caros",
        ],
        "de": [
            "viel zu teuer",
            "der Preis ist zu hoch",
            "zu teuer für die Leistung",
            "die Preise sind wieder gestiegen, zu teuer",
        ],
        "fr": [
            "beaucoup trop cher",
            "le prix est trop élevé",
            "trop cher pour ce que c'est",
            "les prix sont trop chers",
        ],
    },
    "support": {
        "en": [
            "customer service never answered",
            "support was unhelpful",
            "customer service was rude and unhelpful",
            "nobody from support called me back",
            "waited an hour for customer service",
        ],
        "es": [
            "el servicio al cliente no respondió",
            "atención al cliente muy mala",
            "el servicio al cliente no ayuda",
        ],
        "de": [
            "der Kundenservice hat nie geantwortet",
            "Kundenservice war unfreundlich",
            "der Kundenservice konnte nicht helfen",
        ],
        "fr": [
            "le service client ne répond jamais",
            "service client injoignable",
            "le service client n'a pas aidé",
        ],
    },
    "app": {
        "en": [
            "the app keeps crashing",
            "app crashes when I log in",
            "the app is full of bugs",
            "the mobile app crashed again",
        ],
        "es": ["la aplicación se cierra sola", "la aplicación falla al entrar"],
        "de": ["die App stürzt ständig ab", "die App stürzt beim Login ab"],
        "fr": ["l'application plante sans arrêt", "l'application plante au démarrage"],
    },
    "refund": {
        "en": [
            "still waiting for my refund",
            "the refund never came",
            "they refused my refund",
            "refund took months",
        ],
        "es": ["todavía espero el reembolso", "nunca recibí el reembolso"],
        "de": ["warte immer noch auf die Rückerstattung", "keine Rückerstattung erhalten"],
        "fr": ["toujours pas de remboursement", "le remboursement n'est jamais arrivé"],
    },
    "staff": {
        "en": [
            "the staff were very friendly",
            "friendly staff in the store",
            "staff were friendly and helpful",
        ],
        "es": ["el personal fue muy amable", "personal muy amable"],
        "de": ["sehr freundliches Personal", "das Personal war sehr freundlich"],
        "fr": ["le personnel était très aimable", "personnel très aimable"],
    },
    "packaging": {
        "en": ["the box was damaged", "packaging was torn", "the box arrived crushed"],
        "es": ["la caja llegó dañada", "el embalaje estaba roto"],
        "de": ["der Karton war beschädigt", "die Verpackung war kaputt"],
        "fr": ["le carton était abîmé", "l'emballage était déchiré"],
    },
}

NEGATIONS = {
    "en": ["the delivery was not late at all", "not too expensive, fair price"],
    "es": ["la entrega no llegó tarde", "no es caro"],
    "de": ["die Lieferung kam nicht zu spät", "gar nicht zu teuer"],
    "fr": ["la livraison n'était pas en retard", "pas trop cher"],
}
FILLERS = {
    "en": ["Honestly,", "Again", "Otherwise fine.", "Thanks.", "Please fix this.", "Sigh.",
           "Not happy.", "Overall ok.", "Third time now.", "Seriously"],
    "es": ["La verdad,", "Otra vez", "Por lo demás bien.", "Gracias.", "Por favor mejoren."],
    "de": ["Ehrlich gesagt", "Schon wieder", "Sonst alles gut.", "Danke.", "Bitte ändern."],
    "fr": ["Franchement,", "Encore une fois", "Sinon tout va bien.", "Merci.", "À améliorer."],
}  # fmt: skip
NOISE = {
    "en": ["ok", "good", "great", "fine", "n/a", "nothing to add", "love it", "all good",
           "great product, thanks", "keep it up", "meh", "no comment", "very good overall",
           "recommended to my friends", "works as expected"],
    "es": ["bien", "todo bien", "excelente", "nada que añadir", "muy bueno", "lo recomiendo"],
    "de": ["gut", "alles gut", "super", "nichts hinzuzufügen", "sehr gut", "empfehlenswert"],
    "fr": ["bien", "très bien", "parfait", "rien à ajouter", "super produit", "je recommande"],
}  # fmt: skip
SYMBOLS = ["👍", "😡", "🙂", "...", "?", "asdf", "xxx", "!!!", "10/10", "-"]


@dataclass(frozen=True)
class Comment:
    text: str
    themes: frozenset[str]
    language: str
    score: int


def _typo(rng: random.Random, text: str) -> str:
    """One slip in one longer word: a dropped, doubled or swapped letter."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1 :]
    elif kind == 1:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def _dress(rng: random.Random, language: str, core: str) -> str:
    parts = [core]
    if rng.random() < 0.35:
        parts.insert(0, rng.choice(FILLERS[language]))
    if rng.random() < 0.35:
        parts.append(rng.choice(FILLERS[language]))
    text = " ".join(parts)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.2:
        text += rng.choice([" !!", " :(", " 😡", "!", "."])
    return text


def _pick(rng: random.Random, weights: dict) -> str:
    r = rng.random() * sum(weights.values())
    for key, weight in weights.items():
        r -= weight
        if r <= 0:
            return key
    return key


def generate(n: int = 5000, seed: int = 7) -> list[Comment]:
    rng = random.Random(seed)
    languages = dict(LANGUAGES)
    single = sum(SHARES.values())
    out = []
    for _ in range(n):
        language = _pick(rng, languages)
        roll = rng.random()
        themes: tuple[str, ...]
        if roll < single:
            themes = (_pick(rng, SHARES),)
        elif roll < single + MIXED:
            first = _pick(rng, SHARES)
            second = _pick(rng, {k: v for k, v in SHARES.items() if k != first})
            themes = (first, second)
        elif roll < single + MIXED + NEGATED:
            text = _dress(rng, language, rng.choice(NEGATIONS[language]))
            out.append(Comment(text, frozenset(), language, rng.randint(7, 10)))
            continue
        else:
            noise = rng.choice(NOISE[language]) if rng.random() < 0.8 else rng.choice(SYMBOLS)
            out.append(Comment(noise, frozenset(), language, rng.randint(*SCORES[None])))
            continue
        cores = [rng.choice(PHRASES[t][language]) for t in themes]
        joiner = {"en": " and ", "es": " y ", "de": " und ", "fr": " et "}[language]
        text = _dress(rng, language, joiner.join(cores))
        if rng.random() < 0.15:
            text = _typo(rng, text)
        low, high = SCORES[themes[0]]
        out.append(Comment(text, frozenset(themes), language, rng.randint(low, high)))
    return out


def shares(comments: list[Comment]) -> dict[str, float]:
    """Percent of comments that carry each planted theme."""
    return {t: 100 * sum(t in c.themes for c in comments) / len(comments) for t in PHRASES}
