"""What the dashboard's pages promise: headers that keep them private and unframed, a strict
CSP that their own script and charts pass, escaped text, languages, and views as links."""

import re

from conftest import Api, new_key, new_project

NASTY = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def test_pages_are_private_unframed_and_strict(api, browser, reader):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    sign_in = await browser.get("/dashboard/sign-in")
    await browser.sign_in(reader)
    for r in (
        sign_in,
        await browser.get("/dashboard"),
        await browser.get(f"/dashboard/surveys/{survey['id']}"),
        await browser.get(f"/dashboard/surveys/{survey['id']}/scores.csv"),
        await browser.get("/dashboard/surveys/00000000-0000-7000-8000-000000000000"),
    ):
        assert r.headers["cache-control"] == "no-store", r.url
        assert r.headers["x-frame-options"] == "DENY"
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "http:" not in csp and "https:" not in csp  # nothing from another origin


async def test_pages_load_nothing_from_another_origin_and_run_no_inline_script(
    api, browser, reader
):
    survey = await api.survey()
    for score in (10, 9, 6, 8):
        await api.answer(survey["id"], score, segment="smb", comment="fine")
    await browser.sign_in(reader)
    for path in ("/dashboard", f"/dashboard/surveys/{survey['id']}", "/dashboard/sign-in"):
        html = (await browser.get(path)).text
        assert not re.search(r"<script(?![^>]*\ssrc=\"/dashboard/assets/)", html), path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers
        assert not re.search(r"\sstyle=", html), path  # CSP style-src 'self': no style attrs
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert not url.startswith(("http:", "https:", "//")), (path, url)
        assert "<svg" in html or path != f"/dashboard/surveys/{survey['id']}"
    for asset in ("dashboard.css", "dashboard.js"):
        assert (await browser.get(f"/dashboard/assets/{asset}")).status_code == 200


async def test_user_supplied_text_is_escaped(api, browser, reader):
    survey = await api.survey(name=NASTY)
    await api.answer(survey["id"], 3, segment=NASTY[:100], comment=NASTY)
    await browser.sign_in(reader)
    for path in ("/dashboard", f"/dashboard/surveys/{survey['id']}"):
        html = (await browser.get(path)).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    # A query parameter is never echoed unescaped either.
    r = await browser.get(f"/dashboard/surveys/{survey['id']}", params={"tz": NASTY[:60]})
    assert r.status_code == 422 and "<script>alert" not in r.text


async def test_another_projects_survey_is_not_found(api, browser, reader):
    other_project = await new_project("other")
    outsider = Api(api.client, other_project, await new_key(other_project, "admin"))
    theirs = await outsider.survey(name="Their secret survey")
    await outsider.answer(theirs["id"], 10, comment="their comment")
    await browser.sign_in(reader)
    for path in (
        f"/dashboard/surveys/{theirs['id']}",
        f"/dashboard/surveys/{theirs['id']}/scores.csv",
    ):
        r = await browser.get(path)
        assert r.status_code == 404, path
        assert "Their secret survey" not in r.text and "their comment" not in r.text
    unknown = await browser.get("/dashboard/surveys/00000000-0000-7000-8000-00000000abcd")
    assert unknown.status_code == 404
    assert (await browser.get("/dashboard/surveys/not-a-uuid")).status_code == 404
    overview = (await browser.get("/dashboard")).text
    assert "Their secret survey" not in overview


async def test_the_language_follows_the_browser_and_can_be_chosen(api, browser, reader):
    survey = await api.survey(name="Sprachen")
    for score in [10] * 7 + [9] * 3 + [7] * 2 + [3] * 4:  # NPS 37.5
        await api.answer(survey["id"], score)
    await browser.sign_in(reader)
    path = f"/dashboard/surveys/{survey['id']}"
    german = await browser.get(path, headers={"Accept-Language": "de-CH, fr;q=0.5"})
    assert '<html lang="de">' in german.text and german.headers["content-language"] == "de"
    assert "Verlauf" in german.text and ">37,5<" in german.text
    french = await browser.get(path, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Tendance" in french.text and ">37,5<" in french.text
    english = await browser.get(path, headers={"Accept-Language": "pt-BR, *;q=0.1"})
    assert '<html lang="en">' in english.text and ">37.5<" in english.text

    # ?lang= wins over the browser and is remembered.
    chosen = await browser.get(path, params={"lang": "es"}, headers={"Accept-Language": "de"})
    assert "Tendencia" in chosen.text
    assert "samesite=strict" in chosen.headers["set-cookie"].lower()
    again = await browser.get(path, headers={"Accept-Language": "de"})
    assert '<html lang="es">' in again.text


async def test_a_view_is_a_plain_get_form_and_a_link(api, browser, reader):
    survey = await api.survey()
    await api.answer(survey["id"], 9, segment="smb")
    await browser.sign_in(reader)
    html = (await browser.get(f"/dashboard/surveys/{survey['id']}")).text
    form = re.search(r'<form method="get" action="/dashboard/surveys/[^"]+"', html)
    assert form, "the view's controls are a GET form"
    for name in ("range", "from", "to", "interval", "tz", "segment", "touchpoint", "channel"):
        assert f'name="{name}"' in html, name
    for label in ("Range", "Interval", "Time zone", "Segment", "Touchpoint", "Channel"):
        assert re.search(rf'<label for="[a-z_]+">{label}</label>', html), label

    bad = await browser.get(f"/dashboard/surveys/{survey['id']}", params={"interval": "fortnight"})
    assert bad.status_code == 422 and "interval" in bad.text
    csv = await browser.get(
        f"/dashboard/surveys/{survey['id']}/scores.csv", params={"interval": "day"}
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("bucket,n,low_sample,nps,")
