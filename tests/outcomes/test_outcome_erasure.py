"""A privacy erasure deletes the customer's outcomes and scrubs the copies of them: the
outcome.created events (pending deliveries and redeliveries send the scrubbed body) and
stored Idempotency-Key replies."""

from conftest import database_text_containing

CUSTOMER = "zed-91ac"
ORDER = "order-zed-5e0"


async def test_erasure_leaves_no_copy_of_an_outcome(api):
    hook = await api.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/o", "events": ["outcome.created"]}
    )
    assert hook.status_code == 201, hook.text
    body = {
        "customer_id": CUSTOMER,
        "type": "purchase",
        "occurred_at": "2025-01-01T00:00:00Z",
        "value": 5,
        "attributes": {"order": ORDER},
    }
    made = await api.post("/v1/outcomes", json=body, headers={"Idempotency-Key": "zed-import"})
    assert made.status_code == 201, made.text
    kept = await api.post(
        "/v1/outcomes", json={**body, "customer_id": "kept-3b", "attributes": None}
    )
    assert kept.status_code == 201
    assert len(await database_text_containing(CUSTOMER)) >= 3  # outcome, event, reply

    r = await api.post("/v1/erasures", json={"customer_id": CUSTOMER})
    assert r.status_code == 200, r.text

    assert await database_text_containing(CUSTOMER, ORDER) == []
    left = (await api.get("/v1/outcomes")).json()["data"]
    assert [o["customer_id"] for o in left] == ["kept-3b"]
    deliveries = (await api.get(f"/v1/webhooks/{hook.json()['id']}/deliveries")).json()["data"]
    assert len(deliveries) == 2  # the events stay, scrubbed
