"""An erasure scrubs the customer's webhook events: pending deliveries, redeliveries and
the delivery log carry only what is left after it (tombstones), and no stored event body
keeps the customer's id, comment, attributes, email or name."""

import json

from conftest import database_text_containing
from test_webhooks_delivery import (  # noqa: F401 (fixtures)
    _only_this_test,
    allow_loopback,
    clock,
    dispatcher,
    drain,
    receiver,
    register,
)

from tests.privacy.customer import customer_data, leaks


async def test_erasure_scrubs_sent_and_pending_events(
    api,
    allow_loopback,  # noqa: F811
    receiver,  # noqa: F811
    dispatcher,  # noqa: F811
):
    who = customer_data()
    events = ["response.created", "response.updated", "invitation.created"]
    hook = await register(api, receiver.url, events=events)
    survey = await api.survey(kind="nps")
    sent = await api.answer(
        survey["id"],
        9,
        customer_id=who["customer_id"],
        comment=who["comment"],
        attributes={"plan": who["attribute"]},
        channel="web",
    )
    recipient = {"customer_id": who["customer_id"], "email": who["email"], "name": who["name"]}
    r = await api.post(f"/v1/surveys/{survey['id']}/invitations", json={"recipients": [recipient]})
    assert r.status_code == 201, r.text
    other = await api.answer(survey["id"], 3, customer_id="someone-else", comment="keep me")
    assert await drain(dispatcher) == 3
    assert leaks(json.dumps(receiver.events()), who)  # they were delivered before

    # an edit whose delivery is still pending when the erasure comes
    r = await api.patch(f"/v1/responses/{sent['id']}", json={"comment": who["comment"] + "!"})
    assert r.status_code == 200, r.text
    r = await api.post("/v1/erasures", json={"customer_id": who["customer_id"]})
    assert r.status_code == 200 and r.json()["erased"] == 1, r.text

    assert await database_text_containing(*who.values()) == []

    before = len(receiver.requests)
    assert await drain(dispatcher) == 1  # the pending edit: sent scrubbed
    log = await api.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100})
    assert log.status_code == 200
    assert not leaks(log.text, who)
    for delivery in log.json()["data"]:
        r = await api.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver")
        assert r.status_code == 202, r.text
    assert await drain(dispatcher) == 4
    after = receiver.events()[before:]
    assert not leaks(json.dumps(after), who)

    answers = [e["data"]["response"] for e in after if e["type"].startswith("response.")]
    mine = [a for a in answers if a["id"] == sent["id"]]
    assert len(mine) == 3  # the pending edit, then created and updated again: tombstones
    for answer in mine:
        assert answer["deleted"] is True
        assert {k for k, v in answer.items() if v is not None} == {
            "id",
            "survey_id",
            "submitted_at",
            "created_at",
            "updated_at",
            "deleted",
        }
    [kept] = [a for a in answers if a["id"] == other["id"]]  # another customer's stays
    assert kept["comment"] == "keep me" and kept["customer_id"] == "someone-else"
    [invitation] = [e["data"]["invitation"] for e in after if e["type"] == "invitation.created"]
    assert invitation["customer_id"] is None and invitation["email"] is None
    assert invitation["name"] is None and invitation["attributes"] is None
    assert await database_text_containing(*who.values()) == []
