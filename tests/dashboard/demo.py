"""Realistic demo data for the browser test and the README's screenshot: three surveys of
one project answered through the API over the last 120 days, NPS improving over time."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx

SEGMENTS = ["smb", "mid_market", "enterprise"]
TOUCHPOINTS = ["checkout", "support", "onboarding", "delivery"]
CHANNELS = ["email", "email", "web", "in_app"]
LOCALES = ["en", "en", "de", "fr", "es"]
PRAISE = [
    "Fast delivery and friendly support.",
    "Checkout was quick, no surprises.",
    "Sehr zufrieden, gerne wieder!",
    "Le support a résolu mon problème en dix minutes.",
    "Todo perfecto, gracias.",
]
COMPLAINTS = [
    "The invoice was wrong twice.",
    "Waited three days for an answer from support.",
    "Onboarding took far too long.",
    "Lieferung kam zu spät & beschädigt <leider>.",
]


def nps_score(rng: random.Random, progress: float) -> int:
    """More promoters as `progress` goes from 0 (120 days ago) to 1 (today)."""
    promoter = 0.38 + 0.22 * progress
    detractor = 0.30 - 0.14 * progress
    roll = rng.random()
    if roll < promoter:
        return rng.choice([9, 10, 10])
    if roll < promoter + detractor:
        return rng.choice([2, 4, 5, 6, 6, 3, 0])
    return rng.choice([7, 8])


async def make(base: str, admin_key: str) -> dict[str, dict]:
    """Creates the surveys and answers; returns the surveys by name."""
    rng = random.Random(12)
    headers = {"Authorization": f"Bearer {admin_key}"}
    now = datetime.now(UTC)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
        specs = [
            ("Relationship NPS", "nps", None, 420),
            ("Support CSAT", "csat", "support", 160),
            ("Onboarding effort", "ces", "onboarding", 90),
        ]
        r = await api.put(
            "/v1/journey", json={"stages": ["onboarding", "checkout", "delivery", "support"]}
        )
        assert r.status_code == 200, r.text
        for theme, phrases in (
            ("Delivery", ["delivery", "lieferung", "livraison"]),
            ("Support", ["support", "answer"]),
            ("Invoices", ["invoice"]),
        ):
            r = await api.post("/v1/themes", json={"name": theme, "phrases": phrases})
            assert r.status_code == 201, r.text
        surveys = {}
        for name, kind, touchpoint, _count in specs:
            body = {"name": name, "kind": kind}
            if touchpoint:
                body["default_touchpoint"] = touchpoint
            r = await api.post("/v1/surveys", json=body)
            assert r.status_code == 201, r.text
            surveys[name] = r.json()
        r = await api.post("/v1/surveys", json={"name": "Churn exit survey", "kind": "nps"})
        assert r.status_code == 201, r.text
        surveys["Churn exit survey"] = r.json()

        async def answer(survey: dict, body: dict) -> None:
            async with limit:
                r = await api.post(f"/v1/surveys/{survey['id']}/responses", json=body)
                assert r.status_code == 201, r.text

        jobs = []
        for name, kind, touchpoint, count in specs:
            survey = surveys[name]
            for i in range(count):
                age = rng.random() ** 0.8 * 120
                progress = 1 - age / 120
                if kind == "nps":
                    score = nps_score(rng, progress)
                elif kind == "csat":
                    score = min(5, max(1, round(rng.gauss(3.6 + 0.6 * progress, 1.0))))
                else:
                    score = min(7, max(1, round(rng.gauss(4.8 + 0.8 * progress, 1.4))))
                good = score >= {"nps": 9, "csat": 4, "ces": 5}[kind]
                body = {
                    "score": score,
                    "customer_id": f"customer-{rng.randrange(300)}",
                    "segment": rng.choice(SEGMENTS),
                    "touchpoint": touchpoint or rng.choice(TOUCHPOINTS),
                    "channel": rng.choice(CHANNELS),
                    "locale": rng.choice(LOCALES),
                    "submitted_at": (now - timedelta(days=age)).isoformat(),
                }
                if rng.random() < 0.3:
                    body["comment"] = rng.choice(PRAISE if good else COMPLAINTS)
                jobs.append(answer(survey, body))
        await asyncio.gather(*jobs)
        # Some customers leave: detractors more often (their ids are the lower ones).
        for customer in range(0, 300, 7):
            r = await api.post(
                "/v1/outcomes",
                json={
                    "customer_id": f"customer-{customer}",
                    "type": "churned",
                    "occurred_at": (now - timedelta(days=rng.uniform(1, 60))).isoformat(),
                },
            )
            assert r.status_code == 201, r.text
    return surveys
