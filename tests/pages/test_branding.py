"""A project brands its link pages (PATCH /v1/project): display name, website, a logo on the
website's domain and an accent colour, escaped and under a CSP opened for exactly them."""

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from conftest import Api, assert_problem, new_key, new_project
from test_invitations import backdate_invitation, invite_one, path_of, token_of

from app.db import utcnow

ACME = {
    "display_name": "Acme Shop",
    "website": "https://acme.example",
    "logo_url": "https://cdn.acme.example/brand/logo.svg",
    "accent_color": "#0b7a3e",
}


def csp_of(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


async def link_pages(api) -> dict[str, object]:
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    return {
        "survey": await api.client.get(path_of(invitation["survey_url"])),
        "thanks": await api.client.get(f"/s/{token}/thanks"),
        "unsubscribe": await api.client.get(f"/u/{token}"),
    }


async def test_branding_is_set_read_and_shown_by_the_project_api(api):
    r = await api.patch("/v1/project", json=ACME)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ACME} == ACME
    assert r.json()["id"] == str(api.project_id)
    assert (await api.get("/v1/project")).json() == r.json()


async def test_fields_left_out_stay_and_null_removes_one(api):
    await api.patch("/v1/project", json=ACME)
    r = await api.patch("/v1/project", json={"accent_color": "#123456"})
    assert r.json()["display_name"] == "Acme Shop" and r.json()["accent_color"] == "#123456"
    r = await api.patch("/v1/project", json={"logo_url": None, "display_name": None})
    assert r.status_code == 200, r.text
    assert r.json()["logo_url"] is None and r.json()["display_name"] is None
    assert r.json()["website"] == "https://acme.example"


async def test_branded_pages_show_the_name_logo_and_accent(api):
    await api.patch("/v1/project", json=ACME)
    for name, page in (await link_pages(api)).items():
        assert page.status_code == 200, name
        html = page.text
        assert '<span class="brand-name">Acme Shop</span>' in html, name
        assert '<img class="logo" src="https://cdn.acme.example/brand/logo.svg" alt="">' in html
        assert "· Acme Shop</title>" in html
        csp = csp_of(page)
        assert csp["img-src"] == "'self' https://cdn.acme.example", name
        style = re.search(r"<style>(.*?)</style>", html).group(1)
        assert style == ":root{--accent:#0b7a3e;--accent-text:#ffffff}"
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert csp["style-src"] == f"'self' 'sha256-{digest}'", name
        assert (
            "style=" not in html and "unsafe-inline" not in page.headers["content-security-policy"]
        )


async def test_light_accent_gets_dark_text(api):
    await api.patch("/v1/project", json={"accent_color": "#ffd43b"})
    page = (await link_pages(api))["survey"]
    assert ":root{--accent:#ffd43b;--accent-text:#111111}" in page.text


async def test_unbranded_pages_are_as_before(api):
    page = (await link_pages(api))["survey"]
    assert 'class="brand"' not in page.text and "<style>" not in page.text
    assert csp_of(page)["img-src"] == "'self'" and csp_of(page)["style-src"] == "'self'"


async def test_branding_belongs_to_its_project_only(api, client):
    other_project = await new_project("other")
    other = Api(client, other_project, await new_key(other_project, "admin"))
    await other.patch("/v1/project", json=ACME)
    page = (await link_pages(api))["survey"]
    assert "Acme Shop" not in page.text and "cdn.acme.example" not in page.text


async def test_display_name_and_logo_address_are_escaped(api):
    r = await api.patch(
        "/v1/project",
        json={
            "display_name": "<script>alert(1)</script> & Co",
            "website": "https://acme.example",
            "logo_url": "https://acme.example/logo.png?a=1&b=2",
        },
    )
    assert r.status_code == 200, r.text
    html = (await link_pages(api))["survey"].text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert 'src="https://acme.example/logo.png?a=1&amp;b=2"' in html


async def test_logo_without_a_name_is_labelled(api):
    await api.patch("/v1/project", json={"website": "https://acme.example"})
    await api.patch("/v1/project", json={"logo_url": "https://acme.example/logo.png"})
    html = (await link_pages(api))["survey"].text
    assert '<img class="logo" src="https://acme.example/logo.png" alt="Logo">' in html


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"logo_url": "https://acme.example/logo.png"}, "#/website"),  # no website declared
        (
            {"website": "https://acme.example", "logo_url": "https://evil.example/l.png"},
            "#/logo_url",
        ),
        (
            {"website": "https://acme.example", "logo_url": "https://acme.example.evil.com/l.png"},
            "#/logo_url",
        ),
        (
            {"website": "https://acme.example", "logo_url": "https://notacme.example/l.png"},
            "#/logo_url",
        ),
        (
            {"website": "https://www.acme.example", "logo_url": "https://acme.example/l.png"},
            "#/logo_url",
        ),
    ],
)
async def test_logo_must_be_on_the_websites_domain(api, body, pointer):
    r = await api.patch("/v1/project", json=body)
    problem = assert_problem(r, 422, "validation-error")
    assert problem["errors"][0]["pointer"] == pointer
    assert (await api.get("/v1/project")).json()["logo_url"] is None  # nothing stored


async def test_changing_the_website_away_from_the_logo_is_refused(api):
    await api.patch("/v1/project", json=ACME)
    r = await api.patch("/v1/project", json={"website": "https://other.example"})
    assert_problem(r, 422, "validation-error")
    assert (await api.get("/v1/project")).json()["website"] == "https://acme.example"


@pytest.mark.parametrize(
    "body",
    [
        {"website": "http://acme.example"},
        {"website": "https://acme.example:8443"},
        {"website": "https://user:pw@acme.example"},
        {"website": "https://127.0.0.1"},
        {"website": "https://acme.example/ 'unsafe-inline'"},
        {"website": "javascript:alert(1)"},
        {"website": "https://acme.example", "logo_url": "http://acme.example/logo.png"},
        {"website": "https://acme.example", "logo_url": 'https://acme.example/x"onerror="a'},
        {"accent_color": "red"},
        {"accent_color": "#fff"},
        {"accent_color": "#12345g"},
        {"accent_color": "#123456;background:url(x)"},
        {"display_name": "Acme\nVisit https://evil.example"},
        {"display_name": ""},
        {"display_name": "x" * 201},
        {"theme": "dark"},
    ],
)
async def test_invalid_branding_is_refused_and_stores_nothing(api, body):
    assert_problem(await api.patch("/v1/project", json=body), 422)
    stored = (await api.get("/v1/project")).json()
    assert all(stored[k] is None for k in ACME)


async def test_only_an_admin_key_brands_its_project(api):
    reader = await api.with_scopes("surveys:write", "responses:write", "invitations:write")
    assert_problem(await reader.patch("/v1/project", json=ACME), 403)
    assert_problem(await reader.get("/v1/project"), 403)


async def test_expired_link_page_carries_the_brand_but_an_unknown_one_does_not(api):
    await api.patch("/v1/project", json=ACME)
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"], locale="fr")
    await backdate_invitation(invitation["id"], expires_at=utcnow() - timedelta(days=1))
    page = await api.client.get(path_of(invitation["survey_url"]))
    assert page.status_code == 410
    assert "Acme Shop" in page.text and 'lang="fr"' in page.text
    unknown = await api.client.get("/s/" + "x" * 32)
    assert unknown.status_code == 404 and "Acme Shop" not in unknown.text
