"""What a respondent reads on the link pages: a heading on every page, a thank-you page
that thanks only for an answer that exists, an answered link that says the answer is in,
and a favicon."""

import re

from test_invitations import invite_one, path_of, token_of


def headings(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)


async def answered_link(api, score: int = 9, comment: str = "Quick") -> tuple[str, str]:
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    r = await api.client.post(f"/s/{token}", data={"score": str(score), "comment": comment})
    assert r.status_code == 303, r.text
    return token, survey["id"]


async def test_survey_page_has_one_heading_and_it_is_the_question(api):
    survey = await api.survey(kind="nps", question="Would you recommend Acme?")
    invitation = await invite_one(api, survey["id"])
    page = await api.client.get(path_of(invitation["survey_url"]))
    assert page.status_code == 200
    assert headings(page.text) == ["Would you recommend Acme?"]
    # the score group is named by that heading
    assert 'role="radiogroup" aria-labelledby="question"' in page.text
    assert '<h1 id="question">' in page.text


async def test_thanks_page_of_an_unanswered_invitation_thanks_for_nothing(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    page = await api.client.get(f"/s/{token}/thanks")
    assert page.status_code == 200
    assert "recorded" not in page.text and "Thank you" not in page.text
    assert headings(page.text) == ["No answer yet"]
    assert "We do not have an answer from this link yet." in page.text
    assert f'<a href="/s/{token}">Answer the survey</a>' in page.text


async def test_thanks_page_in_the_invitations_language_when_unanswered(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"], locale="de")
    page = await api.client.get(f"/s/{token_of(invitation)}/thanks")
    assert headings(page.text) == ["Noch keine Antwort"] and 'lang="de"' in page.text


async def test_thanks_page_after_an_answer_still_thanks(api):
    token, _survey = await answered_link(api)
    page = await api.client.get(f"/s/{token}/thanks")
    assert headings(page.text) == ["Thank you!"]
    assert "Your answer has been recorded." in page.text


async def test_reopening_an_answered_link_says_the_answer_is_in(api):
    token, _survey = await answered_link(api, score=9, comment="Quick")
    page = await api.client.get(f"/s/{token}")
    assert page.status_code == 200
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', page.text, re.S)
    assert notice, page.text
    assert notice.group(1).startswith("We already have your answer: 9 out of 10.")
    assert "You can change it until " in notice.group(1)
    # the old answer is still shown, to be changed
    assert re.search(r'value="9"[^>]*checked', page.text) and ">Quick</textarea>" in page.text


async def test_a_fresh_link_shows_no_already_answered_notice(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    page = await api.client.get(path_of(invitation["score_urls"][3]["url"]))
    assert page.status_code == 200 and 'class="notice"' not in page.text


async def test_every_page_links_the_favicon(api):
    token, _survey = await answered_link(api)
    for path in (f"/s/{token}", f"/s/{token}/thanks", f"/u/{token}", "/s/not-a-token"):
        page = await api.client.get(path)
        assert '<link rel="icon" href="/favicon.ico">' in page.text, path


async def test_favicon_is_served(client):
    r = await client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in r.headers["cache-control"]
    assert (await client.head("/favicon.ico")).status_code == 200


async def test_zero_to_ten_scale_is_one_grid_of_equal_columns(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    page = await api.client.get(path_of(invitation["survey_url"]))
    assert 'class="scale scale-11"' in page.text
    css = (await api.client.get("/assets/sentio.css")).text
    scale = re.search(r"\.scale \{([^}]*)\}", css).group(1)
    assert "display: grid" in scale and "grid-auto-columns: minmax(0, 1fr)" in scale
