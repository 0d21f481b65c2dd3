"""Links of an invitation and its ready-to-paste email block (HTML and plain text)."""

from dataclasses import dataclass

from app.models import Invitation, Survey
from app.pages.i18n import survey_texts, ui
from app.pages.templating import render


@dataclass(frozen=True)
class Links:
    survey_url: str
    score_urls: list[dict]
    unsubscribe_url: str


def links(base_url: str, token: str, survey: Survey) -> Links:
    base = base_url.rstrip("/")
    survey_url = f"{base}/s/{token}"
    scores = range(survey.scale_min, survey.scale_max + 1)
    return Links(
        survey_url=survey_url,
        score_urls=[{"score": s, "url": f"{survey_url}?score={s}"} for s in scores],
        unsubscribe_url=f"{base}/u/{token}",
    )


def email_block(invitation: Invitation, survey: Survey, found: Links) -> tuple[str, str]:
    texts = survey_texts(survey, invitation.locale)
    t = ui(invitation.locale)
    context = {
        "t": t,
        "texts": texts,
        "greeting": t["greeting"].format(name=invitation.name) if invitation.name else None,
        "scale_max": survey.scale_max,
        "links": found,
    }
    return render("email.html", **context), render("email.txt", **context)
