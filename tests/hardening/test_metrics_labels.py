"""/metrics: the documentation, the OpenAPI document and static assets have route labels of
their own (not `unmatched`), and the latency histogram is labelled by status class only, so
a fuzzer's many statuses do not multiply its series."""

import uuid

from test_metrics import scrape, value


async def test_docs_openapi_and_assets_have_their_own_route_labels(client):
    before = await scrape(client)
    for path in ("/docs", "/openapi.json", "/assets/sentio.css", f"/assets/{uuid.uuid4()}.css"):
        await client.get(path)
    after = await scrape(client)

    def grew(route: str, status: str) -> float:
        key = {"method": "GET", "route": route, "status": status}
        return value(after, "sentio_http_requests_total", **key) - value(
            before, "sentio_http_requests_total", **key
        )

    assert grew("/docs", "200") == 1
    assert grew("/openapi.json", "200") == 1
    assert grew("/assets/{path}", "200") == 1
    assert grew("/assets/{path}", "404") == 1  # a missing asset: still the assets route
    assert grew("unmatched", "200") == 0
    assert grew("unmatched", "404") == 0


async def test_latency_histogram_is_labelled_by_status_class(api, client):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    await api.answer(survey["id"], 9)  # 201
    await api.post(url, json={"score": 99})  # 422
    await api.post(url, content=b"{", headers={"Content-Type": "application/json"})  # 400
    await api.get(f"/v1/responses/{uuid.uuid4()}")  # 404
    samples = await scrape(client)
    histogram = [
        dict(labels)
        for name, labels in samples
        if name.startswith("sentio_http_request_duration_seconds")
    ]
    assert histogram
    assert all("status" not in labels for labels in histogram)
    classes = {labels["status_class"] for labels in histogram}
    assert {"2xx", "4xx"} <= classes <= {"1xx", "2xx", "3xx", "4xx", "5xx"}
    route = "/v1/surveys/{survey_id}/responses"
    posted = {
        labels["status_class"]
        for labels in histogram
        if labels.get("route") == route and labels.get("method") == "POST"
    }
    assert {"2xx", "4xx"} <= posted
