"""What respondents read, in English, Spanish, German and French, plus the survey's own texts.

The survey's per-locale texts win; then the built-in translation of the standard question
(only while the survey still asks the standard English one); then the survey's own default."""

from dataclasses import dataclass

from app.models import Survey
from app.surveys.service import DEFAULT_QUESTION

LANGUAGES = ("en", "es", "de", "fr")

UI: dict[str, dict[str, str]] = {
    "en": {
        "your_score": "Your score",
        "score_label": "{score} out of {max}",
        "comment": "Anything you would like to add? (optional)",
        "submit": "Send my answer",
        "saved": "Your score is saved. You can still add a comment or change it.",
        "thanks_title": "Thank you!",
        "thanks": "Your answer has been recorded.",
        "change_until": "You can change it until {date}.",
        "change": "Change my answer",
        "answered_title": "Your answer is already in",
        "answered": "Thank you, we have your answer. It can no longer be changed.",
        "expired_title": "This link has expired",
        "expired": "This survey link is no longer valid. Thank you for your time.",
        "unknown_title": "This link is not valid",
        "unknown": "We could not find this survey. Please check that the whole link was "
        "copied from the email.",
        "closed_title": "This survey is closed",
        "closed": "This survey no longer takes answers. Thank you for your time.",
        "choose": "Please choose a score.",
        "automated": "Automated clients cannot answer surveys.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_question": "Do you want to stop receiving surveys from us?",
        "unsubscribe_button": "Yes, unsubscribe me",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed": "You will not receive any more surveys from us.",
        "email_intro": "Click a score to answer:",
        "email_unsubscribe": "Don't want these surveys? Unsubscribe",
        "greeting": "Hi {name},",
        "not_answered_title": "No answer yet",
        "not_answered": "We do not have an answer from this link yet.",
        "answer_now": "Answer the survey",
        "already_in": "We already have your answer: {score} out of {max}.",
        "logo": "Logo",
    },
    "es": {
        "your_score": "Su puntuación",
        "score_label": "{score} de {max}",
        "comment": "¿Algo más que quiera añadir? (opcional)",
        "submit": "Enviar mi respuesta",
        "saved": "Su puntuación está guardada. Aún puede añadir un comentario o cambiarla.",
        "thanks_title": "¡Gracias!",
        "thanks": "Hemos registrado su respuesta.",
        "change_until": "Puede cambiarla hasta el {date}.",
        "change": "Cambiar mi respuesta",
        "answered_title": "Ya tenemos su respuesta",
        "answered": "Gracias, ya tenemos su respuesta. Ya no se puede cambiar.",
        "expired_title": "Este enlace ha caducado",
        "expired": "Este enlace de encuesta ya no es válido. Gracias por su tiempo.",
        "unknown_title": "Este enlace no es válido",
        "unknown": "No hemos encontrado esta encuesta. Compruebe que ha copiado el enlace "
        "completo del correo.",
        "closed_title": "Esta encuesta está cerrada",
        "closed": "Esta encuesta ya no acepta respuestas. Gracias por su tiempo.",
        "choose": "Elija una puntuación.",
        "automated": "Los clientes automáticos no pueden responder encuestas.",
        "unsubscribe_title": "Darse de baja",
        "unsubscribe_question": "¿Quiere dejar de recibir nuestras encuestas?",
        "unsubscribe_button": "Sí, darme de baja",
        "unsubscribed_title": "Se ha dado de baja",
        "unsubscribed": "No recibirá más encuestas nuestras.",
        "email_intro": "Haga clic en una puntuación para responder:",
        "email_unsubscribe": "¿No quiere recibir estas encuestas? Darse de baja",
        "greeting": "Hola, {name}:",
        "not_answered_title": "Aún no hay respuesta",
        "not_answered": "Todavía no tenemos ninguna respuesta desde este enlace.",
        "answer_now": "Responder a la encuesta",
        "already_in": "Ya tenemos su respuesta: {score} de {max}.",
        "logo": "Logotipo",
    },
    "de": {
        "your_score": "Ihre Bewertung",
        "score_label": "{score} von {max}",
        "comment": "Möchten Sie noch etwas ergänzen? (optional)",
        "submit": "Antwort senden",
        "saved": "Ihre Bewertung ist gespeichert. Sie können noch einen Kommentar ergänzen "
        "oder sie ändern.",
        "thanks_title": "Vielen Dank!",
        "thanks": "Ihre Antwort wurde gespeichert.",
        "change_until": "Sie können sie bis zum {date} ändern.",
        "change": "Antwort ändern",
        "answered_title": "Ihre Antwort liegt uns bereits vor",
        "answered": "Vielen Dank, wir haben Ihre Antwort. Sie kann nicht mehr geändert werden.",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired": "Dieser Umfragelink ist nicht mehr gültig. Vielen Dank für Ihre Zeit.",
        "unknown_title": "Dieser Link ist ungültig",
        "unknown": "Wir konnten diese Umfrage nicht finden. Bitte prüfen Sie, ob der Link "
        "vollständig aus der E-Mail kopiert wurde.",
        "closed_title": "Diese Umfrage ist beendet",
        "closed": "Diese Umfrage nimmt keine Antworten mehr an. Vielen Dank für Ihre Zeit.",
        "choose": "Bitte wählen Sie eine Bewertung.",
        "automated": "Automatisierte Clients können keine Umfragen beantworten.",
        "unsubscribe_title": "Abmelden",
        "unsubscribe_question": "Möchten Sie keine Umfragen mehr von uns erhalten?",
        "unsubscribe_button": "Ja, abmelden",
        "unsubscribed_title": "Sie sind abgemeldet",
        "unsubscribed": "Sie erhalten keine weiteren Umfragen von uns.",
        "email_intro": "Klicken Sie auf eine Bewertung, um zu antworten:",
        "email_unsubscribe": "Keine Umfragen mehr erhalten? Abmelden",
        "greeting": "Hallo {name},",
        "not_answered_title": "Noch keine Antwort",
        "not_answered": "Über diesen Link ist noch keine Antwort eingegangen.",
        "answer_now": "Zur Umfrage",
        "already_in": "Ihre Antwort liegt uns bereits vor: {score} von {max}.",
        "logo": "Logo",
    },
    "fr": {
        "your_score": "Votre note",
        "score_label": "{score} sur {max}",
        "comment": "Souhaitez-vous ajouter quelque chose ? (facultatif)",
        "submit": "Envoyer ma réponse",
        "saved": "Votre note est enregistrée. Vous pouvez encore ajouter un commentaire ou "
        "la modifier.",
        "thanks_title": "Merci !",
        "thanks": "Votre réponse a été enregistrée.",
        "change_until": "Vous pouvez la modifier jusqu'au {date}.",
        "change": "Modifier ma réponse",
        "answered_title": "Nous avons déjà votre réponse",
        "answered": "Merci, nous avons votre réponse. Elle ne peut plus être modifiée.",
        "expired_title": "Ce lien a expiré",
        "expired": "Ce lien de questionnaire n'est plus valide. Merci de votre temps.",
        "unknown_title": "Ce lien n'est pas valide",
        "unknown": "Nous n'avons pas trouvé ce questionnaire. Vérifiez que le lien a été "
        "copié en entier depuis l'e-mail.",
        "closed_title": "Ce questionnaire est clos",
        "closed": "Ce questionnaire n'accepte plus de réponses. Merci de votre temps.",
        "choose": "Veuillez choisir une note.",
        "automated": "Les clients automatisés ne peuvent pas répondre aux questionnaires.",
        "unsubscribe_title": "Se désabonner",
        "unsubscribe_question": "Voulez-vous ne plus recevoir nos questionnaires ?",
        "unsubscribe_button": "Oui, me désabonner",
        "unsubscribed_title": "Vous êtes désabonné",
        "unsubscribed": "Vous ne recevrez plus de questionnaires de notre part.",
        "email_intro": "Cliquez sur une note pour répondre :",
        "email_unsubscribe": "Vous ne souhaitez plus recevoir ces questionnaires ? Se désabonner",
        "greeting": "Bonjour {name},",
        "not_answered_title": "Pas encore de réponse",
        "not_answered": "Nous n'avons pas encore de réponse venant de ce lien.",
        "answer_now": "Répondre à l'enquête",
        "already_in": "Nous avons déjà votre réponse : {score} sur {max}.",
        "logo": "Logo",
    },
}

