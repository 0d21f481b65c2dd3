"""A recipient's name goes into the plain-text email block: a name with a line break or
another control character is refused (422, nothing stored), so no name adds lines (a
second link, a fake footer) to the email."""

import pytest
from conftest import assert_problem

HOSTILE = [
    "Jo\nClick https://evil.example/reset to keep your account",
    "Jo\r\nBcc: everyone@example.com",
    "Jo\rX",
    "Jo\tSmith",
    "Jo\x0bSmith",
    "Jo\x1b[31mred",
    "Jo\x7f",
    "Jo\x85Next line",
    "Jo\u2028Line separator",
    "Jo\u2029Paragraph separator",
]


@pytest.mark.parametrize("name", HOSTILE, ids=[repr(n) for n in HOSTILE])
async def test_names_with_line_breaks_or_control_characters_are_refused(api, name):
    survey = await api.survey()
    recipients = [
        {"customer_id": "fine", "email": "fine@example.com", "name": "Fine"},
        {"customer_id": "c1", "email": "jo@example.com", "name": name},
    ]
    r = await api.post(f"/v1/surveys/{survey['id']}/invitations", json={"recipients": recipients})
    body = assert_problem(r, 422, "validation-error")
    assert any(e.get("pointer") == "#/recipients/1/name" for e in body["errors"]), body
    listed = await api.get("/v1/invitations", params={"survey_id": survey["id"]})
    assert listed.status_code == 200 and listed.json()["data"] == []  # the batch stored nothing


async def test_one_line_names_are_kept_and_greet_on_one_line(api):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/invitations"
    name = "Zoë O'Brien-Łukasz"
    recipients = [
        {"customer_id": "c1", "email": "z@example.com", "name": name},
        {"customer_id": "c2", "email": "j@example.com", "name": " Jo \n"},  # trimmed
    ]
    r = await api.post(url, json={"recipients": recipients})
    assert r.status_code == 201, r.text
    zoe, jo = r.json()["data"]
    assert (zoe["name"], jo["name"]) == (name, "Jo")
    lines = zoe["email_text"].splitlines()
    [greeting] = [line for line in lines if name in line]
    assert lines.index(greeting) < 2 and "http" not in greeting  # the greeting, one line
    # the same name with a line break in it is not
    recipients = [{"customer_id": "c3", "email": "x@example.com", "name": "Zoë\nO'Brien"}]
    assert_problem(await api.post(url, json={"recipients": recipients}), 422)
