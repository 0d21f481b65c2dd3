"""Recording outcomes: one or a batch, exact amounts, past times, paging, deletion."""

from datetime import UTC, datetime, timedelta

from conftest import assert_problem

PAST = "2025-03-01T10:00:00+02:00"


async def test_one_outcome_is_stored_with_its_exact_amount(api):
    r = await api.post(
        "/v1/outcomes",
        json={
            "customer_id": "c1",
            "type": "purchase",
            "occurred_at": PAST,
            "value": 1234.5,
            "attributes": {"plan": "pro"},
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["value"] == "1234.50"
    assert body["occurred_at"] == "2025-03-01T08:00:00Z"
    assert body["attributes"] == {"plan": "pro"}
    listed = (await api.get("/v1/outcomes", params={"customer_id": "c1"})).json()
    assert [o["id"] for o in listed["data"]] == [body["id"]]
    assert listed["data"][0]["value"] == "1234.50"


async def test_an_amount_as_text_keeps_every_digit(api):
    r = await api.post(
        "/v1/outcomes",
        json={
            "customer_id": "c1",
            "type": "purchase",
            "occurred_at": PAST,
            "value": "9999999999999.99",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["value"] == "9999999999999.99"
    listed = (await api.get("/v1/outcomes")).json()["data"]
    assert listed[0]["value"] == "9999999999999.99"


async def test_a_batch_is_stored_whole_in_the_order_sent(api):
    outcomes = [{"customer_id": f"c{i}", "type": "churned", "occurred_at": PAST} for i in range(5)]
    r = await api.post("/v1/outcomes", json={"outcomes": outcomes})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert [o["customer_id"] for o in data] == [f"c{i}" for i in range(5)]
    assert all(o["value"] is None for o in data)
    listed = (await api.get("/v1/outcomes", params={"type": "churned"})).json()["data"]
    assert len(listed) == 5


async def test_a_batch_with_one_bad_item_stores_nothing_and_names_each_error(api):
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    outcomes = [
        {"customer_id": "ok", "type": "renewed", "occurred_at": PAST},
        {"customer_id": "late", "type": "renewed", "occurred_at": future},
        {"customer_id": "free", "type": "purchase", "occurred_at": PAST},
    ]
    r = await api.post("/v1/outcomes", json={"outcomes": outcomes})
    body = assert_problem(r, 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"#/outcomes/1/occurred_at", "#/outcomes/2/value"}
    assert (await api.get("/v1/outcomes")).json()["data"] == []


async def test_schema_errors_point_into_the_batch(api):
    outcomes = [
        {"customer_id": "a", "type": "left", "occurred_at": PAST},
        {"customer_id": "b", "type": "purchase", "occurred_at": PAST, "value": 10.005},
    ]
    body = assert_problem(await api.post("/v1/outcomes", json={"outcomes": outcomes}), 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"#/outcomes/0/type", "#/outcomes/1/value"}


async def test_bad_single_outcomes_are_refused_with_a_pointer(api):
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    cases = [
        ({"type": "cancelled"}, "#/type"),
        ({"type": "purchase", "value": 19.999}, "#/value"),
        ({"type": "purchase", "value": "19.999"}, "#/value"),
        ({"type": "purchase", "value": True}, "#/value"),
        ({"type": "purchase", "value": -5}, "#/value"),
        ({"type": "purchase", "value": 12345678901234.5}, "#/value"),
        ({"type": "purchase"}, "#/value"),
        ({"occurred_at": future}, "#/occurred_at"),
        ({"occurred_at": "2025-03-01T10:00:00"}, "#/occurred_at"),
        ({"occurred_at": 1700000000}, "#/occurred_at"),
        ({"surprise": 1}, "#/surprise"),
    ]
    for change, pointer in cases:
        body = {"customer_id": "c1", "type": "renewed", "occurred_at": PAST, **change}
        problem = assert_problem(await api.post("/v1/outcomes", json=body), 422)
        assert pointer in {e["pointer"] for e in problem["errors"]}, (change, problem)
    assert (await api.get("/v1/outcomes")).json()["data"] == []


async def test_a_batch_over_a_thousand_is_refused(api):
    one = {"customer_id": "c", "type": "renewed", "occurred_at": PAST}
    r = await api.post("/v1/outcomes", json={"outcomes": [one] * 1001})
    assert_problem(r, 422)
    r = await api.post("/v1/outcomes", json={"outcomes": []})
    assert_problem(r, 422)


async def test_malformed_json_is_a_400(api):
    r = await api.post(
        "/v1/outcomes", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 400, "malformed-json")


async def test_list_filters_and_pages_in_time_order(api):
    outcomes = [
        {
            "customer_id": "c1" if i % 2 else "c2",
            "type": "purchase" if i % 3 else "renewed",
            "occurred_at": f"2025-01-{10 + i:02d}T00:00:00Z",
            "value": i,
        }
        for i in range(9)
    ]
    assert (await api.post("/v1/outcomes", json={"outcomes": outcomes})).status_code == 201
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/outcomes", params=params)).json()
        seen += [o["occurred_at"][:10] for o in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == [f"2025-01-{10 + i:02d}" for i in range(9)]
    window = {"from": "2025-01-12", "to": "2025-01-15T00:00:00Z", "type": "purchase"}
    found = (await api.get("/v1/outcomes", params=window)).json()["data"]
    assert [o["value"] for o in found] == ["2.00", "4.00"]
    mine = (await api.get("/v1/outcomes", params={"customer_id": "c1"})).json()["data"]
    assert {o["customer_id"] for o in mine} == {"c1"} and len(mine) == 4


async def test_delete_removes_the_outcome_of_this_project_only(api, client):
    from conftest import Api, new_key, new_project

    one = {"customer_id": "c1", "type": "renewed", "occurred_at": PAST}
    made = (await api.post("/v1/outcomes", json=one)).json()
    other_project = await new_project()
    other = Api(client, other_project, await new_key(other_project, "admin"))
    assert_problem(await other.delete(f"/v1/outcomes/{made['id']}"), 404, "outcome-not-found")
    assert (await api.delete(f"/v1/outcomes/{made['id']}")).status_code == 204
    assert_problem(await api.delete(f"/v1/outcomes/{made['id']}"), 404, "outcome-not-found")
    assert (await api.get("/v1/outcomes")).json()["data"] == []