QUESTIONS = {
    "nps": {
        "es": "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
        "de": "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
        "fr": "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?",
    },
    "csat": {
        "es": "¿Qué tan satisfecho quedó con su experiencia?",
        "de": "Wie zufrieden waren Sie mit Ihrer Erfahrung?",
        "fr": "Dans quelle mesure avez-vous été satisfait de votre expérience ?",
    },
    "ces": {
        "es": "Me resultó fácil resolver mi problema.",
        "de": "Es war einfach, mein Anliegen zu erledigen.",
        "fr": "Il a été facile de régler mon problème.",
    },
}

SCALE_LABELS = {
    "nps": {
        "en": ("Not likely", "Very likely"),
        "es": ("Nada probable", "Muy probable"),
        "de": ("Unwahrscheinlich", "Sehr wahrscheinlich"),
        "fr": ("Peu probable", "Très probable"),
    },
    "csat": {
        "en": ("Very dissatisfied", "Very satisfied"),
        "es": ("Muy insatisfecho", "Muy satisfecho"),
        "de": ("Sehr unzufrieden", "Sehr zufrieden"),
        "fr": ("Très insatisfait", "Très satisfait"),
    },
    "ces": {
        "en": ("Strongly disagree", "Strongly agree"),
        "es": ("Totalmente en desacuerdo", "Totalmente de acuerdo"),
        "de": ("Stimme überhaupt nicht zu", "Stimme voll und ganz zu"),
        "fr": ("Pas du tout d'accord", "Tout à fait d'accord"),
    },
}


def language(locale: str | None) -> str:
    """The interface language for a locale: `de-AT` reads German, `pt-BR` English."""
    lang = (locale or "en").split("-")[0].lower()
    return lang if lang in LANGUAGES else "en"


def ui(locale: str | None) -> dict[str, str]:
    return UI[language(locale)]


@dataclass(frozen=True)
class SurveyTexts:
    lang: str
    question: str
    follow_up_question: str | None
    low_label: str
    high_label: str


def _own_texts(survey: Survey, locale: str | None) -> dict[str, str]:
    texts = survey.texts or {}
    if not locale:
        return {}
    by_lower = {key.lower(): value for key, value in texts.items()}
    exact = by_lower.get(locale.lower(), {})
    base = by_lower.get(locale.split("-")[0].lower(), {})
    return {**base, **exact}


def survey_texts(survey: Survey, locale: str | None) -> SurveyTexts:
    lang = language(locale)
    own = _own_texts(survey, locale)
    question = own.get("question")
    if not question:
        standard = survey.question == DEFAULT_QUESTION[survey.kind]
        question = QUESTIONS[survey.kind].get(lang) if standard else None
        question = question or survey.question
    low, high = SCALE_LABELS[survey.kind][lang]
    return SurveyTexts(
        lang=lang,
        question=question,
        follow_up_question=own.get("follow_up_question") or survey.follow_up_question,
        low_label=own.get("low_label") or low,
        high_label=own.get("high_label") or high,
    )
